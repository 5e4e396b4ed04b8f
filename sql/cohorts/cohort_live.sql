-- reads: live_events, cohort_bands
-- creates: cohort_live (temp table)
-- params: $from_day, $to_day
-- Live supply by (day, cohort, creation price) for every day in [$from_day, $to_day]: the
-- distribution that profit share, standard deviation and quantiles need.
-- Input `live_events(c_day, price, day, d)`: per creation key (c_day, price) the live value is a
-- step function of the day, +value when coins appear, -value when they are spent
-- (live_events_full.sql from all lots, live_events_recent.sql from a persisted snapshot plus the
-- lots that changed after it). A running sum gives constant segments, which are expanded to the
-- requested days only. Cost: creation keys x requested days, independent of the coin count.
CREATE OR REPLACE TEMP TABLE cohort_live AS
WITH key_days AS (
    SELECT c_day, price, day, sum(d) AS d FROM live_events WHERE day <= $to_day GROUP BY ALL
), segments AS (
    SELECT c_day, price, day AS seg_from,
           coalesce(lead(day) OVER (PARTITION BY c_day, price ORDER BY day), $to_day + 1) AS seg_to,
           -- the window spelled out twice: a named window refined by a frame is not Spark SQL
           sum(d) OVER (PARTITION BY c_day, price ORDER BY day ROWS UNBOUNDED PRECEDING) AS sats
    FROM key_days
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
