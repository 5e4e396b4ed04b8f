-- reads: evm_cohort_live
-- creates: urpd_live (temp table)
-- params: $cohort, $day
-- EVM live supply of cohort $cohort at the end of $day by holder cost basis (the address's
-- average cost for --method avg, the lot's price for fifo), from evm_cohort_live built for
-- [$day, $day]; for urpd_buckets.sql.
CREATE OR REPLACE TEMP TABLE urpd_live AS
SELECT price, sum(amount) AS amount, fsum(amount * price) AS cap
FROM evm_cohort_live WHERE day = $day AND cohort = $cohort
GROUP BY price;
