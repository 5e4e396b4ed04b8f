-- reads: blocks, prices
-- returns: rows (height, time, price_usd, without_price)
-- params: $after
-- Price of the blocks above height $after (all blocks with $after = -1): the last price point at
-- or before the block time (date-only price rows are stamped 00:00 UTC). Blocks before the first
-- price point get price 0 and are flagged so callers can report coins_without_price_btc.
-- Written in the SQL common to DuckDB and Spark (engine/spark/transpile.py): an ASOF join has no
-- Spark twin, so blocks and price points are merged in time order and each block takes the last
-- price seen before it (a price point at the block's exact time counts: it sorts first).
WITH merged AS (
    SELECT time, 0 AS kind, price_usd, NULL AS height FROM prices
    UNION ALL
    SELECT time, 1 AS kind, NULL AS price_usd, height FROM blocks WHERE height > $after
), priced AS (
    SELECT height, time, kind,
           last_value(price_usd IGNORE NULLS) OVER (ORDER BY time, kind, height
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS p
    FROM merged
)
SELECT height,
       time,
       coalesce(p, 0.0) AS price_usd,
       p IS NULL AS without_price
FROM priced
WHERE kind = 1
ORDER BY height
