-- reads: dep_keys, dep_key_addr, dep_members, range_clustered, member_base, outputs, inputs
-- returns: rows (height, tx_index, balance, cluster_size, source_cluster)
-- params: $h_from, $h_to
-- Balance of each deposit's source wallet just before the deposit (temp table dep_keys from
-- sql/whales_source_keys.sql), for the deposits of heights [$h_from, $h_to]: the wallet's balance at
-- height $h_from - 1 (`member_base` (kid, balance), costbasis/flows/stored/wallets.py: an unclustered
-- wallet's key script's stored balance changes before $h_from, looked up in the segments' sorted key
-- indexes; a clustered wallet's cluster balance, kept running through the build) plus the running sum
-- of its received (+ outputs) and spent (- inputs) values over blocks
-- [$h_from, $h_to] ordered by (height, tx_index), taken over the events strictly before the deposit,
-- summed over the deposit's wallets. Only the new blocks are read (a clustered wallet's events are
-- its cluster's rows of temp table range_clustered, sql/whales_range_clustered.sql), so a build step
-- costs its blocks and the depositing wallets, never the wallets' members one by one.
-- Also the total size of the source wallets and the address of the smallest key with an address (the
-- display name; temp table dep_key_addr (key, address): each key script's address, formatted in bulk by
-- costbasis/flows/stored.py, null for a script that has none).
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
),
-- the deposits among their wallets' events, each before the events of its own position: the running
-- sum at a deposit row is its wallet's change over the events strictly before it (the common
-- DuckDB/Spark subset of an ASOF join, which Spark has not). The window carries the four columns it
-- needs, over the events summed per wallet and tx (a big cluster's events are millions a segment:
-- with the deposits' key and address carried through its sort, and one row per output and input,
-- it was two thirds of a redo's deposit rows); the deposits' other columns are joined back after it,
-- by wallet and position (a (deposit, wallet) row is unique).
timeline AS (
    SELECT kid, height::BIGINT * 1048576 + tx_index AS pos, 0 AS ord, 0 AS delta FROM dep_keys
    UNION ALL
    SELECT kid, pos, 1 AS ord, sum(delta) AS delta FROM events GROUP BY kid, pos
),
since AS (
    SELECT kid, pos, balance
    FROM (SELECT *, sum(delta) OVER (PARTITION BY kid ORDER BY pos, ord
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance
          FROM timeline) t
    WHERE ord = 0
),
per_key AS (
    SELECT k.height, k.tx_index, k.key, k.n, a.address, s.balance + coalesce(b.balance, 0) AS balance
    FROM dep_keys k
    JOIN since s ON s.kid = k.kid AND s.pos = k.height::BIGINT * 1048576 + k.tx_index
    LEFT JOIN dep_key_addr a ON a.key = k.key
    LEFT JOIN member_base b ON b.kid = k.kid
)
SELECT height, tx_index, sum(balance)::BIGINT AS balance, sum(n)::BIGINT AS cluster_size,
       arg_min(address, key) AS source_cluster
FROM per_key
GROUP BY height, tx_index
ORDER BY height, tx_index;
