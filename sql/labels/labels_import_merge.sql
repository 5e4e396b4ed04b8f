-- reads: old_labels, new_labels
-- returns: rows (l.*)
-- params: none
-- The labels file after `labels import`: the earlier rows (view old_labels, with file_row_number)
-- whose (chain, address) the imported file does not label, imported and derived alike (an imported
-- label is authoritative; addresses compared case-insensitively), in file order, then the imported
-- rows (new_labels, numbered _row in file order). Extra columns of either side are kept.
SELECT l.* EXCLUDE (_part, _ord) FROM (
    SELECT o.* EXCLUDE (file_row_number), 0 AS _part, o.file_row_number AS _ord
    FROM old_labels o
    ANTI JOIN (SELECT DISTINCT chain, lower(address) AS address FROM new_labels) n
         ON n.chain = o.chain AND n.address = lower(o.address)
    UNION ALL BY NAME
    SELECT * EXCLUDE (_row), 1 AS _part, _row AS _ord FROM new_labels
) l
ORDER BY _part, _ord;
