-- reads: height_price_old_raw
-- creates: height_price_old (temp view)
-- params: none
-- The state's block prices before this update, under their own name (cohort_lots_reprice.sql
-- moves lots from these prices to the new ones).
CREATE OR REPLACE TEMP VIEW height_price_old AS SELECT * FROM height_price_old_raw;
