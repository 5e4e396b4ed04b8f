-- reads: exchange_txs, inputs, clusters
-- creates: dep_keys (temp table)
-- params: $h_from, $h_to
-- Source wallets of the deposit candidates of heights [$h_from, $h_to]: exchange inflow txs
-- (temp table exchange_txs) with no input labeled as any exchange. One row per (deposit tx, wallet).
-- A wallet is the common-input cluster of an input script (table `clusters`; key = its smallest
-- script, n = its size) or, for an unclustered script, the script alone (n = 1).
-- Only the clusters the deposits touch are read, so no window runs over the whole clusters table.
-- A wallet's display address is its key script's, formatted by costbasis/flows/stored.py from the
-- keys of this table (the store keeps scripts, not addresses): temp table dep_key_addr.
CREATE OR REPLACE TEMP TABLE dep_keys AS
WITH dep_tx AS (
    SELECT DISTINCT height, tx_index FROM exchange_txs
    WHERE direction = 'in' AND NOT from_exchange AND height BETWEEN $h_from AND $h_to
),
dep_in AS (
    SELECT i.height, i.tx_index, i.script
    FROM inputs i SEMI JOIN dep_tx d ON i.height = d.height AND i.tx_index = d.tx_index
    WHERE i.height BETWEEN $h_from AND $h_to AND i.script IS NOT NULL
),
in_cluster AS (
    SELECT d.height, d.tx_index, d.script, c.cluster
    FROM dep_in d LEFT JOIN clusters c ON c.script = d.script
),
touched AS (
    SELECT c.cluster, min(c.script) AS rep, count(*) AS n
    FROM clusters c SEMI JOIN (SELECT DISTINCT cluster FROM in_cluster WHERE cluster IS NOT NULL) t
         ON t.cluster = c.cluster
    GROUP BY c.cluster
),
keys AS (
    SELECT DISTINCT i.height, i.tx_index, coalesce(t.rep, i.script) AS key, i.cluster, coalesce(t.n, 1) AS n
    FROM in_cluster i LEFT JOIN touched t ON t.cluster = i.cluster
),
key_ids AS (
    SELECT key, row_number() OVER (ORDER BY key) AS kid FROM (SELECT DISTINCT key FROM keys)
)
SELECT k.height, k.tx_index, k.key, k.cluster, k.n, i.kid
FROM keys k JOIN key_ids i ON i.key = k.key;
