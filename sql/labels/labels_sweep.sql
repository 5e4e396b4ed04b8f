-- reads: sweep_hits, spend_counts, xlabels
-- creates: sweep_labels (temp table)
-- params: $network
-- Deposit addresses by the sweep heuristic, from the stored segments of every range (views
-- sweep_hits, sql/labels_sweep_hits.sql, and spend_counts, sql/labels_spend_counts.sql): an input
-- script of a sweep becomes a deposit address of E when every tx that ever spent from it is a
-- sweep into E (a script that also pays elsewhere is someone's own wallet, not a deposit address).
-- Counts per range add up: a tx lies in exactly one range. A temp table (DuckDB spills it), not a
-- result in Python: mainnet exchanges have tens of millions of deposit addresses. Columns: script,
-- address, entity, derived_from, n_sweeps; unordered (labels_write.sql sorts the labels file once).
CREATE OR REPLACE TEMP TABLE sweep_labels AS
WITH candidates AS (
    SELECT key, script, entity, sum(n_sweeps) AS n_sweeps, min(derived_from) AS derived_from
    FROM sweep_hits GROUP BY key, script, entity
),
keyed AS (
    SELECT key, script_key2(script) AS key2, script FROM (SELECT DISTINCT key, script FROM candidates)
),
spends AS (
    SELECT k.script, sum(s.n_spends) AS n_spends
    FROM spend_counts s JOIN keyed k ON k.key = s.key AND k.key2 = s.key2
    GROUP BY k.script
)
SELECT c.script, btc_address(c.script, $network) AS address, c.entity, c.derived_from,
       c.n_sweeps::BIGINT AS n_sweeps
FROM candidates c JOIN spends s ON s.script = c.script
ANTI JOIN xlabels l ON l.script = c.script
WHERE s.n_spends = c.n_sweeps;
