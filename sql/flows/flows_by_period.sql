-- reads: flow_hours, flow_block_times, flow_labels, prices
-- returns: rows (period, entity, inflow, outflow, netflow, inflow_usd, outflow_usd, netflow_usd, inflow_txs, outflow_txs, inflow_mean, top10_inflow, whale_ratio, price_usd)
-- params: $unit, $per_entity, $entity, $t_from, $t_to, $scale
-- Exchange inflow / outflow / netflow per period (day or hour) and entity group, for Bitcoin and
-- EVM alike, over three views the caller defines (flows_inputs_bitcoin.sql, flows_inputs_evm.sql):
--   flow_hours(hour, entity, direction, value, txs, top10) (sql/flows_hours.sql: per hour, entity or
--   NULL for all exchanges, direction; several rows of one hour add up), flow_block_times(time),
--   flow_labels(entity). So a query costs the hours it covers, not the transactions.
-- $unit: 'day' | 'hour'; $per_entity (or an $entity filter): one row per entity, else all exchanges as 'all';
-- $entity: only this entity (case-insensitive) or NULL; [$t_from, $t_to): block time range, whole hours
-- (dates.time_bounds gives whole days); $scale: units per coin (1e8 sats per BTC; 1 for EVM amounts).
-- USD at the day's price (the price row of the period's UTC date; the last earlier row if missing).
-- Whale ratio = sum of the 10 largest inflow transactions / total inflow, per period and group.
-- Continuous calendar: every period from the first stored block (the first flow when no --from is
-- given) to the last stored block inside the requested range is a row (per entity group), zeros
-- where nothing moved, so pipelines get no gaps. Periods outside the stored blocks are not rows:
-- no blocks there is "not known yet", not "no flows".
WITH x AS (
    SELECT date_trunc($unit, make_timestamp(hour * 1000000)) AS period, coalesce(entity, 'all') AS entity,
           direction, value, txs, top10
    FROM flow_hours
    WHERE CASE WHEN $per_entity OR $entity IS NOT NULL THEN entity IS NOT NULL ELSE entity IS NULL END
      AND ($entity IS NULL OR lower(entity) = lower($entity))
      AND hour >= $t_from AND hour < $t_to
),
agg_in AS (
    SELECT period, entity, sum(value) AS inflow, sum(txs)::BIGINT AS inflow_txs,
           list_sum(list_sort(flatten(list(top10)), 'DESC')[1:10]) AS top10
    FROM x WHERE direction = 'in' GROUP BY period, entity
),
agg_out AS (
    SELECT period, entity, sum(value) AS outflow, sum(txs)::BIGINT AS outflow_txs
    FROM x WHERE direction = 'out' GROUP BY period, entity
),
bounds AS (  -- without --from the calendar starts at the first exchange flow, not at genesis
    SELECT date_trunc($unit, make_timestamp(greatest($t_from, min(time),
               CASE WHEN $t_from <= -4611686018427387904 THEN (SELECT min(hour) FROM flow_hours) END) * 1000000)) AS p0,
           date_trunc($unit, make_timestamp(least($t_to - 1, max(time)) * 1000000)) AS p1
    FROM flow_block_times
),
calendar AS (
    SELECT unnest(generate_series(p0, p1, CASE WHEN $unit = 'day' THEN INTERVAL 1 DAY ELSE INTERVAL 1 HOUR END)) AS period
    FROM bounds WHERE p0 <= p1
),
groups AS (  -- per entity: every exchange with a flow anywhere in the store (not only in the range)
    SELECT 'all' AS entity WHERE NOT $per_entity AND $entity IS NULL
    UNION SELECT DISTINCT entity FROM flow_hours WHERE entity IS NOT NULL AND $per_entity AND $entity IS NULL
    UNION SELECT DISTINCT entity FROM flow_labels WHERE lower(entity) = lower($entity)
),
joined AS (
    SELECT c.period, g.entity,
           coalesce(i.inflow, 0) AS inflow, coalesce(o.outflow, 0) AS outflow,
           coalesce(i.inflow_txs, 0) AS inflow_txs, coalesce(o.outflow_txs, 0) AS outflow_txs,
           coalesce(i.top10, 0) AS top10
    FROM calendar c CROSS JOIN groups g
    LEFT JOIN agg_in i ON i.period = c.period AND i.entity = g.entity
    LEFT JOIN agg_out o ON o.period = c.period AND o.entity = g.entity
)
SELECT j.period, j.entity,
       j.inflow / $scale AS inflow,
       j.outflow / $scale AS outflow,
       (j.inflow - j.outflow) / $scale AS netflow,
       j.inflow / $scale * p.price_usd AS inflow_usd,
       j.outflow / $scale * p.price_usd AS outflow_usd,
       (j.inflow - j.outflow) / $scale * p.price_usd AS netflow_usd,
       j.inflow_txs, j.outflow_txs,
       CASE WHEN j.inflow_txs > 0 THEN j.inflow / $scale / j.inflow_txs END AS inflow_mean,
       j.top10 / $scale AS top10_inflow,
       CASE WHEN j.inflow > 0 THEN j.top10 / j.inflow END AS whale_ratio,
       p.price_usd
FROM joined j
ASOF LEFT JOIN prices p ON CAST(j.period AS DATE) >= p.date
ORDER BY j.period, j.entity;
