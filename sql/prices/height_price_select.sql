-- reads: blocks, prices
-- returns: rows (height, time, price_usd, without_price)
-- params: $after
-- Price of the blocks above height $after (all blocks with $after = -1): the last price point at
-- or before the block time (ASOF join; date-only price rows are stamped 00:00 UTC). Blocks before
-- the first price point get price 0 and are flagged so callers can report coins_without_price_btc.
SELECT b.height,
       b.time,
       coalesce(p.price_usd, 0.0) AS price_usd,
       p.price_usd IS NULL AS without_price
FROM (SELECT height, time FROM blocks WHERE height > $after) b
ASOF LEFT JOIN prices p ON b.time >= p.time
ORDER BY b.height
