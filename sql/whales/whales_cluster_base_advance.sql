-- reads: cluster_base, range_clustered
-- creates: cluster_base_next (temp table)
-- params: none
-- The build's clusters' balances after a step: temp table cluster_base (cluster, balance before the
-- step's first block) plus the step's events of each cluster (sql/whales_range_clustered.sql).
-- costbasis/flows/stored/wallets.py renames the result to cluster_base for the next step.
CREATE OR REPLACE TEMP TABLE cluster_base_next AS
SELECT cluster, sum(balance)::BIGINT AS balance
FROM (SELECT cluster, balance FROM cluster_base
      UNION ALL
      SELECT cluster, sum(delta) AS balance FROM range_clustered GROUP BY cluster)
GROUP BY cluster;
