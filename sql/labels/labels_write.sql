-- reads: old_labels, sweep_labels, common_labels
-- returns: rows (l.*)
-- params: $chain
-- The labels file after `labels expand` on chain $chain: every earlier row that is imported or of
-- another chain (in file order, extra columns of imported files kept), then the new sweep labels,
-- then the new common-input labels (conflicting clusters label nothing), each set by entity, address and
-- script (one sort, here: the sets come unordered; their _ord is 0, the earlier rows' is unique). Written by DuckDB straight to
-- the file, so no label set is held in Python whatever its size. Columns: the labels dataset's
-- (chain, address, entity, label_type, script, heuristic, derived_from, then imported extras).
SELECT l.* EXCLUDE (_part, _ord) FROM (
    SELECT * EXCLUDE (file_row_number), 0 AS _part, file_row_number AS _ord
    FROM old_labels WHERE coalesce(heuristic = 'import' OR chain <> $chain, true)
    UNION ALL BY NAME
    SELECT $chain AS chain, address, entity, 'exchange_deposit' AS label_type, script, 'sweep' AS heuristic,
           derived_from, 1 AS _part, 0 AS _ord
    FROM sweep_labels
    UNION ALL BY NAME
    SELECT $chain AS chain, address, entity, 'exchange' AS label_type, script, 'common_input' AS heuristic,
           derived_from, 2 AS _part, 0 AS _ord
    FROM common_labels
) l
ORDER BY _part, _ord, l.entity, l.address, l.script;
