-- reads: cluster_inputs, cluster_scripts
-- returns: rows (a, b)
-- params: none
-- Union-find edges: script id -> tx number (tid, from sql/labels_cluster_inputs.sql) for every input.
SELECT s.id AS a, c.tid AS b
FROM cluster_inputs c JOIN cluster_scripts s ON s.script = c.script;
