-- reads: dep_keys, dep_key_addr
-- creates: wallet_meta (temp table)
-- params: none
-- Per deposit of temp table dep_keys (sql/whales_source_keys.sql under the new clusters): its source
-- wallet's size and display address, as sql/whales_source_balances.sql gives them (the sum of the
-- wallets' sizes, the address of the smallest key with one). costbasis/flows/stored/deltas.py takes
-- them from here for the deposits whose wallet grew; their balance comes from the joiners alone.
CREATE OR REPLACE TEMP TABLE wallet_meta AS
SELECT k.height, k.tx_index, sum(k.n)::BIGINT AS cluster_size, arg_min(a.address, k.key) AS source_cluster
FROM (SELECT DISTINCT height, tx_index, key, n FROM dep_keys) k
LEFT JOIN dep_key_addr a ON a.key = k.key
GROUP BY k.height, k.tx_index;
