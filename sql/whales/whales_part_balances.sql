-- reads: outputs, inputs, delta_refs, delta_parts, part_base
-- returns: rows (height, tx_index, balance)
-- params: $h_from, $h_to
-- What each deposit's source wallet gained under the new clusters (sql/whales_delta_members.sql: the
-- parts it adds and takes), just before the deposit: per part, its members' balance at height
-- $h_from - 1 (part_base (kid, balance), looked up in the balance indexes) plus the running sum of
-- their received (+ outputs) and spent (- inputs) values over blocks [$h_from, $h_to] ordered by
-- (height, tx_index), over the events strictly before the deposit (as sql/whales_source_balances.sql
-- does per wallet), signed and summed per deposit. One pass over the range's outputs and inputs.
WITH members AS (SELECT DISTINCT kid, member AS script FROM delta_parts),
events AS (
    SELECT m.kid, o.height::BIGINT * 1048576 + o.tx_index AS pos, o.value AS delta
    FROM outputs o JOIN members m ON o.script = m.script
    WHERE o.height BETWEEN $h_from AND $h_to
    UNION ALL
    SELECT m.kid, i.height::BIGINT * 1048576 + i.tx_index AS pos, -i.value AS delta
    FROM inputs i JOIN members m ON i.script = m.script
    WHERE i.height BETWEEN $h_from AND $h_to
),
refs AS (
    SELECT r.height, r.tx_index, r.sign, p.kid
    FROM delta_refs r
    JOIN (SELECT DISTINCT kind, cluster, script, kid FROM delta_parts) p
         ON p.kind = r.kind AND p.cluster IS NOT DISTINCT FROM r.cluster AND p.script IS NOT DISTINCT FROM r.script
),
timeline AS (
    SELECT height, tx_index, sign, kid, height::BIGINT * 1048576 + tx_index AS pos, 0 AS ord, 0 AS delta FROM refs
    UNION ALL
    SELECT NULL, NULL, NULL, kid, pos, 1 AS ord, delta FROM events
),
since AS (
    SELECT height, tx_index, sign, kid, balance
    FROM (SELECT *, sum(delta) OVER (PARTITION BY kid ORDER BY pos, ord
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance
          FROM timeline) t
    WHERE ord = 0
)
SELECT s.height, s.tx_index, sum(s.sign * (s.balance + coalesce(b.balance, 0)))::BIGINT AS balance
FROM since s LEFT JOIN part_base b ON b.kid = s.kid
GROUP BY s.height, s.tx_index;
