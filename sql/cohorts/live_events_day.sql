-- reads: lots
-- creates: live_events (temp table)
-- params: $day
-- The live value per creation key as of the one day $day, read straight from the lots alive on it
-- (no running sums over the history): cohort_live.sql for [$day, $day] then gives the same rows
-- as from live_events_full.sql, at the cost of one filtered scan of the lots.
CREATE OR REPLACE TEMP TABLE live_events AS
SELECT c_day, price, $day AS day, sum(sats) AS d FROM lots
WHERE f_day <= $day AND (s_day IS NULL OR s_day > $day)
GROUP BY ALL;
