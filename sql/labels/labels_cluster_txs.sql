-- reads: inputs, outputs
-- creates: cluster_txs (temp table)
-- params: $cj_min_inputs, $cj_min_equal, $h_lo, $h_hi
-- Transactions of heights [$h_lo, $h_hi] spending coins of >= 2 distinct scripts, and whether they
-- are CoinJoin-shaped: >= $cj_min_inputs inputs and >= $cj_min_equal outputs of one equal value.
-- Common-input ownership does not hold for CoinJoins (several owners sign one tx), so they are left
-- out. Each tx is judged by its own inputs and outputs only, so the chain is clustered range by range.
CREATE OR REPLACE TEMP TABLE cluster_txs AS
WITH multi AS (
    SELECT height, tx_index, count(*) AS n_in
    FROM inputs WHERE script IS NOT NULL AND height BETWEEN $h_lo AND $h_hi
    GROUP BY height, tx_index
    HAVING min(script) <> max(script)
),
eq AS (
    SELECT height, tx_index, max(c) AS max_equal
    FROM (SELECT o.height, o.tx_index, o.value, count(*) AS c
          FROM outputs o SEMI JOIN (SELECT height, tx_index FROM multi WHERE n_in >= $cj_min_inputs) m
               ON o.height = m.height AND o.tx_index = m.tx_index
          WHERE o.value > 0 AND o.height BETWEEN $h_lo AND $h_hi
          GROUP BY o.height, o.tx_index, o.value)
    GROUP BY height, tx_index
)
SELECT m.height, m.tx_index, m.n_in, coalesce(e.max_equal, 0) AS max_equal,
       (m.n_in >= $cj_min_inputs AND coalesce(e.max_equal, 0) >= $cj_min_equal) AS is_coinjoin
FROM multi m LEFT JOIN eq e ON e.height = m.height AND e.tx_index = m.tx_index;
