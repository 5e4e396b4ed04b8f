-- reads: onchain_periods, context_rows
-- returns: rows (row_id, key, value)
-- params: $unit
-- The --with join: for each row of an on-chain table (onchain_periods(row_id, period), its UTC day
-- or hour as a period number of $unit seconds) the value of each context series (context_rows(key,
-- time, value, agg)) for the same period, aggregated as in context_by_period.sql: flows summed,
-- levels the period's last value. A period without context rows yields no row here, so the column
-- stays null for it, never 0.
WITH wanted AS (
    SELECT DISTINCT period FROM onchain_periods
),
per AS (
    SELECT c.key,
           c.time // $unit AS period,
           CASE any_value(c.agg)
               WHEN 'sum' THEN sum(c.value)
               WHEN 'first' THEN arg_min(c.value, c.time)
               WHEN 'max' THEN max(c.value)
               WHEN 'min' THEN min(c.value)
               ELSE arg_max(c.value, c.time)
           END AS value
    FROM context_rows c
    WHERE c.time // $unit IN (SELECT period FROM wanted)
    GROUP BY c.key, c.time // $unit
)
SELECT o.row_id, per.key, per.value
FROM onchain_periods o
JOIN per ON per.period = o.period
ORDER BY o.row_id, per.key
