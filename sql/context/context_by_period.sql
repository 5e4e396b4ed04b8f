-- reads: context_rows
-- returns: rows (key, period, value, n)
-- params: $unit, $t_from, $t_to
-- Context series per period of $unit seconds (86400: UTC days, 3600: hours), from
-- context_rows(key, time, value, agg): a row belongs to the period of its timestamp (a kline's open
-- time, a day's 00:00). Flows (agg 'sum') add up within the period; levels take the period's last
-- value ('last'), an OHLC's open its first, high its max, low its min. Periods without rows are
-- absent (the caller shows them as null, never 0). $t_from/$t_to (unix s, end exclusive) may be NULL.
SELECT key,
       time // $unit AS period,
       CASE any_value(agg)
           WHEN 'sum' THEN sum(value)
           WHEN 'first' THEN arg_min(value, time)
           WHEN 'max' THEN max(value)
           WHEN 'min' THEN min(value)
           ELSE arg_max(value, time)
       END AS value,
       count(*) AS n
FROM context_rows
WHERE ($t_from IS NULL OR time >= $t_from) AND ($t_to IS NULL OR time < $t_to)
GROUP BY key, period
ORDER BY key, period
