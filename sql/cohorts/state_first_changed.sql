-- reads: __lots_delta
-- returns: rows (day)
-- params: none
-- First day whose cohort rows the lot changes in __lots_delta alter: per creation key, its
-- creation day when its total changed, else the earliest spend day that changed.
SELECT min(CASE WHEN total <> 0 THEN f_day ELSE first_s END) AS day
FROM (
    SELECT f_day, sum(sats) AS total, min(s_day) FILTER (WHERE sats <> 0) AS first_s
    FROM __lots_delta GROUP BY f_day, c_day, price, without_price
)
