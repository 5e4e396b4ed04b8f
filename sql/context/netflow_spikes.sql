-- reads: netflow_days
-- returns: rows (day, netflow, zscore, signal)
-- params: $window, $min_periods, $z
-- Exchange netflow spikes: each day's netflow (netflow_days(day, netflow), a continuous calendar)
-- as a z-score against the previous $window days (sample standard deviation, at least
-- $min_periods of them); a signal is a net inflow day whose z-score is >= $z.
WITH w AS (
    SELECT day, netflow,
           avg(netflow) OVER prev AS mu,
           stddev_samp(netflow) OVER prev AS sd,
           count(netflow) OVER prev AS n
    FROM netflow_days
    WINDOW prev AS (ORDER BY day ROWS BETWEEN $window PRECEDING AND 1 PRECEDING)
)
SELECT day, netflow,
       CASE WHEN n >= $min_periods AND sd > 0 THEN (netflow - mu) / sd END AS zscore,
       coalesce(n >= $min_periods AND sd > 0 AND netflow > 0 AND (netflow - mu) / sd >= $z, false) AS signal
FROM w
ORDER BY day
