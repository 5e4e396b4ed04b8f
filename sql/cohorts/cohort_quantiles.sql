-- reads: cohort_live
-- returns: rows (day, cohort, q, price)
-- params: $qs
-- Supply-weighted creation-price quantiles per (day, cohort) from cohort_live: the lowest
-- creation price at which the cumulative supply (ascending price) reaches q x supply.
-- $qs is a list of fractions (0.05 for p5). Comparison in DOUBLE, like the reference.
WITH cum AS (
    SELECT day, cohort, price,
           sum(sats) OVER (PARTITION BY day, cohort ORDER BY price ROWS UNBOUNDED PRECEDING) AS cum,
           sum(sats) OVER (PARTITION BY day, cohort) AS total
    FROM cohort_live
    WHERE sats <> 0
)
SELECT c.day, c.cohort, q.q, min(c.price) AS price
FROM cum c CROSS JOIN (SELECT unnest($qs::DOUBLE[]) AS q) q
WHERE c.cum::DOUBLE >= q.q * c.total::DOUBLE
GROUP BY c.day, c.cohort, q.q;
