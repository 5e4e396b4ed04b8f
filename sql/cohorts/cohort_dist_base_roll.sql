-- reads: dist_base, recent_lots
-- returns: rows (c_day, price, sats)
-- params: $base_day, $new_base_day
-- Move the snapshot of cohort_dist_base.sql from $base_day to $new_base_day using the recent lots
-- only (valid when nothing before $base_day + 1 changed).
SELECT c_day, price, sum(sats)::BIGINT AS sats
FROM (
    SELECT c_day, price, sats FROM dist_base
    UNION ALL
    SELECT c_day, price, sats FROM recent_lots WHERE f_day > $base_day AND f_day <= $new_base_day
    UNION ALL
    SELECT c_day, price, -sats FROM recent_lots WHERE s_day > $base_day AND s_day <= $new_base_day
)
GROUP BY c_day, price
HAVING sum(sats) <> 0
