-- reads: daily_rows, prices
-- returns: rows (day)
-- params: none
-- First stored day whose price row changed (re-imported prices): its rows are recomputed.
SELECT min(d.day) AS day
FROM daily_rows d LEFT JOIN prices p ON p.date - DATE '1970-01-01' = d.day
WHERE d.cohort = 'all' AND d.price_usd IS DISTINCT FROM p.price_usd
