-- reads: balance_parts
-- returns: rows (key, script, delta)
-- params: none
-- Two adjacent segments of per-script balance changes (view balance_parts over their files) as one:
-- changes summed per script, zeros left out, sorted like sql/whales_balance_delta.sql.
SELECT key, script, sum(delta)::BIGINT AS delta
FROM balance_parts
GROUP BY key, script
HAVING sum(delta) <> 0
ORDER BY key, script;
