-- reads: cluster_inputs, script_ids
-- returns: rows (key, script, id)
-- params: $n0
-- Ids for the scripts of cluster_inputs that have none yet (view script_ids: the stored ids of every
-- earlier range): $n0, $n0 + 1, ... in script order. A script keeps its id for good, so new blocks
-- only add ids; joined by the 64-bit key, the script ruling out collisions.
SELECT key, script, ($n0 + row_number() OVER (ORDER BY script) - 1)::BIGINT AS id
FROM (SELECT DISTINCT c.key, c.script
      FROM cluster_inputs c
      ANTI JOIN script_ids s ON s.key = c.key AND s.script = c.script)
ORDER BY key, script;
