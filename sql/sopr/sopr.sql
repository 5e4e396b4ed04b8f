-- reads: coin_flows, height_price
-- returns: rows (day, spent_btc, spent_value_usd, sopr, sth_sopr, lth_sopr, cdd)
-- params: $from_day, $to_day
-- Per UTC day of the spending block: SOPR = spent value x spend-block price / spent value x
-- creation price (all, STH, LTH), and coin-days destroyed. STH/LTH split by the coin's age at
-- the spending block time (spend time - creation time, < 155 days is STH). Negative ages
-- (non-monotonic block times) count as 0 coin-days. Reads coin_flows only: the age and prices
-- depend on (created_height, spent_height), which is exactly its key.
WITH spine AS (
    SELECT unnest(range($from_day, $to_day + 1)) AS day
), flows AS (
    SELECT hs.time // 86400 AS day, f.value AS sats, hc.price_usd AS p_create, hs.price_usd AS p_spend,
           hs.time - hc.time AS age_s
    FROM coin_flows f
    JOIN height_price hc ON hc.height = f.created_height
    JOIN height_price hs ON hs.height = f.spent_height
    WHERE hs.time // 86400 BETWEEN $from_day AND $to_day
), daily AS (
    SELECT day,
           sum(sats) AS sats,
           fsum(sats * p_spend) AS spent_usd,
           fsum(sats * p_create) AS created_usd,
           fsum(sats * p_spend) FILTER (WHERE age_s < 155 * 86400) AS sth_spent_usd,
           fsum(sats * p_create) FILTER (WHERE age_s < 155 * 86400) AS sth_created_usd,
           fsum(sats * p_spend) FILTER (WHERE age_s >= 155 * 86400) AS lth_spent_usd,
           fsum(sats * p_create) FILTER (WHERE age_s >= 155 * 86400) AS lth_created_usd,
           fsum(sats * greatest(age_s, 0)::DOUBLE) AS sat_seconds
    FROM flows GROUP BY day
)
SELECT s.day,
       coalesce(d.sats, 0) / 1e8 AS spent_btc,
       coalesce(d.spent_usd, 0.0) / 1e8 AS spent_value_usd,
       d.spent_usd / nullif(d.created_usd, 0) AS sopr,
       d.sth_spent_usd / nullif(d.sth_created_usd, 0) AS sth_sopr,
       d.lth_spent_usd / nullif(d.lth_created_usd, 0) AS lth_sopr,
       coalesce(d.sat_seconds, 0.0) / 86400 / 1e8 AS cdd
FROM spine s LEFT JOIN daily d USING (day)
ORDER BY s.day;
