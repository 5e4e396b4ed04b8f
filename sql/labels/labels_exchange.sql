-- reads: labels_file, xlabels_args
-- creates: xlabels (temp view)
-- params: none
-- The exchange labels flows classify by, for one chain (view labels_file: the labels dataset read
-- with file_row_number; one-row table xlabels_args: chain, imported_only): one entity per script,
-- the imported label first, then the alphabetically first entity, then the file's first row, so
-- flows never count one output twice. A view over the file: a query that never joins labels never
-- reads them, and no label set is held in Python (mainnet has tens of millions of exchange scripts).
CREATE OR REPLACE TEMP VIEW xlabels AS
SELECT l.script, l.entity, l.address, l.label_type, l.heuristic
FROM labels_file l, xlabels_args a
WHERE l.script IS NOT NULL AND starts_with(l.label_type, 'exchange') AND l.chain = a.chain
  AND (NOT a.imported_only OR l.heuristic = 'import')
QUALIFY row_number() OVER (PARTITION BY l.script
                           ORDER BY CASE WHEN l.heuristic = 'import' THEN 0 WHEN l.heuristic IS NULL THEN 2 ELSE 1 END,
                                    l.entity NULLS LAST, l.file_row_number) = 1;
