-- Coin lots: value grouped by everything an age-cohort metric depends on.
--   f_day = floor(creation time / 86400): first UTC day the coin is in the as-of set
--   c_day = ceil(creation time / 86400): age as of day D in whole days is D + 1 - c_day
--   s_day = floor(spend time / 86400): first day the coin is no longer live (NULL: unspent);
--           clamped to f_day because block times are not monotonic (a spend stamped before its
--           creation block means the coin is never live as of any date)
--   price = creation price (height_price)
-- Creation comes from outputs (spendable only: OP_RETURN and the genesis output are excluded),
-- spends from coin_flows (inputs aggregated per spent/created block), so no input is joined to
-- past outputs. The never-spent remainder of a creation block is a lot with s_day NULL.
CREATE OR REPLACE TEMP TABLE lots AS
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
SELECT hc.time // 86400 AS f_day,
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
