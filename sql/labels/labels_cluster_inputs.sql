-- reads: cluster_txs, inputs
-- creates: cluster_inputs (temp table)
-- params: none
-- The input scripts of the non-CoinJoin multi-script transactions, read from `inputs` once for both
-- the script ids and the union-find edges. tid numbers those transactions (1..): in the union-find
-- graph each tx is a node linked to each of its input scripts, so no per-tx "first script" join.
CREATE OR REPLACE TEMP TABLE cluster_inputs AS
WITH t AS (SELECT height, tx_index, row_number() OVER () AS tid FROM cluster_txs WHERE NOT is_coinjoin)
SELECT i.script, i.address, t.tid
FROM inputs i JOIN t ON i.height = t.height AND i.tx_index = t.tx_index
WHERE i.script IS NOT NULL;
