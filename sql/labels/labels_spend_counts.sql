-- reads: inputs
-- returns: rows (key, key2, n_spends)
-- params: $h_lo, $h_hi
-- Per script, the number of transactions of heights [$h_lo, $h_hi] spending from it: one segment of
-- the sweep heuristic's "every tx that ever spent from it is a sweep" (sql/labels_sweep.sql). Every
-- script ever spent has a row, so the script itself is not kept: its two 64-bit keys stand in for it
-- (script_key2, costbasis/engine/db.py; ~15 B a transaction less than the script).
SELECT hash(script) AS key, script_key2(script) AS key2,
       count(DISTINCT height::BIGINT * 1048576 + tx_index)::BIGINT AS n_spends
FROM inputs
WHERE script IS NOT NULL AND height BETWEEN $h_lo AND $h_hi
GROUP BY script
ORDER BY key, key2;
