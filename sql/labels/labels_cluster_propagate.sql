-- reads: clusters_new, xlabels_all
-- creates: cluster_entities (temp table), common_labels (temp table)
-- params: $network
-- Labels from common-input clusters: every unlabeled script of a cluster whose labeled members all
-- belong to one entity gets that entity. Clusters holding several entities are conflicts (often
-- a mislabel or a CoinJoin we did not recognise) and label nothing: they are counted from
-- cluster_entities (cluster, entity, n_entities, derived_from: one row per cluster with a labeled
-- member), and their scripts are never listed nor formatted (on the bench chain a big conflicting
-- cluster held 9 in 10 of the labeled clusters' scripts). common_labels is a temp table (DuckDB
-- spills it): an exchange's clusters hold millions of scripts. Columns: script, address, entity,
-- derived_from, cluster; unordered (the labels file is sorted once, by labels_write.sql).
CREATE OR REPLACE TEMP TABLE cluster_entities AS
SELECT c.cluster, min(l.entity) AS entity, count(DISTINCT l.entity) AS n_entities, min(l.address) AS derived_from
FROM clusters_new c JOIN xlabels_all l ON l.script = c.script
GROUP BY c.cluster;

CREATE OR REPLACE TEMP TABLE common_labels AS
SELECT c.script, btc_address(c.script, $network) AS address, p.entity, p.derived_from, c.cluster
FROM clusters_new c JOIN (SELECT * FROM cluster_entities WHERE n_entities = 1) p ON p.cluster = c.cluster
ANTI JOIN xlabels_all l ON l.script = c.script;
