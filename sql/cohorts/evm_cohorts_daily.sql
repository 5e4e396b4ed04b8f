-- reads: evm_cohort_live, prices, cohort_bands
-- returns: rows (day, cohort, supply, realized_cap_usd, realized_price_usd, price_usd, mvrv, cost_basis_std_usd, supply_in_profit_pct)
-- params: $from_day, $to_day
-- One row per (day, cohort) in [$from_day, $to_day] from evm_cohort_live: supply, realized
-- cap and price, MVRV against the day's price, supply-weighted standard deviation of the
-- holders' cost basis and the share of supply whose cost basis is below the day's price.
-- Every cohort appears every day (zero supply -> NULL ratios), like the Bitcoin output.
WITH agg AS (
    SELECT day, cohort, sum(amount) AS supply, fsum(amount * price) AS cap
    FROM evm_cohort_live GROUP BY day, cohort
), day_price AS (
    SELECT date - DATE '1970-01-01' AS day, price_usd FROM prices
), dist AS (
    SELECT l.day, l.cohort,
           sqrt(greatest(fsum(l.amount * (l.price - a.cap / a.supply) * (l.price - a.cap / a.supply)) / a.supply, 0)) AS std,
           sum(CASE WHEN l.price < p.price_usd THEN l.amount ELSE 0 END) AS profit
    FROM evm_cohort_live l
    JOIN agg a ON a.day = l.day AND a.cohort = l.cohort
    LEFT JOIN day_price p ON p.day = l.day
    GROUP BY l.day, l.cohort, a.supply, a.cap
), grid AS (
    SELECT unnest(range($from_day, $to_day + 1)) AS day, b.cohort, b.ord FROM cohort_bands b
)
SELECT g.day,
       g.cohort,
       coalesce(a.supply, 0.0) AS supply,
       coalesce(a.cap, 0.0) AS realized_cap_usd,
       CASE WHEN coalesce(a.supply, 0) = 0 THEN NULL ELSE a.cap / a.supply END AS realized_price_usd,
       p.price_usd,
       CASE WHEN coalesce(a.supply, 0) = 0 OR a.cap = 0 THEN NULL ELSE p.price_usd / (a.cap / a.supply) END AS mvrv,
       CASE WHEN coalesce(a.supply, 0) = 0 THEN NULL ELSE d.std END AS cost_basis_std_usd,
       CASE WHEN coalesce(a.supply, 0) = 0 OR p.price_usd IS NULL THEN NULL ELSE 100.0 * d.profit / a.supply END
           AS supply_in_profit_pct
FROM grid g
LEFT JOIN agg a ON a.day = g.day AND a.cohort = g.cohort
LEFT JOIN dist d ON d.day = g.day AND d.cohort = g.cohort
LEFT JOIN day_price p ON p.day = g.day
ORDER BY g.day, g.ord;
