-- reads: native_transfers, transactions, prices
-- returns: rows (time, from_address, to_address, amount_raw, price_usd)
-- params: $last_block
-- ETH balance changes in the order they are applied: per block, per transaction the gas fee
-- first (charged before execution), then its value transfers (transfer_index order); rewards
-- and withdrawals (no transaction) last. from_address NULL = issuance, to_address NULL = fee
-- (spent ETH: burned or paid to the block producer). Each event carries the USD price of its
-- time: the last price point at or before the block time (ASOF), or the first known price for
-- blocks before the series starts.
WITH ev AS (
    SELECT block_number, block_timestamp AS time, coalesce(transaction_index, 2147483647) AS tx_order,
           1 AS kind_order, transfer_index AS sub, from_address, to_address, value_wei AS amount_raw
    FROM native_transfers
    WHERE block_number <= $last_block
    UNION ALL
    SELECT block_number, block_timestamp, transaction_index, 0, 0, from_address, NULL, fee_wei
    FROM transactions
    WHERE fee_wei <> '0' AND block_number <= $last_block
)
SELECT ev.time, ev.from_address, ev.to_address, ev.amount_raw,
       coalesce(p.price_usd, (SELECT price_usd FROM prices ORDER BY time LIMIT 1)) AS price_usd
FROM ev ASOF LEFT JOIN prices p ON ev.time >= p.time
ORDER BY ev.block_number, ev.tx_order, ev.kind_order, ev.sub;
