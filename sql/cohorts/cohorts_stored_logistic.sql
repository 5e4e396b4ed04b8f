-- reads: daily_rows, daily_rows_logistic, cohort_bands
-- returns: rows (d.*)
-- params: $from_day, $to_day
-- The persisted rows of the logistic holder split for [$from_day, $to_day]: the age bands and
-- `all` are those of the hard split (daily_rows), sth and lth the logistic ones; same order as
-- cohorts_daily.sql.
SELECT d.*
FROM (
    SELECT * FROM daily_rows WHERE cohort NOT IN ('sth', 'lth')
    UNION ALL
    SELECT * FROM daily_rows_logistic
) d JOIN cohort_bands b ON b.cohort = d.cohort
WHERE d.day BETWEEN $from_day AND $to_day
ORDER BY d.day, b.ord
