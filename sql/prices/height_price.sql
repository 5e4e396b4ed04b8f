-- reads: blocks, prices
-- creates: height_price (temp table)
-- params: none
-- Price of every block, computed once per query: the last price point at or before the block
-- time (ASOF join; date-only price rows are stamped 00:00 UTC). Blocks before the first price
-- point get price 0 and are flagged so callers can report coins_without_price_btc.
CREATE OR REPLACE TEMP TABLE height_price AS
SELECT b.height,
       b.time,
       coalesce(p.price_usd, 0.0) AS price_usd,
       p.price_usd IS NULL AS without_price
FROM blocks b
ASOF LEFT JOIN prices p ON b.time >= p.time;
