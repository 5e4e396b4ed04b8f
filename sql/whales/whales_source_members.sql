-- reads: dep_keys
-- creates: dep_members (temp table)
-- params: none
-- The member scripts of the deposit candidates' unclustered source wallets (temp table dep_keys from
-- sql/whales_source_keys.sql): the key script alone. costbasis/flows/balance_index.py looks its two
-- keys up in the sorted balance indexes (memory-mapped, binary search),
-- so such a wallet's stored balance costs one lookup per segment, not a scan of the chain. Clustered
-- wallets are tracked per cluster instead (sql/whales_range_clustered.sql, costbasis/flows/stored/
-- wallets.py): their members are never listed per deposit.
CREATE OR REPLACE TEMP TABLE dep_members AS
SELECT kid, key AS script
FROM (SELECT DISTINCT kid, key FROM dep_keys WHERE cluster IS NULL);
