-- reads: outputs, inputs
-- returns: rows (key, key2, script, delta)
-- params: $h_from, $h_to
-- Per-script balance change (received minus spent, satoshis) over blocks [$h_from, $h_to]: one
-- segment of the stored per-script balances (costbasis/flows/balance_index.py), whose sum over every
-- segment is the balance at the stored tip. key, key2 = the script's two 64-bit keys (DuckDB hash()
-- and script_key2, costbasis/engine/db.py), computed once here: the index keeps them, not the script
-- (a false match needs both to collide). Zero changes are left out (absent = 0).
-- The script column is for the Spark split of this file (DuckDB computes the keys from Spark's rows).
SELECT hash(script) AS key, script_key2(script) AS key2, script, sum(delta)::BIGINT AS delta
FROM (
    SELECT script, value AS delta FROM outputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
    UNION ALL
    SELECT script, -value FROM inputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
)
GROUP BY script
HAVING sum(delta) <> 0
ORDER BY key, key2;
