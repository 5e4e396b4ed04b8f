-- reads: inputs
-- returns: rows (key, script, n_spends)
-- params: $h_lo, $h_hi
-- Per script, the number of transactions of heights [$h_lo, $h_hi] spending from it: one segment of
-- the sweep heuristic's "every tx that ever spent from it is a sweep" (sql/labels_sweep.sql).
SELECT hash(script) AS key, script, count(DISTINCT height::BIGINT * 1048576 + tx_index)::BIGINT AS n_spends
FROM inputs
WHERE script IS NOT NULL AND height BETWEEN $h_lo AND $h_hi
GROUP BY script
ORDER BY key, script;
