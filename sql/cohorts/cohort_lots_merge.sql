-- reads: __lots_new, __lots_reprice
-- creates: __lots_delta (temp table)
-- params: none
-- The lot changes of new blocks (cohort_lots_delta.sql) and of re-priced old blocks
-- (cohort_lots_reprice.sql) as one signed table, summed per lot key.
CREATE OR REPLACE TEMP TABLE __lots_delta AS
SELECT f_day, c_day, s_day, price, without_price, sum(sats)::BIGINT AS sats
FROM (SELECT * FROM __lots_new UNION ALL SELECT * FROM __lots_reprice)
GROUP BY ALL
HAVING sum(sats) <> 0;
