-- reads: outputs, coin_flows, height_price
-- creates: lots_by_time (temp table)
-- params: none
-- Same lots as cohort_lots_delta.sql (summed over all blocks) but keyed by the exact creation block time: only the logistic
-- holder split needs it (its weight depends on the age in seconds between 100 and 210 days).
CREATE OR REPLACE TEMP TABLE lots_by_time AS
WITH created AS (
    SELECT height AS created_height, sum(value) AS sats
    FROM outputs WHERE spendable GROUP BY height
), spent AS (
    SELECT created_height, spent_height, sum(value) AS sats
    FROM coin_flows GROUP BY created_height, spent_height
), spent_total AS (
    SELECT created_height, sum(sats) AS sats FROM spent GROUP BY created_height
), raw AS (
    SELECT c.created_height, NULL::INTEGER AS spent_height, c.sats - coalesce(t.sats, 0) AS sats
    FROM created c LEFT JOIN spent_total t USING (created_height)
    UNION ALL
    SELECT created_height, spent_height, sats FROM spent
)
SELECT hc.time AS c_time,
       hc.time // 86400 AS f_day,
       (hc.time + 86399) // 86400 AS c_day,
       CASE WHEN hs.time IS NOT NULL THEN greatest(hs.time // 86400, hc.time // 86400) END AS s_day,  -- greatest() skips NULLs
       hc.price_usd AS price,
       hc.without_price,
       sum(r.sats)::BIGINT AS sats
FROM raw r
JOIN height_price hc ON hc.height = r.created_height
LEFT JOIN height_price hs ON hs.height = r.spent_height
WHERE r.spent_height IS NULL OR hs.height IS NOT NULL
GROUP BY ALL
HAVING sum(r.sats) <> 0;
