-- reads: outputs, inputs, clusters, dep_keys
-- creates: range_clustered (temp table)
-- params: $h_from, $h_to, $deposits_only
-- The balance events of clustered scripts in blocks [$h_from, $h_to]: per output (+ value) and input
-- (- value) of a script of temp table `clusters` (the clusters a build can need,
-- sql/whales_build_clusters.sql), its cluster, position (height * 2^20 + tx_index) and change. The
-- range's rows are the hash side of the join and the clusters are probed once, so a build step costs
-- its own blocks plus one scan of the clusters, never a per-member lookup: the source wallets' events
-- (sql/whales_source_balances.sql) and the clusters' running balances (costbasis/flows/stored/
-- wallets.py) both come from this table. $deposits_only: only the clusters of the step's deposits
-- (temp table dep_keys), for balances looked up for one range's deposits alone (a redo of a segment:
-- the clusters' running balances are not carried on, so the other clusters' events are not needed).
CREATE OR REPLACE TEMP TABLE range_clustered AS
WITH r AS (
    SELECT script, height::BIGINT * 1048576 + tx_index AS pos, value AS delta
    FROM outputs WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
    UNION ALL
    SELECT script, height::BIGINT * 1048576 + tx_index AS pos, -value AS delta
    FROM inputs WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
)
SELECT c.cluster, r.pos, r.delta
FROM r JOIN (SELECT script, cluster FROM clusters
             WHERE NOT $deposits_only OR cluster IN (SELECT cluster FROM dep_keys)) c ON c.script = r.script;
