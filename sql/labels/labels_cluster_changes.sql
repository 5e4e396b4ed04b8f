-- reads: clusters_old, clusters_new
-- returns: rows (script)
-- params: none
-- The scripts whose wallet changed from the previous clusters file (view clusters_old) to the new one
-- (clusters_new): the members of every cluster of either file whose member set is not a cluster of
-- the other (a member set is told by its signature: smallest script, size and the XOR of the
-- members' hashes; a script clustered in one file only is in such a cluster). A deposit none of
-- whose input scripts is listed has the same source wallet, so the same stored row, under both
-- (costbasis/flows/stored/redo.py). Clusters are compared, not scripts: two aggregations over
-- cluster numbers and a semi join back, instead of a join of both files' scripts (at 40 M txs the
-- full join of 26 M scripts a side took ~30 s of an incremental `labels expand`). Unordered: read
-- by a semi join. This diff is the fallback: when the clustering state kept the roots hooked on
-- since the previous file, the list is read off the union-find instead (labels_cluster_changes_hooked.sql).
WITH o_c AS (
    SELECT cluster, min(script) AS rep, count(*) AS n, bit_xor(hash(script)) AS members
    FROM clusters_old GROUP BY cluster
),
n_c AS (
    SELECT cluster, min(script) AS rep, count(*) AS n, bit_xor(hash(script)) AS members
    FROM clusters_new GROUP BY cluster
),
o_gone AS (SELECT cluster FROM o_c ANTI JOIN n_c USING (rep, n, members)),
n_new AS (SELECT cluster FROM n_c ANTI JOIN o_c USING (rep, n, members))
SELECT script FROM clusters_new SEMI JOIN n_new USING (cluster)
UNION
SELECT script FROM clusters_old SEMI JOIN o_gone USING (cluster);
