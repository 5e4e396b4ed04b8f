-- reads: inputs, cand_wallet, cluster_changed
-- creates: delta_in (temp table), delta_groups (temp table), dep_keys (temp table), dep_members (temp table)
-- params: $h_from, $h_to
-- The members that joined the source wallet of each deposit of temp table cand_wallet (deposits of
-- heights [$h_from, $h_to] with an input whose wallet changed; view cluster_changed: the changes file,
-- sql/labels/labels_cluster_changes.sql, with each changed script's old and new cluster). Clusters only
-- merge as the chain grows, so a deposit's new wallet is its old one (the old clusters of its changed
-- inputs, or such an input alone when it was unclustered, plus its unchanged clusters) and the members
-- of its inputs' new clusters that were in none of those: the joiners. Deposits with the same old and
-- new clusters share one group (kid) and its joiners, listed once (dep_members (kid, script)); dep_keys
-- gives each deposit its group, in the shape sql/whales_source_balances.sql reads (no key, no cluster:
-- the joiners are summed script by script), so that file gives each deposit the joiners' balance just
-- before it: what the deposit's stored balance lacks (costbasis/flows/stored/deltas.py).
CREATE OR REPLACE TEMP TABLE delta_in AS
SELECT i.height, i.tx_index, i.script, c.old_cluster, c.new_cluster
FROM inputs i SEMI JOIN cand_wallet w ON i.height = w.height AND i.tx_index = w.tx_index
JOIN cluster_changed c ON c.script = i.script
WHERE i.height BETWEEN $h_from AND $h_to AND i.script IS NOT NULL;

CREATE OR REPLACE TEMP TABLE delta_groups AS
WITH sig AS (
    SELECT height, tx_index,
           list_sort(list_distinct(list(new_cluster))) AS news,
           list_sort(list_distinct(list(old_cluster))) AS olds,
           list_sort(list_distinct(list(CASE WHEN old_cluster IS NULL THEN script END))) AS singles
    FROM delta_in GROUP BY height, tx_index
),
g AS (
    SELECT news, olds, singles, row_number() OVER (ORDER BY news, olds, singles) AS kid
    FROM (SELECT DISTINCT news, olds, singles FROM sig)
)
SELECT s.height, s.tx_index, g.kid, g.news, g.olds, g.singles
FROM sig s JOIN g ON g.news = s.news AND g.olds = s.olds AND g.singles = s.singles;

CREATE OR REPLACE TEMP TABLE dep_keys AS
SELECT height, tx_index, NULL::BLOB AS key, NULL::BIGINT AS cluster, 0::BIGINT AS n, kid
FROM delta_groups;

CREATE OR REPLACE TEMP TABLE dep_members AS
WITH g AS (SELECT DISTINCT kid, news, olds, singles FROM delta_groups),
g_new AS (SELECT kid, unnest(news) AS cluster FROM g),
g_old AS (SELECT kid, unnest(olds) AS cluster FROM g),
g_single AS (SELECT kid, unnest(singles) AS script FROM g)
SELECT g.kid, c.script FROM g_new g JOIN cluster_changed c ON c.new_cluster = g.cluster
EXCEPT
SELECT g.kid, c.script FROM g_old g JOIN cluster_changed c ON c.old_cluster = g.cluster
EXCEPT
SELECT kid, script FROM g_single;
