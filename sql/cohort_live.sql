-- Live supply by (day, cohort, creation price) for every day in [$from_day, $to_day]: the
-- distribution that profit share, standard deviation and quantiles need.
-- Per creation key (f_day, c_day, price) the live value is a step function of the day: +value on
-- f_day, -value on each spend day. A running sum gives constant segments, which are expanded to
-- the requested days only. Cost: creation keys x requested days, independent of the coin count.
CREATE OR REPLACE TEMP TABLE cohort_live AS
WITH key_events AS (
    SELECT f_day, c_day, price, f_day AS day, sum(sats) AS d FROM lots
    WHERE f_day <= $to_day GROUP BY ALL
    UNION ALL
    SELECT f_day, c_day, price, s_day AS day, -sum(sats) AS d FROM lots
    WHERE s_day IS NOT NULL AND f_day <= $to_day AND s_day <= $to_day GROUP BY ALL
), key_days AS (
    SELECT f_day, c_day, price, day, sum(d) AS d FROM key_events GROUP BY ALL
), segments AS (
    SELECT c_day, price, day AS seg_from,
           coalesce(lead(day) OVER w, $to_day + 1) AS seg_to,
           sum(d) OVER (w ROWS UNBOUNDED PRECEDING) AS sats
    FROM key_days
    WINDOW w AS (PARTITION BY f_day, c_day, price ORDER BY day)
), expanded AS (
    SELECT c_day, price, sats,
           unnest(range(greatest(seg_from, $from_day), least(seg_to, $to_day + 1))) AS day
    FROM segments
    WHERE sats <> 0 AND seg_to > $from_day
)
SELECT e.day, b.cohort, e.price, sum(e.sats)::DOUBLE AS sats  -- DOUBLE: exact for sats, and takes logistic weights
FROM expanded e
JOIN cohort_bands b
  ON e.day + 1 - e.c_day >= b.lo_days AND (b.hi_days IS NULL OR e.day + 1 - e.c_day < b.hi_days)
GROUP BY ALL;
