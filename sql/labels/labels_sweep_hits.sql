-- reads: outputs, xlabels, inputs
-- returns: rows (key, script, entity, n_sweeps, derived_from)
-- params: $h_lo, $h_hi
-- Sweeps of heights [$h_lo, $h_hi] and their input scripts, one segment of the sweep heuristic
-- (sql/labels_sweep.sql). A sweep is a non-coinbase tx whose every paid output goes to one labeled
-- exchange E and none of whose inputs is labeled as any exchange. Per (input script, E): the number
-- of such txs and the smallest exchange address swept into.
WITH out_x AS (
    SELECT o.height, o.tx_index, count(*) AS n_x, min(l.entity) AS e_min, max(l.entity) AS e_max,
           min(l.address) AS into_address
    FROM outputs o JOIN xlabels l ON o.script = l.script
    WHERE o.value > 0 AND NOT o.is_coinbase AND o.height BETWEEN $h_lo AND $h_hi
    GROUP BY o.height, o.tx_index
),
n_out AS (
    SELECT o.height, o.tx_index, count(*) AS n
    FROM outputs o SEMI JOIN out_x x ON o.height = x.height AND o.tx_index = x.tx_index
    WHERE o.value > 0 AND o.height BETWEEN $h_lo AND $h_hi
    GROUP BY o.height, o.tx_index
),
in_x AS (
    SELECT DISTINCT i.height, i.tx_index FROM inputs i JOIN xlabels l ON i.script = l.script
    WHERE i.height BETWEEN $h_lo AND $h_hi
),
sweeps AS (
    SELECT x.height, x.tx_index, x.e_min AS entity, x.into_address
    FROM out_x x JOIN n_out n ON n.height = x.height AND n.tx_index = x.tx_index
    ANTI JOIN in_x i ON i.height = x.height AND i.tx_index = x.tx_index
    WHERE x.n_x = n.n AND x.e_min = x.e_max
)
SELECT hash(i.script) AS key, i.script, s.entity,
       count(DISTINCT i.height::BIGINT * 1048576 + i.tx_index)::BIGINT AS n_sweeps,
       min(s.into_address) AS derived_from
FROM inputs i JOIN sweeps s ON s.height = i.height AND s.tx_index = i.tx_index
WHERE i.script IS NOT NULL AND i.height BETWEEN $h_lo AND $h_hi
GROUP BY i.script, s.entity
ORDER BY key, script, entity;
