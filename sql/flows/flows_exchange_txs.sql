-- reads: outputs, xlabels, inputs, blocks
-- creates: exchange_txs (temp table)
-- params: $h_lo, $h_hi
-- Exchange flow transactions: one row per (tx, exchange entity, direction) in heights [$h_lo, $h_hi].
--   'in'  : value of the tx's outputs paying entity E, when no input of the tx is E's
--   'out' : value of the tx's outputs paying anyone but E, when an input of the tx is E's
-- so a transfer between two of E's addresses (inputs and outputs both E's) is neither.
-- Coinbase outputs are new coins, not a transfer from anyone: never a flow.
-- from_exchange: some input of the tx belongs to any labeled exchange (for whale deposits).
-- inputs carry no txid (bitcoin/schema.py): an outflow tx's txid is its outputs' (same height, tx_index).
CREATE OR REPLACE TEMP TABLE exchange_txs AS
WITH out_x AS (
    SELECT o.height, o.tx_index, any_value(o.txid) AS txid, l.entity, sum(o.value) AS value
    FROM outputs o JOIN xlabels l ON o.script = l.script
    WHERE o.height BETWEEN $h_lo AND $h_hi AND NOT o.is_coinbase
    GROUP BY o.height, o.tx_index, l.entity
),
in_x AS (
    SELECT DISTINCT i.height, i.tx_index, l.entity
    FROM inputs i JOIN xlabels l ON i.script = l.script
    WHERE i.height BETWEEN $h_lo AND $h_hi
),
funded_tx AS (
    SELECT DISTINCT height, tx_index FROM in_x
),
funded_total AS (
    SELECT o.height, o.tx_index, any_value(o.txid) AS txid, sum(o.value) AS total
    FROM outputs o SEMI JOIN funded_tx f ON o.height = f.height AND o.tx_index = f.tx_index
    WHERE o.height BETWEEN $h_lo AND $h_hi
    GROUP BY o.height, o.tx_index
),
inflow AS (
    SELECT o.height, o.tx_index, o.txid, o.entity, 'in' AS direction, o.value,
           f.height IS NOT NULL AS from_exchange
    FROM out_x o
    ANTI JOIN in_x i ON i.height = o.height AND i.tx_index = o.tx_index AND i.entity = o.entity
    LEFT JOIN funded_tx f ON f.height = o.height AND f.tx_index = o.tx_index
),
outflow AS (
    SELECT i.height, i.tx_index, t.txid, i.entity, 'out' AS direction,
           t.total - coalesce(o.value, 0) AS value, true AS from_exchange
    FROM in_x i
    JOIN funded_total t ON t.height = i.height AND t.tx_index = i.tx_index
    LEFT JOIN out_x o ON o.height = i.height AND o.tx_index = i.tx_index AND o.entity = i.entity
)
SELECT x.*, b.time
FROM (SELECT * FROM inflow UNION ALL SELECT * FROM outflow WHERE value > 0) x
JOIN blocks b ON b.height = x.height
WHERE b.height BETWEEN $h_lo AND $h_hi;
