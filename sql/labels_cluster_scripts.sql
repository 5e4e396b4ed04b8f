-- Dense ids (0..n-1) for the input scripts of the non-CoinJoin multi-input transactions.
CREATE OR REPLACE TEMP TABLE cluster_scripts AS
SELECT script, address, (row_number() OVER (ORDER BY script) - 1)::BIGINT AS id
FROM (
    SELECT i.script, any_value(i.address) AS address
    FROM inputs i SEMI JOIN cluster_txs t ON i.height = t.height AND i.tx_index = t.tx_index AND NOT t.is_coinjoin
    WHERE i.script IS NOT NULL
    GROUP BY i.script
);
