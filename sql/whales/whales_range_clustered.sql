-- reads: outputs, inputs, clusters
-- creates: range_clustered (temp table)
-- params: $h_from, $h_to
-- The balance events of clustered scripts in blocks [$h_from, $h_to]: per output (+ value) and input
-- (- value) of a script of temp table `clusters` (the clusters a build can need,
-- sql/whales_build_clusters.sql), its cluster, position (height * 2^20 + tx_index) and change. The
-- range's rows are the hash side of the join and the clusters are probed once, so a build step costs
-- its own blocks plus one scan of the clusters, never a per-member lookup: the source wallets' events
-- (sql/whales_source_balances.sql) and the clusters' running balances (costbasis/flows/stored/
-- wallets.py) both come from this table.
CREATE OR REPLACE TEMP TABLE range_clustered AS
WITH r AS (
    SELECT script, height::BIGINT * 1048576 + tx_index AS pos, value AS delta
    FROM outputs WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
    UNION ALL
    SELECT script, height::BIGINT * 1048576 + tx_index AS pos, -value AS delta
    FROM inputs WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
)
SELECT c.cluster, r.pos, r.delta
FROM r JOIN clusters c ON c.script = r.script;
