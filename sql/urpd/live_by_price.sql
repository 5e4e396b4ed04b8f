-- reads: lots, cohort_bands
-- returns: rows (creation_price_usd, supply_btc, without_price_btc)
-- params: $cohort, $day
-- Live supply of one cohort as of day $day, by distinct creation price (the cost-basis
-- distribution URPD, clusters and quantiles are built from). Reads the lots directly: one day
-- needs no running sums.
SELECT l.price AS creation_price_usd,
       sum(l.sats) / 1e8 AS supply_btc,
       sum(CASE WHEN l.without_price THEN l.sats ELSE 0 END) / 1e8 AS without_price_btc
FROM lots l
JOIN cohort_bands b ON b.cohort = $cohort
WHERE l.f_day <= $day
  AND (l.s_day IS NULL OR l.s_day > $day)
  AND $day + 1 - l.c_day >= b.lo_days
  AND (b.hi_days IS NULL OR $day + 1 - l.c_day < b.hi_days)
GROUP BY l.price
HAVING sum(l.sats) <> 0
ORDER BY l.price;
