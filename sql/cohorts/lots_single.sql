-- reads: lots_raw
-- creates: lots (temp view)
-- params: none
-- `lots` when the lot table is one segment (a first build or a compaction, both written with their
-- keys summed and zero totals dropped): the segment is the table, so queries read it directly and
-- DuckDB prunes its row groups by f_day (segments are sorted), instead of summing every key again.
CREATE OR REPLACE TEMP VIEW lots AS SELECT f_day, c_day, s_day, price, without_price, sats FROM lots_raw;
