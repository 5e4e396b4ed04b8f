-- reads: holdings, realized
-- returns: rows (address, balance, cost_usd, avg_cost_usd, acq_time, age_days, realized_usd)
-- params: $cutoff
-- Per address holdings as of $cutoff (exclusive end of the as-of day, unix seconds):
-- units valid at the cutoff summed per address (one unit per address for avg, one per lot
-- for fifo); acquisition time value-weighted; realized P/L of disposals before the cutoff.
WITH live AS (
    SELECT address, sum(amount) AS balance, sum(cost_usd) AS cost_usd,
           sum(amount * acq_time) / sum(amount) AS acq_time
    FROM holdings
    WHERE valid_from < $cutoff AND (valid_to IS NULL OR valid_to >= $cutoff) AND amount > 0
    GROUP BY address
), pl AS (
    SELECT address, sum(realized_usd) AS realized_usd FROM realized WHERE time < $cutoff GROUP BY address
)
SELECT coalesce(l.address, p.address) AS address,
       coalesce(l.balance, 0.0) AS balance,
       coalesce(l.cost_usd, 0.0) AS cost_usd,
       l.cost_usd / l.balance AS avg_cost_usd,
       l.acq_time,
       ($cutoff - l.acq_time) / 86400.0 AS age_days,
       coalesce(p.realized_usd, 0.0) AS realized_usd
FROM live l FULL OUTER JOIN pl p ON p.address = l.address
ORDER BY balance DESC, address;
