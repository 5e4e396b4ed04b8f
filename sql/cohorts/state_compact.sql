-- reads: height_price, lots, cohort_events, daily_raw, dist_base, tlots, cohort_events_logistic, ldaily_raw
-- creates: __compact_height_price (temp table), __compact_lots (temp table), __compact_events (temp table), __compact_daily (temp table), __compact_base (temp table), __compact_tlots (temp table), __compact_levents (temp table), __compact_ldaily (temp table)
-- params: none
-- One statement per table of the cohort state (state_sql.py runs the one it needs): the whole of
-- a table (persisted segments + the new one) as one segment, when it has too many.
CREATE OR REPLACE TEMP TABLE __compact_height_price AS SELECT * FROM height_price;
CREATE OR REPLACE TEMP TABLE __compact_lots AS SELECT * FROM lots;
CREATE OR REPLACE TEMP TABLE __compact_events AS
SELECT cohort, day, d_sats, d_cap::DECIMAL(38,0) AS d_cap, d_nop FROM cohort_events
WHERE d_sats <> 0 OR d_cap <> 0 OR d_nop <> 0;
CREATE OR REPLACE TEMP TABLE __compact_daily AS SELECT * FROM daily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day);
CREATE OR REPLACE TEMP TABLE __compact_base AS SELECT * FROM dist_base;
CREATE OR REPLACE TEMP TABLE __compact_tlots AS SELECT * FROM tlots;
CREATE OR REPLACE TEMP TABLE __compact_levents AS
SELECT cohort, day, d_sats, d_cap::DECIMAL(38,0) AS d_cap, d_nop FROM cohort_events_logistic
WHERE d_sats <> 0 OR d_cap <> 0 OR d_nop <> 0;
CREATE OR REPLACE TEMP TABLE __compact_ldaily AS SELECT * FROM ldaily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day);
