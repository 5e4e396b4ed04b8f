-- reads: outputs, inputs, label_changed
-- creates: touched_txs (temp table), touched_outputs (temp table), touched_inputs (temp table)
-- params: $h_lo, $h_hi
-- The transactions of heights [$h_lo, $h_hi] with an output or an input among the scripts of temp table
-- label_changed, and their outputs and inputs: a tx's exchange rows (sql/flows_exchange_txs.sql) depend
-- only on its own outputs, inputs and their labels, so only these txs' rows can differ under the new
-- labels; that file run over touched_outputs / touched_inputs (engine/db.narrowed) gives them.
CREATE OR REPLACE TEMP TABLE touched_txs AS
SELECT height, tx_index FROM outputs o SEMI JOIN label_changed c ON o.script = c.script
WHERE o.height BETWEEN $h_lo AND $h_hi
UNION
SELECT height, tx_index FROM inputs i SEMI JOIN label_changed c ON i.script = c.script
WHERE i.height BETWEEN $h_lo AND $h_hi;

CREATE OR REPLACE TEMP TABLE touched_outputs AS
SELECT * FROM outputs o SEMI JOIN touched_txs t ON o.height = t.height AND o.tx_index = t.tx_index
WHERE o.height BETWEEN $h_lo AND $h_hi;

CREATE OR REPLACE TEMP TABLE touched_inputs AS
SELECT * FROM inputs i SEMI JOIN touched_txs t ON i.height = t.height AND i.tx_index = t.tx_index
WHERE i.height BETWEEN $h_lo AND $h_hi;
