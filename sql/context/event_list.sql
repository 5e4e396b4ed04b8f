-- reads: event_returns
-- returns: rows (day, horizon_days, return_pct, etf_flow_usd, long_liquidations_usd, short_liquidations_usd)
-- params: none
-- The signal days of event_returns.sql, one row per (day, horizon).
SELECT day, horizon AS horizon_days, ret * 100 AS return_pct, etf_usd AS etf_flow_usd,
       long_usd AS long_liquidations_usd, short_usd AS short_liquidations_usd
FROM event_returns
WHERE is_signal
ORDER BY day, horizon
