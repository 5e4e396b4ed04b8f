-- reads: balances_base, outputs, inputs
-- returns: rows (script, balance)
-- params: $h_from, $h_to
-- Every script's balance (received minus spent, satoshis) at height $h_to: the balances at
-- $h_from - 1 (view `balances_base`, empty for a build from scratch) plus the outputs (+) and
-- inputs (-) of blocks [$h_from, $h_to]. Scripts whose balance is 0 are left out (absent = 0), so
-- the table holds about one row per script with unspent coins. Sorted by script: the stored file
-- is byte-identical for the same chain, whatever the order of builds and extensions.
SELECT script, sum(balance)::BIGINT AS balance
FROM (
    SELECT script, balance FROM balances_base
    UNION ALL
    SELECT script, value FROM outputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
    UNION ALL
    SELECT script, -value FROM inputs
    WHERE height BETWEEN $h_from AND $h_to AND script IS NOT NULL
)
GROUP BY script
HAVING sum(balance) <> 0
ORDER BY script;
