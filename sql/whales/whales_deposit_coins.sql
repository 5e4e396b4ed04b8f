-- reads: inputs, dep_keys
-- returns: rows (height, tx_index, created_height, value)
-- params: $h_from, $h_to
-- The coins spent by the deposit candidates of heights [$h_from, $h_to] (see whales_source_keys),
-- per (tx, creation height): enough for their age band, mean age and creation price at query time.
SELECT i.height, i.tx_index, i.created_height, sum(i.value)::BIGINT AS value
FROM inputs i
SEMI JOIN (SELECT DISTINCT height, tx_index FROM dep_keys) d ON i.height = d.height AND i.tx_index = d.tx_index
WHERE i.height BETWEEN $h_from AND $h_to AND i.script IS NOT NULL
GROUP BY ALL
ORDER BY height, tx_index, created_height;
