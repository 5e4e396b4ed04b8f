-- reads: evm_exchange_txs, prices, holdings, realized
-- returns: rows (transaction_hash, time, exchange, amount, amount_usd, source_address, source_balance, source_is_whale, mean_age_days, cost_basis_usd, price_usd, pnl_ratio, block_number)
-- params: $t_from, $t_to, $whale_amount, $min_usd, $min_amount
-- EVM whale deposits: exchange inflow transactions from non-exchange senders in [$t_from, $t_to)
-- over the threshold ($min_usd when given, else $min_amount coins) or whose sender held at
-- least $whale_amount (tracked balance at the start of the deposit's block, from `holdings`).
-- Cost basis and age of the deposited coins come from the walk's disposal rows (`realized`)
-- of that sender at that time: average cost / value-weighted acquisition time for --method
-- avg, the consumed lots for fifo.
WITH dep AS (
    SELECT e.*, p.price_usd, e.amount * p.price_usd AS amount_usd
    FROM evm_exchange_txs e
    ASOF LEFT JOIN prices p ON CAST(make_timestamp(e.time * 1000000) AS DATE) >= p.date
    WHERE e.direction = 'in' AND NOT e.from_exchange AND e.time >= $t_from AND e.time < $t_to
), bal AS (
    SELECT d.transaction_hash, d.entity, sum(h.amount) AS balance
    FROM dep d JOIN holdings h ON h.address = d.counterparty
     AND h.valid_from < d.time AND (h.valid_to IS NULL OR h.valid_to >= d.time)
    GROUP BY d.transaction_hash, d.entity
), spent AS (
    SELECT time, address, sum(amount) AS amount, sum(cost_usd) AS cost_usd,
           sum(amount * acq_time) / sum(amount) AS acq_time
    FROM realized GROUP BY time, address
)
SELECT d.transaction_hash,
       make_timestamp(d.time * 1000000) AS time,
       d.entity AS exchange,
       d.amount,
       d.amount_usd,
       d.counterparty AS source_address,
       coalesce(b.balance, 0.0) AS source_balance,
       coalesce(b.balance, 0.0) >= $whale_amount AS source_is_whale,
       (d.time - s.acq_time) / 86400.0 AS mean_age_days,
       s.cost_usd / s.amount AS cost_basis_usd,
       d.price_usd,
       CASE WHEN s.cost_usd > 0 THEN d.price_usd / (s.cost_usd / s.amount) - 1 END AS pnl_ratio,
       d.block_number
FROM dep d
LEFT JOIN bal b ON b.transaction_hash = d.transaction_hash AND b.entity = d.entity
LEFT JOIN spent s ON s.time = d.time AND s.address = d.counterparty
WHERE (CASE WHEN $min_usd IS NULL THEN d.amount >= $min_amount ELSE d.amount_usd >= $min_usd END)
   OR coalesce(b.balance, 0.0) >= $whale_amount
ORDER BY d.time, d.block_number, d.transaction_index, d.entity;
