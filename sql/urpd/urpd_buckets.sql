-- reads: prices, urpd_live
-- returns: rows (bucket_low_usd, bucket_high_usd, supply, realized_cap_usd, in_profit)
-- params: $day, $mode, $width, $n, $scale
-- URPD buckets over urpd_live(price, amount, cap): the live supply of one cohort as of $day,
-- grouped by cost-basis price (filled by urpd_live.sql for Bitcoin, evm_urpd_live.sql for EVM).
--   $mode 'linear': $n equal buckets from 0 to the all-time-high price as of $day
--   $mode 'log':    $n log-spaced buckets from the first positive price to the ATH; coins below
--                   (creation price 0: created before the first price point) get a [0, low) bucket
--   $mode 'usd':    fixed width $width from 0 up to the ATH
-- The ATH is raised to the highest cost basis when that is higher (an EVM average cost can be).
-- Amounts are divided by $scale (1e8: sats -> BTC). in_profit: the whole bucket lies at or below
-- the price of $day (bucket_high_usd <= price); NULL when $day has no price row.
WITH p AS (
    SELECT max(price_usd) AS ath, min(price_usd) AS low,
           max(CASE WHEN date - DATE '1970-01-01' = $day THEN price_usd END) AS price_today
    FROM prices WHERE date - DATE '1970-01-01' <= $day
), spec AS (
    SELECT greatest(p.ath, coalesce((SELECT max(price) FROM urpd_live), 0)) AS ath, p.low, p.price_today,
           CASE $mode WHEN 'usd' THEN floor(greatest(p.ath, coalesce((SELECT max(price) FROM urpd_live), 0)) / $width)::BIGINT + 1
                      ELSE $n END AS n_buckets
    FROM p
), bucketed AS (
    SELECT CASE $mode
             WHEN 'linear' THEN least(floor(live.price / (s.ath / s.n_buckets))::BIGINT, s.n_buckets - 1)
             WHEN 'log' THEN CASE WHEN live.price < s.low THEN -1
                                  WHEN s.ath <= s.low THEN 0
                                  ELSE least(floor(ln(live.price / s.low) / ln(s.ath / s.low) * s.n_buckets)::BIGINT,
                                             s.n_buckets - 1) END
             ELSE floor(live.price / $width)::BIGINT END AS idx,
           live.amount, live.cap
    FROM urpd_live live CROSS JOIN spec s
), agg AS (
    SELECT idx, sum(amount) AS amount, fsum(cap) AS cap FROM bucketed GROUP BY idx
), buckets AS (
    SELECT unnest(range(CASE WHEN $mode = 'log' AND EXISTS (SELECT 1 FROM agg WHERE idx = -1) THEN -1 ELSE 0 END,
                        (SELECT n_buckets FROM spec))) AS idx
), edges AS (
    SELECT idx,
           CASE $mode
             WHEN 'linear' THEN s.ath * idx / s.n_buckets
             WHEN 'log' THEN CASE WHEN idx < 0 THEN 0.0 ELSE s.low * pow(s.ath / s.low, idx / s.n_buckets) END
             ELSE $width * idx END AS lo,
           CASE $mode
             WHEN 'linear' THEN s.ath * (idx + 1) / s.n_buckets
             WHEN 'log' THEN CASE WHEN idx < 0 THEN s.low ELSE s.low * pow(s.ath / s.low, (idx + 1) / s.n_buckets) END
             ELSE $width * (idx + 1) END AS hi,
           s.price_today
    FROM buckets CROSS JOIN spec s
)
SELECT e.lo AS bucket_low_usd,
       e.hi AS bucket_high_usd,
       coalesce(a.amount, 0) / $scale AS supply,
       coalesce(a.cap, 0.0) / $scale AS realized_cap_usd,
       CASE WHEN e.price_today IS NULL THEN NULL ELSE e.hi <= e.price_today END AS in_profit
FROM edges e LEFT JOIN agg a USING (idx)
ORDER BY e.idx;
