-- reads: etf_sessions
-- returns: rows (day, usd, streak)
-- params: none
-- Outflow streaks of spot-ETF sessions (etf_sessions(day, usd), trading days only): `streak` is
-- the number of consecutive outflow sessions (usd < 0) ending on this session, 0 on an inflow.
WITH s AS (
    SELECT day, usd, usd < 0 AS neg, row_number() OVER (ORDER BY day) AS rn
    FROM etf_sessions
),
g AS (
    SELECT day, usd, neg, rn - row_number() OVER (PARTITION BY neg ORDER BY day) AS grp
    FROM s
)
SELECT day, usd,
       CASE WHEN neg THEN row_number() OVER (PARTITION BY neg, grp ORDER BY day) ELSE 0 END AS streak
FROM g
ORDER BY day
