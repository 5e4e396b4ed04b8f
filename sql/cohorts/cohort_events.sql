-- reads: event_lots, cohort_bands
-- returns: rows (cohort, day, d_sats, d_cap, d_nop)
-- params: none
-- ±value events per cohort from the lots in `event_lots` (DESIGN.md: events and running sums,
-- never a per-date rescan). A lot is in cohort [lo, hi) from day c_day + lo - 1 (not before its
-- creation day f_day) until day c_day + hi - 1 or its spend day, whichever comes first (hi NULL:
-- no upper edge). Events are linear in the lots, so the events of added lots (new blocks) are
-- simply added to the persisted ones. Exact integers: satoshis as BIGINT and realized cap as
-- HUGEINT in 1e-15 USD x sat, computed as sats x round(price x 1e15), which is additive (the
-- events of a lot split in two add up to those of the whole lot) and never drifts in running sums;
-- stored as DECIMAL(38,0) (Parquet has no HUGEINT; < 1e36 for all of Bitcoin).
WITH spans AS (
    SELECT b.cohort,
           greatest(l.c_day + b.lo_days - 1, l.f_day) AS d_in,
           least(l.c_day + b.hi_days - 1, l.s_day) AS d_out,  -- least() ignores NULLs
           l.sats,
           l.sats::HUGEINT * round(l.price * 1e15)::HUGEINT AS cap,
           CASE WHEN l.without_price THEN l.sats ELSE 0 END AS nop
    FROM event_lots l CROSS JOIN cohort_bands b
), live AS (
    SELECT * FROM spans WHERE d_out IS NULL OR d_in < d_out
)
SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap)::DECIMAL(38,0) AS d_cap, sum(d_nop)::BIGINT AS d_nop
FROM (
    SELECT cohort, d_in AS day, sats AS d_sats, cap AS d_cap, nop AS d_nop FROM live
    UNION ALL
    SELECT cohort, d_out, -sats, -cap, -nop FROM live WHERE d_out IS NOT NULL
)
GROUP BY cohort, day
HAVING sum(d_sats) <> 0 OR sum(d_cap) <> 0 OR sum(d_nop) <> 0
