-- reads: script_ids, cluster_roots
-- returns: rows (script)
-- params: none
-- The changes list (as sql/labels/labels_cluster_changes.sql defines it: the scripts whose wallet's
-- member set differs from the previous clusters file's) read off the union-find instead of a diff of
-- the two files: unions only merge, so a component changed exactly when a root was hooked on it
-- since that file was written (view cluster_roots: id, root, changed = its root is where a hooked
-- root is now; costbasis/labels/expand.py keeps the hooked roots with the clustering state). A
-- changed component has >= 2 scripts, so each of its scripts is in the new file, and the members of
-- the previous file's clusters it absorbed are among them. Unordered: read by a semi join.
SELECT s.script
FROM script_ids s SEMI JOIN (SELECT id FROM cluster_roots WHERE changed) c ON c.id = s.id
