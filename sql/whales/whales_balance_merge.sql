-- reads: balance_parts
-- returns: rows (key, key2, delta)
-- params: none
-- Two adjacent segments of per-script balance changes (view balance_parts (key, key2, delta) over
-- their indexes' rows, costbasis/flows/balance_index.register_rows) as one: changes summed per
-- script (its two keys), zeros left out, sorted like sql/whales_balance_delta.sql.
SELECT key, key2, sum(delta)::BIGINT AS delta
FROM balance_parts
GROUP BY key, key2
HAVING sum(delta) <> 0
ORDER BY key, key2;
