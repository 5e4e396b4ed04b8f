-- reads: clusters_file, outputs, inputs, xlabels
-- creates: clusters (temp table)
-- params: $h_from, $h_to
-- The clusters a flow-table build over heights [$h_from, $h_to] can need, read from the clusters file
-- (view clusters_file) in one pass: every member of each cluster holding an input script of a tx that
-- pays a labelled exchange script (a superset of the deposit candidates, whose source wallets
-- sql/whales_source_keys.sql and sql/whales_source_members.sql look up at every build step). The steps
-- then join this table, not the whole clusters file, so a build reads that file once, not per step.
CREATE OR REPLACE TEMP TABLE clusters AS
WITH pay AS (
    SELECT DISTINCT o.height, o.tx_index
    FROM outputs o SEMI JOIN xlabels l ON o.script = l.script
    WHERE o.height BETWEEN $h_from AND $h_to AND NOT o.is_coinbase
),
spent AS (
    SELECT DISTINCT i.script
    FROM inputs i SEMI JOIN pay p ON i.height = p.height AND i.tx_index = p.tx_index
    WHERE i.height BETWEEN $h_from AND $h_to AND i.script IS NOT NULL
),
hit AS (
    SELECT DISTINCT c.cluster FROM clusters_file c SEMI JOIN spent s ON c.script = s.script
)
SELECT c.script, c.cluster FROM clusters_file c SEMI JOIN hit h ON c.cluster = h.cluster;
