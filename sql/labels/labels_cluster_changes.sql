-- reads: clusters_old, clusters_new
-- returns: rows (script)
-- params: none
-- The scripts whose wallet changed from the previous clusters file (view clusters_old) to the new one
-- (clusters_new): in a cluster of either whose member set differs (smallest script, size or the XOR of
-- the members' hashes), or clustered in one only. A deposit none of whose input scripts is listed has
-- the same source wallet, so the same stored row, under both (costbasis/flows/stored/redo.py).
WITH o_c AS (
    SELECT cluster, min(script) AS rep, count(*) AS n, bit_xor(hash(script)) AS members
    FROM clusters_old GROUP BY cluster
),
n_c AS (
    SELECT cluster, min(script) AS rep, count(*) AS n, bit_xor(hash(script)) AS members
    FROM clusters_new GROUP BY cluster
),
o AS (SELECT c.script, k.rep, k.n, k.members FROM clusters_old c JOIN o_c k ON k.cluster = c.cluster),
n AS (SELECT c.script, k.rep, k.n, k.members FROM clusters_new c JOIN n_c k ON k.cluster = c.cluster)
SELECT coalesce(o.script, n.script) AS script
FROM o FULL JOIN n ON o.script = n.script
WHERE o.rep IS DISTINCT FROM n.rep OR o.n IS DISTINCT FROM n.n OR o.members IS DISTINCT FROM n.members
ORDER BY script;
