-- reads: lots
-- creates: recent_lots (temp table)
-- params: $base_day
-- The lots that change after the snapshot day $base_day (created or spent after it): with the
-- snapshot dist_base they give every later day's distribution (live_events_recent.sql,
-- cohort_dist_base_roll.sql). Few rows: kept as a table, read twice.
CREATE OR REPLACE TEMP TABLE recent_lots AS
SELECT * FROM lots WHERE coalesce(s_day, f_day) > $base_day;
