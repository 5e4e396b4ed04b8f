-- ±value events per cohort (DESIGN.md: events and running sums, never a per-date rescan).
-- A lot is in cohort [lo, hi) from day c_day + lo - 1 (not before its creation day f_day) until
-- day c_day + hi - 1 or its spend day, whichever comes first (hi NULL: no upper edge).
-- Values stay in satoshis and realized cap in integer units of 1e-12 USD x sat (HUGEINT), so the
-- running sums are exact: a band holding 1 sat after billions passed through it is still exact.
CREATE OR REPLACE TEMP TABLE cohort_events AS
WITH spans AS (
    SELECT b.cohort,
           greatest(l.c_day + b.lo_days - 1, l.f_day) AS d_in,
           least(l.c_day + b.hi_days - 1, l.s_day) AS d_out,  -- least() ignores NULLs
           l.sats,
           (l.sats * l.price * 1e12)::HUGEINT AS cap,
           CASE WHEN l.without_price THEN l.sats ELSE 0 END AS nop
    FROM lots l CROSS JOIN cohort_bands b
), live AS (
    SELECT * FROM spans WHERE d_out IS NULL OR d_in < d_out
)
SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap) AS d_cap, sum(d_nop)::BIGINT AS d_nop
FROM (
    SELECT cohort, d_in AS day, sats AS d_sats, cap AS d_cap, nop AS d_nop FROM live
    UNION ALL
    SELECT cohort, d_out, -sats, -cap, -nop FROM live WHERE d_out IS NOT NULL
)
GROUP BY cohort, day;
