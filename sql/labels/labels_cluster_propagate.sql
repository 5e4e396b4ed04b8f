-- reads: clusters_new, xlabels_all
-- creates: common_labels (temp table)
-- params: $network
-- Labels from common-input clusters: every unlabeled script of a cluster whose labeled members all
-- belong to one entity gets that entity. Clusters holding several entities are conflicts (often
-- a mislabel or a CoinJoin we did not recognise) and label nothing. A temp table (DuckDB spills
-- it): an exchange's clusters hold millions of scripts. Columns: script, address, entity,
-- derived_from, conflict, cluster; unordered (the labels file is sorted once, by labels_write.sql).
CREATE OR REPLACE TEMP TABLE common_labels AS
WITH labeled AS (
    SELECT c.cluster, l.entity, l.address
    FROM clusters_new c JOIN xlabels_all l ON l.script = c.script
),
per_cluster AS (
    SELECT cluster, min(entity) AS entity, count(DISTINCT entity) AS n_entities, min(address) AS derived_from
    FROM labeled GROUP BY cluster
)
SELECT c.script, btc_address(c.script, $network) AS address, p.entity, p.derived_from,
       p.n_entities > 1 AS conflict, c.cluster
FROM clusters_new c JOIN per_cluster p ON p.cluster = c.cluster
ANTI JOIN xlabels_all l ON l.script = c.script;
