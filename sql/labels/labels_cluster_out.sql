-- reads: script_ids, cluster_roots
-- returns: rows (script, cluster, address)
-- params: $network
-- The clusters file: every script of a component of >= 2 scripts (view cluster_roots: id -> the
-- smallest id of its component, from the union-find), numbered by the rank, in script order among
-- all clustered scripts, of the component's smallest script: the numbers a from-scratch clustering
-- of the same blocks gives, whatever order the blocks were clustered in. Addresses are formatted
-- from the scripts as the rows stream out (btc_address, costbasis/bitcoin/address_sql.py).
WITH r AS (
    SELECT s.script, c.root
    FROM script_ids s JOIN cluster_roots c ON c.id = s.id
),
big AS (
    SELECT root, min(script) AS first_script FROM r GROUP BY root HAVING count(*) >= 2
),
ranked AS (
    SELECT script, (row_number() OVER (ORDER BY script) - 1)::BIGINT AS cluster FROM script_ids
)
SELECT r.script, k.cluster, btc_address(r.script, $network) AS address
FROM r JOIN big b ON b.root = r.root JOIN ranked k ON k.script = b.first_script
ORDER BY k.cluster, r.script;
