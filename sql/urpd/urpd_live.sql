-- reads: lots, cohort_bands
-- creates: urpd_live (temp table)
-- params: $cohort, $day
-- Bitcoin live supply of cohort $cohort as of $day by creation price (sats), for urpd_buckets.sql;
-- nop: the part created before the first price point (urpd_without_price.sql).
CREATE OR REPLACE TEMP TABLE urpd_live AS
SELECT l.price, sum(l.sats) AS amount, fsum(l.sats * l.price) AS cap,
       sum(CASE WHEN l.without_price THEN l.sats ELSE 0 END) AS nop
FROM lots l JOIN cohort_bands b ON b.cohort = $cohort
WHERE l.f_day <= $day AND (l.s_day IS NULL OR l.s_day > $day)
  AND $day + 1 - l.c_day >= b.lo_days
  AND (b.hi_days IS NULL OR $day + 1 - l.c_day < b.hi_days)
GROUP BY l.price;
