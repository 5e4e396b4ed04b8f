-- reads: holdings, cohort_bands
-- creates: evm_cohort_live (temp table)
-- params: $from_day, $to_day
-- Holding units live at the end of each day in [$from_day, $to_day], assigned to every cohort
-- whose age band contains them. Age as of day D = (D+1)*86400 - acquisition time (the
-- value-weighted average for --method avg, the lot's time for fifo); band [lo, hi) in days.
CREATE OR REPLACE TEMP TABLE evm_cohort_live AS
WITH days AS (
    SELECT unnest(range($from_day, $to_day + 1)) AS day
), live AS (
    SELECT d.day, h.amount, h.cost_usd / h.amount AS price,
           (d.day + 1) * 86400 - h.acq_time AS age_s
    FROM days d
    JOIN holdings h ON h.valid_from < (d.day + 1) * 86400
                   AND (h.valid_to IS NULL OR h.valid_to >= (d.day + 1) * 86400)
    WHERE h.amount > 0
)
SELECT l.day, b.cohort, l.amount, l.price
FROM live l
JOIN cohort_bands b ON l.age_s >= b.lo_days * 86400 AND (b.hi_days IS NULL OR l.age_s < b.hi_days * 86400);
