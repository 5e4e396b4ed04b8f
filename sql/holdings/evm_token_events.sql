-- reads: erc20_transfers, prices
-- returns: rows (time, from_address, to_address, amount_raw, price_usd)
-- params: $token, $last_block
-- ERC-20 balance changes of one token ($token, lower-case address) in log order. The zero
-- address is not a holder: from 0x0 is a mint (from_address NULL), to 0x0 a burn
-- (to_address NULL). Prices as in evm_native_events.sql.
WITH ev AS (
    SELECT block_number, log_index, block_timestamp AS time,
           nullif(from_address, '0x0000000000000000000000000000000000000000') AS from_address,
           nullif(to_address, '0x0000000000000000000000000000000000000000') AS to_address,
           amount_raw
    FROM erc20_transfers
    WHERE token_address = $token AND block_number <= $last_block
)
SELECT ev.time, ev.from_address, ev.to_address, ev.amount_raw,
       coalesce(p.price_usd, (SELECT price_usd FROM prices ORDER BY time LIMIT 1)) AS price_usd
FROM ev ASOF LEFT JOIN prices p ON ev.time >= p.time
ORDER BY ev.block_number, ev.log_index;
