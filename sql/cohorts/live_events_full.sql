-- reads: lots
-- creates: live_events (temp table)
-- params: $to_day
-- Step events of the live value per creation key, from every lot (see cohort_live.sql).
CREATE OR REPLACE TEMP TABLE live_events AS
SELECT c_day, price, f_day AS day, sum(sats) AS d FROM lots WHERE f_day <= $to_day GROUP BY ALL
UNION ALL
SELECT c_day, price, s_day AS day, -sum(sats) AS d FROM lots
WHERE s_day IS NOT NULL AND f_day <= $to_day AND s_day <= $to_day GROUP BY ALL;
