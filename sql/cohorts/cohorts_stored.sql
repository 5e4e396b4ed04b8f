-- reads: daily_rows, cohort_bands
-- returns: rows (d.*)
-- params: $from_day, $to_day
-- The persisted rows of sql/cohorts_daily.sql (hard split) for [$from_day, $to_day], in the same
-- order; daily_rows is the newest stored row per day (engine/bitcoin/cohort_state.py).
SELECT d.*
FROM daily_rows d JOIN cohort_bands b ON b.cohort = d.cohort
WHERE d.day BETWEEN $from_day AND $to_day
ORDER BY d.day, b.ord
