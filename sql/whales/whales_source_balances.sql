-- reads: dep_keys, dep_key_addr, source_since, member_base
-- returns: rows (height, tx_index, balance, cluster_size, source_cluster)
-- params: none
-- Balance of each deposit's source wallet just before the deposit (temp table dep_keys from
-- sql/whales_source_keys.sql), for the deposits of heights [h_from, h_to]: the wallet's balance at
-- height h_from - 1 (`member_base` (kid, balance), costbasis/flows/stored/wallets.py: an unclustered
-- wallet's key script's stored balance changes before h_from, looked up in the segments' sorted key
-- indexes; a clustered wallet's cluster balance, kept running through the build) plus its change
-- over the events of blocks [h_from, h_to] strictly before the deposit (temp table source_since
-- (kid, pos, balance): the running sum of sql/whales_source_timeline.sql's events at each deposit,
-- costbasis/flows/stored/running.py), summed over the deposit's wallets. Only the new blocks are read,
-- so a build step costs its blocks and the depositing wallets, never the wallets' members one by one.
-- Also the total size of the source wallets and the address of the smallest key with an address (the
-- display name; temp table dep_key_addr (key, address): each key script's address, formatted in bulk by
-- costbasis/flows/stored.py, null for a script that has none).
WITH per_key AS (
    SELECT k.height, k.tx_index, k.key, k.n, a.address, s.balance + coalesce(b.balance, 0) AS balance
    FROM dep_keys k
    JOIN source_since s ON s.kid = k.kid AND s.pos = k.height::BIGINT * 1048576 + k.tx_index
    LEFT JOIN dep_key_addr a ON a.key = k.key
    LEFT JOIN member_base b ON b.kid = k.kid
)
SELECT height, tx_index, sum(balance)::BIGINT AS balance, sum(n)::BIGINT AS cluster_size,
       arg_min(address, key) AS source_cluster
FROM per_key
GROUP BY height, tx_index
ORDER BY height, tx_index;
