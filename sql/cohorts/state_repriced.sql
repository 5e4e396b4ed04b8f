-- reads: __hp_new, height_price_old
-- creates: repriced (temp table)
-- returns: rows (n)
-- params: none
-- Re-imported prices: the blocks of the state (height_price_old) whose price or without-price flag
-- differs in the new block prices (__hp_new); their lots move (cohort_lots_reprice.sql).
CREATE OR REPLACE TEMP TABLE repriced AS
SELECT n.height FROM __hp_new n JOIN height_price_old o USING (height)
WHERE n.price_usd IS DISTINCT FROM o.price_usd OR n.without_price IS DISTINCT FROM o.without_price;
SELECT count(*) AS n FROM repriced;
