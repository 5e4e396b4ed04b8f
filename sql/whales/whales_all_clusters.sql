-- reads: clusters_file
-- creates: clusters (temp table)
-- params: none
-- Every cluster of the clusters file (view clusters_file) as temp table `clusters`: what a redo of
-- the stored flow tables (new labels or clusters, costbasis/flows/stored/redo.py) is given instead of
-- sql/whales_build_clusters.sql's clusters of the whole chain's exchange-paying inputs. The per-range
-- redo looks up only the clusters of the deposits it recomputes, so a superset costs it nothing (the
-- rewrite of every deposit's source, new clusters without a changes file, keeps the clusters' balances
-- running through the chain: the clusters that never pay an exchange are carried too, correct and few),
-- while selecting those clusters joined every output and input of the chain (19 s at 40 M txs, and
-- 23 of the file's 26 M rows selected): one read of the file instead. The extension after a redo
-- registers the new blocks' clusters as a plain extension does (its running balances cover every
-- registered cluster).
CREATE OR REPLACE TEMP TABLE clusters AS
SELECT script, cluster FROM clusters_file;
