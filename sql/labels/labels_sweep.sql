-- reads: outputs, xlabels, inputs
-- returns: rows (script, address, entity, derived_from, n_sweeps)
-- params: none
-- Deposit addresses by the sweep heuristic. A sweep is a non-coinbase tx whose every paid output
-- goes to one labeled exchange E and none of whose inputs is labeled as any exchange: exchanges
-- forward customer deposits from per-customer addresses to their own wallet this way. An input
-- script of a sweep becomes a deposit address of E when every tx that ever spent from it is a
-- sweep into E (a script that also pays elsewhere is someone's own wallet, not a deposit address).
WITH out_x AS (
    SELECT o.height, o.tx_index, count(*) AS n_x, min(l.entity) AS e_min, max(l.entity) AS e_max,
           min(l.address) AS into_address
    FROM outputs o JOIN xlabels l ON o.script = l.script
    WHERE o.value > 0 AND NOT o.is_coinbase
    GROUP BY o.height, o.tx_index
),
n_out AS (
    SELECT o.height, o.tx_index, count(*) AS n
    FROM outputs o SEMI JOIN out_x x ON o.height = x.height AND o.tx_index = x.tx_index
    WHERE o.value > 0
    GROUP BY o.height, o.tx_index
),
in_x AS (
    SELECT DISTINCT i.height, i.tx_index FROM inputs i JOIN xlabels l ON i.script = l.script
),
sweeps AS (
    SELECT x.height, x.tx_index, x.e_min AS entity, x.into_address
    FROM out_x x JOIN n_out n ON n.height = x.height AND n.tx_index = x.tx_index
    ANTI JOIN in_x i ON i.height = x.height AND i.tx_index = x.tx_index
    WHERE x.n_x = n.n AND x.e_min = x.e_max
),
candidates AS (
    SELECT i.script, any_value(i.address) AS address, s.entity, min(s.into_address) AS derived_from,
           count(DISTINCT i.height::BIGINT * 1048576 + i.tx_index) AS n_sweeps
    FROM inputs i JOIN sweeps s ON s.height = i.height AND s.tx_index = i.tx_index
    WHERE i.script IS NOT NULL
    GROUP BY i.script, s.entity
),
spends AS (
    SELECT i.script, count(DISTINCT i.height::BIGINT * 1048576 + i.tx_index) AS n_spends
    FROM inputs i SEMI JOIN candidates c ON i.script = c.script
    GROUP BY i.script
)
SELECT c.script, c.address, c.entity, c.derived_from, c.n_sweeps
FROM candidates c JOIN spends s ON s.script = c.script
ANTI JOIN xlabels l ON l.script = c.script
WHERE s.n_spends = c.n_sweeps
ORDER BY c.entity, c.address;
