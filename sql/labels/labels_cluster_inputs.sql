-- reads: cluster_txs, inputs
-- creates: cluster_inputs (temp table)
-- params: $h_lo, $h_hi
-- The input scripts of the non-CoinJoin multi-script transactions of heights [$h_lo, $h_hi] (temp
-- table cluster_txs), read from `inputs` once for both the script ids and the union-find edges;
-- key = hash(script), the compact join key of the stored script ids. tid numbers those transactions.
CREATE OR REPLACE TEMP TABLE cluster_inputs AS
WITH t AS (SELECT height, tx_index, row_number() OVER () AS tid FROM cluster_txs WHERE NOT is_coinjoin)
SELECT hash(i.script) AS key, i.script, t.tid
FROM inputs i JOIN t ON i.height = t.height AND i.tx_index = t.tx_index
WHERE i.script IS NOT NULL AND i.height BETWEEN $h_lo AND $h_hi;
