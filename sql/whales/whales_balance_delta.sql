-- reads: outputs, inputs
-- returns: rows (key, script, delta)
-- params: $h_from, $h_to
-- Per-script balance change (received minus spent, satoshis) over blocks [$h_from, $h_to]: one
-- segment of the stored per-script balances (costbasis/flows/stored.py), whose sum over every
-- segment is the balance at the stored tip. key = DuckDB hash() of the script, computed once here:
-- segments are sorted and joined by it, and the script beside it rules out collisions.
-- Zero changes are left out (absent = 0).
SELECT hash(script) AS key, script, sum(delta)::BIGINT AS delta
FROM (
    SELECT script, value AS delta FROM outputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
    UNION ALL
    SELECT script, -value FROM inputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
)
GROUP BY script
HAVING sum(delta) <> 0
ORDER BY key, script;
