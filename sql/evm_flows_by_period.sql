-- EVM exchange inflow / outflow / netflow per period (day or hour) from evm_exchange_txs.
-- $unit 'day' | 'hour'; $per_entity (or $entity): one row per exchange, else 'all'; $entity filter or NULL;
-- [$t_from, $t_to) block time range. USD at the price of the period's date (last earlier row
-- if missing). Whale ratio = the 10 largest inflow transactions / total inflow.
WITH x AS (
    SELECT date_trunc($unit, make_timestamp(time * 1000000)) AS period,
           CASE WHEN $per_entity OR $entity IS NOT NULL THEN entity ELSE 'all' END AS entity,
           transaction_hash, block_number, direction, sum(amount) AS amount
    FROM evm_exchange_txs
    WHERE ($entity IS NULL OR lower(entity) = lower($entity)) AND time >= $t_from AND time < $t_to
    GROUP BY ALL
), ranked_in AS (
    SELECT *, row_number() OVER (PARTITION BY period, entity ORDER BY amount DESC, block_number, transaction_hash) AS rk
    FROM x WHERE direction = 'in'
), agg_in AS (
    SELECT period, entity, sum(amount) AS inflow, count(*) AS inflow_txs,
           sum(amount) FILTER (WHERE rk <= 10) AS top10
    FROM ranked_in GROUP BY period, entity
), agg_out AS (
    SELECT period, entity, sum(amount) AS outflow, count(*) AS outflow_txs
    FROM x WHERE direction = 'out' GROUP BY period, entity
), joined AS (
    SELECT coalesce(i.period, o.period) AS period, coalesce(i.entity, o.entity) AS entity,
           coalesce(i.inflow, 0) AS inflow, coalesce(o.outflow, 0) AS outflow,
           coalesce(i.inflow_txs, 0) AS inflow_txs, coalesce(o.outflow_txs, 0) AS outflow_txs,
           coalesce(i.top10, 0) AS top10
    FROM agg_in i FULL OUTER JOIN agg_out o ON i.period = o.period AND i.entity = o.entity
)
SELECT j.period, j.entity,
       j.inflow, j.outflow, j.inflow - j.outflow AS netflow,
       j.inflow * p.price_usd AS inflow_usd,
       j.outflow * p.price_usd AS outflow_usd,
       (j.inflow - j.outflow) * p.price_usd AS netflow_usd,
       j.inflow_txs, j.outflow_txs,
       CASE WHEN j.inflow_txs > 0 THEN j.inflow / j.inflow_txs END AS inflow_mean,
       j.top10 AS top10_inflow,
       CASE WHEN j.inflow > 0 THEN j.top10 / j.inflow END AS whale_ratio,
       p.price_usd
FROM joined j
ASOF LEFT JOIN prices p ON CAST(j.period AS DATE) >= p.date
ORDER BY j.period, j.entity;
