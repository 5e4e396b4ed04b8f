-- reads: dep_keys, clusters
-- creates: dep_members (temp table)
-- params: none
-- The member scripts of the deposit candidates' source wallets (temp table dep_keys from
-- sql/whales_source_keys.sql): every script of the wallet's cluster, or the key script alone for an
-- unclustered one. key = hash(script) as in sql/whales_balance_delta.sql, key2 = hash(script, 1), a
-- second independent 64-bit hash: costbasis/flows/stored.py looks both up in the sorted balance
-- indexes (memory-mapped, binary search), so a wallet's stored balance costs its members, not the chain.
CREATE OR REPLACE TEMP TABLE dep_members AS
WITH wallets AS (SELECT DISTINCT kid, key, cluster FROM dep_keys)
SELECT kid, script, hash(script) AS key, hash(script, 1) AS key2
FROM (SELECT w.kid, coalesce(c.script, w.key) AS script
      FROM wallets w LEFT JOIN clusters c ON c.cluster = w.cluster);
