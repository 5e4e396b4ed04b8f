-- reads: evm_cohort_live
-- returns: rows (day, cohort, q, price)
-- params: $qs
-- Supply-weighted cost-basis quantiles per (day, cohort) from evm_cohort_live: the lowest
-- holder cost basis at which the cumulative supply (ascending cost) reaches q x supply.
-- $qs is a list of fractions (0.05 for p5).
WITH cum AS (
    SELECT day, cohort, price,
           sum(amount) OVER (PARTITION BY day, cohort ORDER BY price ROWS UNBOUNDED PRECEDING) AS cum,
           sum(amount) OVER (PARTITION BY day, cohort) AS total
    FROM evm_cohort_live
)
SELECT c.day, c.cohort, q.q, min(c.price) AS price
FROM cum c CROSS JOIN (SELECT unnest($qs::DOUBLE[]) AS q) q
WHERE c.cum >= q.q * c.total * (1 - 1e-12)
GROUP BY c.day, c.cohort, q.q;
