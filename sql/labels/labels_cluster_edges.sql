-- reads: cluster_inputs, script_ids
-- returns: rows (a, b)
-- params: none
-- Union-find edges of one range: each input script's id -> the smallest script id of its
-- transaction (view script_ids: every stored id, this range's included). Every tx's inputs end up
-- in one component, as with a node per tx joined to each of its input scripts.
WITH ids AS (
    SELECT c.tid, s.id
    FROM cluster_inputs c JOIN script_ids s ON s.key = c.key AND s.script = c.script
)
SELECT min(id) OVER (PARTITION BY tid) AS a, id AS b FROM ids;
