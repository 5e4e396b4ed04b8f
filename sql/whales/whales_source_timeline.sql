-- reads: dep_keys, dep_members, range_clustered, outputs, inputs
-- returns: rows (kid, pos, ord, delta)
-- params: $h_from, $h_to
-- The timeline of each deposit's source wallet over blocks [$h_from, $h_to] (temp table dep_keys from
-- sql/whales_source_keys.sql): its balance events (ord 1: received + outputs, spent - inputs; one
-- row each, not summed per tx: the running sum needs no grouping, and a hash aggregate of a big
-- cluster's events cost more than sorting them) and a marker per deposit (ord 0, delta 0), at position
-- height * 2^20 + tx_index.
-- Unclustered wallets' events are their key script's own outputs and inputs in the range (temp table
-- dep_members); a clustered wallet's are its cluster's rows of temp table range_clustered
-- (sql/whales_range_clustered.sql), so only the new blocks are read. Ordered by (kid, pos, ord), the
-- running sum of delta at a marker is the wallet's change over the events strictly before the deposit
-- (costbasis/flows/stored/running.py orders and sums the rows as they stream, on Spark's rows too:
-- DuckDB's window over one big cluster's partition of millions of events ran on one thread, ~3x the
-- sort and a streamed sum); sql/whales_source_balances.sql takes the sums from there.
WITH events AS (
    -- unclustered wallets: their key script's own outputs and inputs in the range
    SELECT m.kid, o.height::BIGINT * 1048576 + o.tx_index AS pos, o.value AS delta
    FROM outputs o JOIN dep_members m ON o.script = m.script
    WHERE o.height BETWEEN $h_from AND $h_to
    UNION ALL
    SELECT m.kid, i.height::BIGINT * 1048576 + i.tx_index AS pos, -i.value AS delta
    FROM inputs i JOIN dep_members m ON i.script = m.script
    WHERE i.height BETWEEN $h_from AND $h_to
    UNION ALL
    -- clustered wallets: their cluster's events in the range (temp table range_clustered)
    SELECT w.kid, r.pos, r.delta
    FROM range_clustered r JOIN (SELECT DISTINCT kid, cluster FROM dep_keys WHERE cluster IS NOT NULL) w
         ON w.cluster = r.cluster
)
SELECT kid, height::BIGINT * 1048576 + tx_index AS pos, 0 AS ord, 0::BIGINT AS delta FROM dep_keys
UNION ALL
SELECT kid, pos, 1 AS ord, delta::BIGINT AS delta FROM events;
