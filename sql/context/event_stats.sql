-- reads: event_horizons, event_returns
-- returns: rows (horizon_days, sample, count, mean_return_pct, median_return_pct, share_negative_pct, mean_etf_flow_usd, mean_long_liquidations_usd, mean_short_liquidations_usd)
-- params: none
-- Per horizon: the signal days' forward returns against the baseline of all days (mean, median,
-- share negative, count), and the mean context over the horizon where it was known. A horizon
-- without signal days still has its signal row (count 0, statistics null).
SELECT h.horizon AS horizon_days,
       g.sample,
       count(r.ret) AS count,
       avg(r.ret) * 100 AS mean_return_pct,
       median(r.ret) * 100 AS median_return_pct,
       avg(CASE WHEN r.ret < 0 THEN 1.0 WHEN r.ret >= 0 THEN 0.0 END) * 100 AS share_negative_pct,
       avg(r.etf_usd) AS mean_etf_flow_usd,
       avg(r.long_usd) AS mean_long_liquidations_usd,
       avg(r.short_usd) AS mean_short_liquidations_usd
FROM event_horizons h
CROSS JOIN (VALUES ('signal'), ('baseline')) g(sample)
LEFT JOIN event_returns r ON r.horizon = h.horizon AND (g.sample = 'baseline' OR r.is_signal)
GROUP BY h.horizon, g.sample
ORDER BY h.horizon, g.sample DESC
