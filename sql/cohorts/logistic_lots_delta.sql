-- reads: outputs, coin_flows, height_price
-- returns: rows (c_time, price, without_price, s_day, sats)
-- params: $after
-- The logistic holder split's lots (table tlots of the cohort state): like cohort_lots_delta.sql,
-- signed changes brought by the blocks above $after, but keyed by the exact creation block time
-- (the weight depends on the age in seconds) and only as far as the 100-210 day window
-- (logistic_transition.sql) can tell them apart: a lot counts there on the days
-- [c_day + 99, min(s_day, c_day + 209)), so a spend at or before c_day + 99 leaves nothing (the
-- row is dropped; its -value on the unspent key stays) and one at or after c_day + 209 is the
-- same as unspent (s_day NULL). Rows: creation blocks x spend days inside the window.
WITH entries AS (
    SELECT height AS created_height, NULL::INTEGER AS spent_height, sum(value) AS sats
    FROM outputs WHERE spendable AND height > $after GROUP BY height
    UNION ALL
    SELECT created_height, spent_height, sum(value) FROM coin_flows
    WHERE spent_height > $after GROUP BY created_height, spent_height
    UNION ALL
    SELECT created_height, NULL, -sum(value) FROM coin_flows
    WHERE spent_height > $after GROUP BY created_height
), keyed AS (
    SELECT hc.time AS c_time,
           (hc.time + 86399) // 86400 AS c_day,
           hc.price_usd AS price,
           hc.without_price,
           CASE WHEN e.spent_height IS NOT NULL THEN greatest(hs.time // 86400, hc.time // 86400) END AS s_day,
           e.sats
    FROM entries e
    JOIN height_price hc ON hc.height = e.created_height
    LEFT JOIN height_price hs ON hs.height = e.spent_height
)
SELECT c_time, price, without_price,
       CASE WHEN s_day < c_day + 209 THEN s_day END AS s_day,
       sum(sats)::BIGINT AS sats
FROM keyed
WHERE s_day IS NULL OR s_day > c_day + 99
GROUP BY ALL
HAVING sum(sats) <> 0
