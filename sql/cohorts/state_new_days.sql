-- reads: height_price
-- returns: rows (first_new, last_new)
-- params: $after
-- UTC days of the earliest and latest block time above height $after (NULLs: no new block).
SELECT min(time) // 86400 AS first_new, max(time) // 86400 AS last_new FROM height_price WHERE height > $after
