-- reads: exchange_txs, prices, deposit_sources, deposit_coins, blocks, age_bands
-- returns: rows (txid, time, exchange, value_btc, value_usd, source_cluster, cluster_size, source_balance_btc, source_holds_1000, age_band, mean_age_days, cost_basis_usd, price_usd, pnl_ratio, height)
-- params: $t_from, $t_to, $h_from, $h_to, $min_usd, $min_sats, $whale_sats
-- Whale deposits: exchange inflow transactions from non-exchange sources (no input labeled as any
-- exchange) in [$t_from, $t_to) and heights [$h_from, $h_to] that are over the threshold ($min_usd
-- when given, else $min_sats) or come from a wallet holding >= $whale_sats just before the transaction.
-- Reads the stored flow tables (costbasis/flows/stored.py): exchange_txs, deposit_sources (the
-- source wallet = the union of the clusters of the deposit's input scripts, an unclustered script
-- being its own wallet; its balance just before the tx) and deposit_coins (the spent coins per
-- creation height). Deposited coins: value-weighted age and creation price (block time ASOF price
-- time), and the age band holding most of the value. The height bounds (those of the blocks in the time
-- range, or a part of them: costbasis/flows/whales.py runs the daily signal part by part) prune every
-- table's files and row groups, so the joins hold one part's deposits, not the chain's.
WITH dep AS (
    SELECT e.height, e.tx_index, e.txid, e.entity, e.value, e.time, p.price_usd,
           e.value / 1e8 * p.price_usd AS value_usd
    FROM exchange_txs e
    ASOF LEFT JOIN prices p ON CAST(make_timestamp(e.time * 1000000) AS DATE) >= p.date
    WHERE e.direction = 'in' AND NOT e.from_exchange AND e.time >= $t_from AND e.time < $t_to
      AND e.height BETWEEN $h_from AND $h_to
),
src AS (
    SELECT s.* FROM deposit_sources s
    SEMI JOIN dep d ON d.height = s.height AND d.tx_index = s.tx_index
    WHERE s.height BETWEEN $h_from AND $h_to
),
picked AS (  -- over the threshold, or from a wallet holding >= $whale_sats
    SELECT d.*, s.balance, s.cluster_size, s.source_cluster
    FROM dep d JOIN src s ON s.height = d.height AND s.tx_index = d.tx_index
    WHERE (CASE WHEN $min_usd IS NULL THEN d.value >= $min_sats ELSE d.value_usd >= $min_usd END)
       OR s.balance >= $whale_sats
),
coin AS (
    SELECT c.*, cp.price_usd AS created_price
    FROM (SELECT d.height, d.tx_index, d.value, cb.time AS created_time, t.time - cb.time AS age_s
          FROM deposit_coins d
          SEMI JOIN picked p ON p.height = d.height AND p.tx_index = d.tx_index
          JOIN blocks cb ON cb.height = d.created_height
          JOIN blocks t ON t.height = d.height
          WHERE d.height BETWEEN $h_from AND $h_to) c
    ASOF LEFT JOIN prices cp ON c.created_time >= cp.time
),
basis AS (
    SELECT height, tx_index,
           sum(value * created_price) / sum(value) FILTER (WHERE created_price IS NOT NULL) AS cost_basis_usd,
           sum(value::DOUBLE * age_s) / sum(value) / 86400.0 AS mean_age_days
    FROM coin GROUP BY height, tx_index
),
band_rank AS (
    SELECT c.height, c.tx_index, b.band,
           row_number() OVER (PARTITION BY c.height, c.tx_index ORDER BY sum(c.value) DESC, b.ord) AS rk
    FROM coin c JOIN age_bands b ON c.age_s >= b.lo_s AND c.age_s < b.hi_s
    GROUP BY c.height, c.tx_index, b.band, b.ord
)
SELECT d.txid,
       make_timestamp(d.time * 1000000) AS time,
       d.entity AS exchange,
       d.value / 1e8 AS value_btc,
       d.value_usd,
       d.source_cluster,
       d.cluster_size::BIGINT AS cluster_size,
       d.balance / 1e8 AS source_balance_btc,
       d.balance >= $whale_sats AS source_holds_1000,
       br.band AS age_band,
       b.mean_age_days,
       b.cost_basis_usd,
       d.price_usd,
       CASE WHEN b.cost_basis_usd > 0 THEN d.price_usd / b.cost_basis_usd - 1 END AS pnl_ratio,
       d.height
FROM picked d
LEFT JOIN basis b ON b.height = d.height AND b.tx_index = d.tx_index
LEFT JOIN band_rank br ON br.height = d.height AND br.tx_index = d.tx_index AND br.rk = 1
ORDER BY d.time, d.height, d.tx_index, d.entity;
