-- reads: event_prices, event_horizons, event_signals, event_context
-- creates: event_returns (temp table)
-- params: $from_day, $to_day
-- The event study's rows: for every day d in [$from_day, $to_day] with a price and every horizon h
-- with a price on d + h, the forward return price(d + h) / price(d) - 1, whether d is a signal day,
-- and the context over the same horizon (days d+1 .. d+h): ETF net flows and long/short liquidations
-- summed, but only when the series covers every one of those days (event_context holds a row per
-- covered day, 0 on a covered day without a session), else null.
CREATE OR REPLACE TEMP TABLE event_returns AS
SELECT p.day,
       h.horizon,
       s.day IS NOT NULL AS is_signal,
       f.price / p.price - 1 AS ret,
       (SELECT CASE WHEN count(c.etf_usd) = h.horizon THEN sum(c.etf_usd) END
          FROM event_context c WHERE c.day > p.day AND c.day <= p.day + h.horizon) AS etf_usd,
       (SELECT CASE WHEN count(c.long_usd) = h.horizon THEN sum(c.long_usd) END
          FROM event_context c WHERE c.day > p.day AND c.day <= p.day + h.horizon) AS long_usd,
       (SELECT CASE WHEN count(c.short_usd) = h.horizon THEN sum(c.short_usd) END
          FROM event_context c WHERE c.day > p.day AND c.day <= p.day + h.horizon) AS short_usd
FROM event_prices p
CROSS JOIN event_horizons h
JOIN event_prices f ON f.day = p.day + h.horizon
LEFT JOIN event_signals s ON s.day = p.day
WHERE p.day BETWEEN $from_day AND $to_day;
