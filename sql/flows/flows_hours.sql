-- reads: flow_txs
-- returns: rows (hour, entity, direction, value, txs, top10)
-- params: none
-- Exchange flows per UTC hour, entity group and direction: what sql/flows_by_period.sql aggregates
-- (so a query reads hours, not transactions; Bitcoin stores these rows per flow-table segment,
-- costbasis/flows/stored/, EVM computes them at query time). Over the view
--   flow_txs(time, entity, height, tx_key, direction, value) of flows_inputs_*.sql's kind.
-- hour: unix seconds of the hour's start; entity: the exchange, or NULL for all exchanges together
-- (a tx paying two exchanges is one tx of the summed value there);
-- value: the hour's total; txs: its number of transactions; top10: its 10 largest per-tx values,
-- largest first. Exact to merge: a tx lies in one hour and one segment, so a period's total is the
-- sum of its hours' rows and its 10 largest txs are the 10 largest of their top10 lists.
WITH per_tx AS (
    SELECT time // 3600 * 3600 AS hour, entity, height, tx_key, direction, sum(value) AS value
    FROM flow_txs
    GROUP BY ALL
),
grouped AS (
    SELECT hour, entity, direction, value FROM per_tx
    UNION ALL
    SELECT hour, NULL AS entity, direction, sum(value) AS value
    FROM per_tx GROUP BY hour, height, tx_key, direction
)
SELECT hour, entity, direction, sum(value) AS value, count(*) AS txs,
       list(value ORDER BY value DESC)[1:10] AS top10
FROM grouped
GROUP BY hour, entity, direction
