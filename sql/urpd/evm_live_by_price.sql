-- reads: evm_cohort_live
-- returns: rows (cost_basis_usd, supply)
-- params: $cohort, $day
-- EVM live supply by holder cost basis at the end of $day (cohort $cohort), from
-- evm_cohort_live (built for a range containing $day): the price is the address's average
-- cost (--method avg) or the lot's price (fifo), as in evm_urpd_live.sql. Input of the URPD
-- clusters and band supply in `costbasis bands --chain <evm chain>`.
SELECT price AS cost_basis_usd, sum(amount) AS supply
FROM evm_cohort_live
WHERE day = $day AND cohort = $cohort
GROUP BY price
ORDER BY price;
