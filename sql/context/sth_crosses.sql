-- reads: sth_days
-- returns: rows (day, price, realized_price, cross)
-- params: none
-- Days on which the price crosses the short-term-holder realized price (sth_days(day, price,
-- realized_price)): 'down' when the day before closed at or above it and this day below, 'up' the
-- other way round; null otherwise (also after a day without a value).
WITH l AS (
    SELECT day, price, realized_price,
           lag(day) OVER (ORDER BY day) AS prev_day,
           lag(price) OVER (ORDER BY day) AS prev_price,
           lag(realized_price) OVER (ORDER BY day) AS prev_rp
    FROM sth_days
    WHERE price IS NOT NULL AND realized_price IS NOT NULL
)
SELECT day, price, realized_price,
       CASE WHEN prev_day = day - 1 AND prev_price >= prev_rp AND price < realized_price THEN 'down'
            WHEN prev_day = day - 1 AND prev_price < prev_rp AND price >= realized_price THEN 'up' END AS cross
FROM l
ORDER BY day
