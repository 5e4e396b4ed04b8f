-- reads: cohort_events, cohort_bands, cohort_transition, prices, cohort_live
-- returns: rows (day, cohort, supply_btc, realized_cap_usd, realized_price_usd, price_usd, mvrv, cost_basis_std_usd, supply_in_profit_pct, coins_without_price_btc)
-- params: $from_day, $to_day
-- One row per (day, cohort) for [$from_day, $to_day]: supply and realized cap are running sums
-- of cohort_events (days before $from_day fold into the first day; days with no block carry the
-- previous value); price of day D is D's price row; profit share and standard deviation come
-- from cohort_live (the supply-weighted creation-price distribution of that day).
WITH spine AS (
    SELECT unnest(range($from_day, $to_day + 1)) AS day
), deltas AS (
    SELECT cohort, greatest(day, $from_day) AS day, d_sats, d_cap, d_nop
    FROM cohort_events WHERE day <= $to_day
    UNION ALL
    SELECT b.cohort, s.day, 0, 0::HUGEINT, 0 FROM cohort_bands b CROSS JOIN spine s
), per_day AS (
    SELECT cohort, day, sum(d_sats) AS d_sats, sum(d_cap) AS d_cap, sum(d_nop) AS d_nop
    FROM deltas GROUP BY cohort, day
), running AS (
    SELECT cohort, day,
           sum(d_sats) OVER w AS sats,
           sum(d_cap) OVER w AS cap_units,  -- 1e-15 USD x sat, exact
           sum(d_nop) OVER w AS nop_sats
    FROM per_day
    WINDOW w AS (PARTITION BY cohort ORDER BY day ROWS UNBOUNDED PRECEDING)
), total AS (
    -- logistic split: add the STH/LTH shares of coins aged 100-210 days (empty for the hard split)
    SELECT r.cohort, r.day, r.sats + coalesce(t.sats, 0) AS sats, r.cap_units::DOUBLE / 1e15 + coalesce(t.cap, 0) AS cap,
           r.nop_sats + coalesce(t.nop, 0) AS nop_sats
    FROM running r LEFT JOIN cohort_transition t ON t.day = r.day AND t.cohort = r.cohort
), day_price AS (
    SELECT date - DATE '1970-01-01' AS day, price_usd FROM prices
), dist_mean AS (
    SELECT l.day, l.cohort, sum(l.sats) AS sats, fsum(l.sats * l.price) / sum(l.sats) AS mean_price,
           sum(CASE WHEN l.price < p.price_usd THEN l.sats ELSE 0 END) AS profit_sats,
           bool_or(p.price_usd IS NULL) AS no_price
    FROM cohort_live l LEFT JOIN day_price p ON p.day = l.day
    GROUP BY l.day, l.cohort
), dist AS (
    SELECT m.day, m.cohort, m.profit_sats, m.no_price,
           sqrt(greatest(fsum(l.sats * (l.price - m.mean_price) * (l.price - m.mean_price)) / m.sats, 0)) AS std
    FROM cohort_live l JOIN dist_mean m ON m.day = l.day AND m.cohort = l.cohort
    GROUP BY m.day, m.cohort, m.profit_sats, m.no_price, m.sats
)
SELECT r.day,
       r.cohort,
       r.sats::DOUBLE / 1e8 AS supply_btc,
       CASE WHEN r.sats = 0 THEN 0.0 ELSE r.cap / 1e8 END AS realized_cap_usd,
       CASE WHEN r.sats = 0 THEN NULL ELSE r.cap / r.sats END AS realized_price_usd,
       p.price_usd,
       CASE WHEN r.sats = 0 OR r.cap = 0 THEN NULL ELSE p.price_usd / (r.cap / r.sats) END AS mvrv,
       CASE WHEN r.sats = 0 THEN NULL ELSE coalesce(d.std, 0.0) END AS cost_basis_std_usd,
       CASE WHEN r.sats = 0 OR p.price_usd IS NULL THEN NULL
            ELSE 100.0 * coalesce(d.profit_sats, 0) / r.sats END AS supply_in_profit_pct,
       r.nop_sats::DOUBLE / 1e8 AS coins_without_price_btc
FROM total r
JOIN cohort_bands b ON b.cohort = r.cohort
LEFT JOIN day_price p ON p.day = r.day
LEFT JOIN dist d ON d.day = r.day AND d.cohort = r.cohort
WHERE r.day BETWEEN $from_day AND $to_day
ORDER BY r.day, b.ord;
