-- reads: inputs, cand_wallet, cluster_changed
-- creates: delta_in (temp table), delta_big (temp table), delta_refs_all (temp table), wallet_whole (temp table), delta_refs (temp table), delta_parts (temp table)
-- params: $h_from, $h_to
-- What the source wallet of each deposit of temp table cand_wallet (deposits of heights [$h_from,
-- $h_to] with an input whose wallet changed) gained under the new clusters, as sums of parts whose
-- balance sql/whales_source_balances.sql gives just before the deposit. View cluster_changed is the
-- changes file (sql/labels/labels_cluster_changes.sql): each changed script with its old and new
-- cluster. Clusters only merge as the chain grows, so a new cluster G is old clusters plus scripts that
-- were unclustered; a deposit's new wallet is its old one (the old clusters of its changed inputs, or
-- such an input alone when it was unclustered; its unchanged clusters stay as they were) plus the rest
-- of its inputs' new clusters. Per G, its largest old part is `big` and the rest `rest(G)` (what joined
-- it: few scripts when a big wallet grows), so the gain is, per new cluster G of the deposit's inputs,
--   + rest(G) + big(G) if no input of the deposit was in big(G)
--   - the deposit's own old parts other than big(G) (old clusters, unclustered scripts: in rest(G)).
-- delta_refs (height, tx_index, kind, cluster, script, sign): the parts each deposit adds (+1) or takes
-- (-1), a part being a new cluster's rest ('rest', cluster), an old cluster ('old', cluster) or one
-- script ('single', script); delta_parts (kind, cluster, script, kid, member): each referenced part's
-- members, listed once however many deposits use it (costbasis/flows/stored/deltas.py).
-- A deposit that would add a big part (it came from a small wallet that joined a big one) needs that
-- part's history, which a whole computation reads as cheaply: such deposits go to temp table
-- wallet_whole (computed whole with the new candidates, sql/whales_source_balances.sql) and their
-- parts are left out, so the parts listed are the joiners and the deposits' own small parts.
CREATE OR REPLACE TEMP TABLE delta_in AS
SELECT i.height, i.tx_index, i.script, c.old_cluster, c.new_cluster
FROM inputs i SEMI JOIN cand_wallet w ON i.height = w.height AND i.tx_index = w.tx_index
JOIN cluster_changed c ON c.script = i.script
WHERE i.height BETWEEN $h_from AND $h_to AND i.script IS NOT NULL;

CREATE OR REPLACE TEMP TABLE delta_big AS
SELECT new_cluster, old_cluster AS big
FROM (SELECT new_cluster, old_cluster,
             row_number() OVER (PARTITION BY new_cluster ORDER BY count(*) DESC, old_cluster) AS rk
      FROM cluster_changed
      WHERE old_cluster IS NOT NULL AND new_cluster IN (SELECT DISTINCT new_cluster FROM delta_in)
      GROUP BY new_cluster, old_cluster)
WHERE rk = 1;

CREATE OR REPLACE TEMP TABLE delta_refs_all AS
WITH d AS (
    SELECT DISTINCT i.height, i.tx_index, i.old_cluster, i.new_cluster, g.big,
           CASE WHEN i.old_cluster IS NULL THEN i.script END AS single
    FROM delta_in i LEFT JOIN delta_big g ON g.new_cluster = i.new_cluster
),
per_g AS (
    SELECT height, tx_index, new_cluster, any_value(big) AS big, bool_or(old_cluster = big) AS own_big
    FROM d GROUP BY height, tx_index, new_cluster
)
SELECT height, tx_index, 'rest' AS kind, new_cluster AS cluster, NULL::BLOB AS script, 1 AS sign FROM per_g
UNION ALL
SELECT height, tx_index, 'old', big, NULL::BLOB, 1 FROM per_g WHERE big IS NOT NULL AND NOT coalesce(own_big, false)
UNION ALL
SELECT DISTINCT height, tx_index, 'old', old_cluster, NULL::BLOB, -1 FROM d
WHERE old_cluster IS NOT NULL AND old_cluster IS DISTINCT FROM big
UNION ALL
SELECT DISTINCT height, tx_index, 'single', NULL::BIGINT, single, -1 FROM d WHERE single IS NOT NULL;

CREATE OR REPLACE TEMP TABLE wallet_whole AS
SELECT DISTINCT height, tx_index FROM delta_refs_all WHERE kind = 'old' AND sign = 1;

CREATE OR REPLACE TEMP TABLE delta_refs AS
SELECT r.* FROM delta_refs_all r ANTI JOIN wallet_whole w ON w.height = r.height AND w.tx_index = r.tx_index;

CREATE OR REPLACE TEMP TABLE delta_parts AS
WITH parts AS (
    SELECT kind, cluster, script, row_number() OVER (ORDER BY kind, cluster, script) AS kid
    FROM (SELECT DISTINCT kind, cluster, script FROM delta_refs)
)
SELECT p.kind, p.cluster, p.script, p.kid, c.script AS member
FROM parts p JOIN cluster_changed c ON c.new_cluster = p.cluster
LEFT JOIN delta_big g ON g.new_cluster = c.new_cluster
WHERE p.kind = 'rest' AND (g.big IS NULL OR c.old_cluster IS DISTINCT FROM g.big)
UNION ALL
SELECT p.kind, p.cluster, p.script, p.kid, c.script
FROM parts p JOIN cluster_changed c ON c.old_cluster = p.cluster
WHERE p.kind = 'old'
UNION ALL
SELECT kind, cluster, script, kid, script FROM parts WHERE kind = 'single';
