-- reads: dist_base, recent_lots
-- creates: live_events (temp table)
-- params: $base_day, $to_day
-- Step events of the live value per creation key for days after the snapshot day $base_day:
-- the snapshot (live value per key as of $base_day, table dist_base) enters on $base_day + 1,
-- then only lots that change after it: created after it (+value) or spent after it (-value).
-- A lot with f_day <= $base_day and s_day NULL or <= $base_day is fully accounted for by the
-- snapshot, so the cost follows the recent lots, not the history.
CREATE OR REPLACE TEMP TABLE live_events AS
SELECT c_day, price, $base_day + 1 AS day, sats AS d FROM dist_base
UNION ALL
SELECT c_day, price, f_day, sum(sats) FROM recent_lots WHERE f_day > $base_day AND f_day <= $to_day GROUP BY ALL
UNION ALL
SELECT c_day, price, s_day, -sum(sats) FROM recent_lots
WHERE s_day IS NOT NULL AND s_day > $base_day AND s_day <= $to_day GROUP BY ALL;
