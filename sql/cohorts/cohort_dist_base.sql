-- reads: lots
-- returns: rows (c_day, price, sats)
-- params: $base_day
-- Snapshot of the live value per creation key (c_day, price) as of day $base_day, from every lot:
-- the starting point of live_events_recent.sql.
SELECT c_day, price, sum(sats)::BIGINT AS sats
FROM lots
WHERE f_day <= $base_day AND (s_day IS NULL OR s_day > $base_day)
GROUP BY c_day, price
HAVING sum(sats) <> 0
