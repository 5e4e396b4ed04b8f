-- reads: outputs, repriced, coin_flows, height_price, height_price_old
-- returns: rows (f_day, c_day, s_day, price, without_price, sats)
-- params: $after
-- Lot changes when the creation price of already-counted blocks changed (prices re-imported):
-- for the heights in `repriced`, the lots they fed at the old price (height_price_old) are
-- removed and added back at the new one (height_price). Only blocks at or below $after, i.e.
-- those already in the state; the new blocks come from cohort_lots_delta.sql at the new price.
WITH entries AS (
    SELECT height AS created_height, NULL::INTEGER AS spent_height, sum(value) AS sats
    FROM outputs WHERE spendable AND height <= $after AND height IN (SELECT height FROM repriced) GROUP BY height
    UNION ALL
    SELECT created_height, spent_height, sum(value) FROM coin_flows
    WHERE spent_height <= $after AND created_height IN (SELECT height FROM repriced) GROUP BY created_height, spent_height
    UNION ALL
    SELECT created_height, NULL, -sum(value) FROM coin_flows
    WHERE spent_height <= $after AND created_height IN (SELECT height FROM repriced) GROUP BY created_height
), signed AS (
    SELECT hc.time AS c_time, hs.time AS s_time, hc.price_usd AS price, hc.without_price, e.sats, e.spent_height
    FROM entries e JOIN height_price hc ON hc.height = e.created_height
    LEFT JOIN height_price hs ON hs.height = e.spent_height
    UNION ALL
    SELECT hc.time, hs.time, hc.price_usd, hc.without_price, -e.sats, e.spent_height
    FROM entries e JOIN height_price_old hc ON hc.height = e.created_height
    LEFT JOIN height_price_old hs ON hs.height = e.spent_height
)
SELECT c_time // 86400 AS f_day,
       (c_time + 86399) // 86400 AS c_day,
       CASE WHEN spent_height IS NOT NULL THEN greatest(s_time // 86400, c_time // 86400) END AS s_day,
       price,
       without_price,
       sum(sats)::BIGINT AS sats
FROM signed
GROUP BY ALL
HAVING sum(sats) <> 0
