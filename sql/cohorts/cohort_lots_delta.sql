-- reads: outputs, coin_flows, height_price
-- returns: rows (f_day, c_day, s_day, price, without_price, sats)
-- params: $after
-- Lot changes brought by the blocks above height $after (all blocks when $after = -1), signed:
--   each new spendable output       +value on (creation key, s_day NULL)
--   each new spend (coin_flows row) +value on (creation key, s_day) and -value on (creation key, NULL)
-- Summed over every block this is exactly the lots table (key: f_day, c_day, s_day, price, without_price), and
-- summed over new blocks it is what those blocks change, so the persisted lots only ever receive
-- additions: old coins are reached through coin_flows.created_height, never by rescanning them.
--   f_day = floor(creation time / 86400), c_day = ceil(creation time / 86400),
--   s_day = floor(spend time / 86400) clamped to f_day (block times are not monotonic).
WITH entries AS (
    SELECT height AS created_height, NULL::INTEGER AS spent_height, sum(value) AS sats
    FROM outputs WHERE spendable AND height > $after GROUP BY height
    UNION ALL
    SELECT created_height, spent_height, sum(value) FROM coin_flows
    WHERE spent_height > $after GROUP BY created_height, spent_height
    UNION ALL
    SELECT created_height, NULL, -sum(value) FROM coin_flows
    WHERE spent_height > $after GROUP BY created_height
)
SELECT hc.time // 86400 AS f_day,
       (hc.time + 86399) // 86400 AS c_day,
       CASE WHEN e.spent_height IS NOT NULL THEN greatest(hs.time // 86400, hc.time // 86400) END AS s_day,
       hc.price_usd AS price,
       hc.without_price,
       sum(e.sats)::BIGINT AS sats
FROM entries e
JOIN height_price hc ON hc.height = e.created_height
LEFT JOIN height_price hs ON hs.height = e.spent_height
GROUP BY ALL
HAVING sum(e.sats) <> 0
