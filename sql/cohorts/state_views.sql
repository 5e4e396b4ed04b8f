-- reads: height_price_raw, lots_raw, events_raw, daily_raw, base_raw, tlots_raw, levents_raw, ldaily_raw
-- creates: height_price (temp view), lots (temp view), cohort_events (temp view), daily_rows (temp view), dist_base (temp view), tlots (temp view), cohort_events_logistic (temp view), daily_rows_logistic (temp view)
-- params: none
-- What the engine reads of the persisted cohort state (engine/bitcoin/cohort_state.py): views over
-- the raw segments `<table>_raw` (segment files and temp tables, summed: the lot and event tables
-- are signed changes, the daily tables keep the newest generation of a day). One statement per
-- view, each `CREATE OR REPLACE TEMP VIEW <name> AS <select>` (state_sql.py reads them by name).
-- When `lots` is a single segment its keys are already unique and state_sql.py reads lots_raw as
-- it is (lots_single.sql), without re-aggregating millions of rows for every query.
CREATE OR REPLACE TEMP VIEW height_price AS SELECT height, time, price_usd, without_price FROM height_price_raw;
CREATE OR REPLACE TEMP VIEW lots AS
SELECT f_day, c_day, s_day, price, without_price, sum(sats)::BIGINT AS sats FROM lots_raw GROUP BY ALL HAVING sum(sats) <> 0;
CREATE OR REPLACE TEMP VIEW cohort_events AS
SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap::HUGEINT) AS d_cap, sum(d_nop)::BIGINT AS d_nop
FROM events_raw GROUP BY cohort, day;
CREATE OR REPLACE TEMP VIEW daily_rows AS SELECT * EXCLUDE (gen) FROM daily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day);
CREATE OR REPLACE TEMP VIEW dist_base AS SELECT c_day, price, sats FROM base_raw;
CREATE OR REPLACE TEMP VIEW tlots AS
SELECT c_time, price, without_price, s_day, sum(sats)::BIGINT AS sats FROM tlots_raw GROUP BY ALL HAVING sum(sats) <> 0;
CREATE OR REPLACE TEMP VIEW cohort_events_logistic AS
SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap::HUGEINT) AS d_cap, sum(d_nop)::BIGINT AS d_nop
FROM levents_raw GROUP BY cohort, day;
CREATE OR REPLACE TEMP VIEW daily_rows_logistic AS
SELECT * EXCLUDE (gen) FROM ldaily_raw QUALIFY gen = max(gen) OVER (PARTITION BY day);
