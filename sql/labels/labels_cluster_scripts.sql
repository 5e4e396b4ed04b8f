-- reads: cluster_inputs
-- creates: cluster_scripts (temp table)
-- params: none
-- Dense ids (0..n-1, in script order) for the input scripts of the non-CoinJoin multi-script txs.
CREATE OR REPLACE TEMP TABLE cluster_scripts AS
SELECT script, address, (row_number() OVER (ORDER BY script) - 1)::BIGINT AS id
FROM (SELECT script, any_value(address) AS address FROM cluster_inputs GROUP BY script);
