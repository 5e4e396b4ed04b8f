-- reads: single_base, dep_keys, cluster_base
-- creates: member_base (temp table)
-- params: none
-- Each source wallet's balance before the build step (kid, balance), for sql/whales_source_balances.sql:
-- an unclustered wallet's from the balance indexes (single_base, costbasis/flows/stored/wallets.py), a
-- clustered wallet's its cluster's (temp table cluster_base).
CREATE OR REPLACE TEMP TABLE member_base AS
SELECT kid, balance FROM single_base
UNION ALL
SELECT w.kid, b.balance
FROM (SELECT DISTINCT kid, cluster FROM dep_keys WHERE cluster IS NOT NULL) w
JOIN cluster_base b ON b.cluster = w.cluster;
