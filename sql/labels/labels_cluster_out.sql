-- reads: script_ids, cluster_roots
-- returns: rows (script, cluster)
-- params: none
-- The clusters file: every script of a component of >= 2 scripts (view cluster_roots: id -> the
-- smallest id of its component, from the union-find), the components numbered 0, 1, ... in the
-- order of their smallest script: the numbers a from-scratch clustering of the same blocks gives,
-- whatever order the blocks were clustered in (only the components are sorted for it, not every
-- script). No address column: it is a format of the script (btc_address, where one is shown).
WITH r AS (
    SELECT s.script, c.root
    FROM script_ids s JOIN cluster_roots c ON c.id = s.id
),
big AS (
    SELECT root, min(script) AS first_script FROM r GROUP BY root HAVING count(*) >= 2
),
ranked AS (
    SELECT root, (row_number() OVER (ORDER BY first_script) - 1)::BIGINT AS cluster FROM big
)
SELECT r.script, k.cluster
FROM r JOIN ranked k ON k.root = r.root
ORDER BY k.cluster, r.script;
