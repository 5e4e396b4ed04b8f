-- reads: deposit_days
-- returns: rows (date, whale_deposit_usd, whale_deposit_amount, deposit_count, zscore, signal)
-- params: $cal_from, $cal_to, $window, $min_periods, $z, $out_from, $out_to
-- Daily whale deposit totals over the calendar [$cal_from, $cal_to] (days without deposits are 0),
-- from deposit_days(date, usd, amount, n) (sql/whales_deposit_days.sql: Bitcoin: BTC, EVM: ETH or token
-- units; a day may come in several rows, e.g. one per part of the chain the deposits were read in),
-- the z-score of the USD total against the previous $window days (sample standard deviation),
-- and `signal`: a day with deposits whose z-score >= $z, or, when the trailing window has no
-- variance (e.g. all quiet), whose total exceeds the window mean. Needs >= $min_periods prior days.
-- Rows are returned for [$out_from, $out_to]; the window looks back before $out_from.
WITH cal AS (
    SELECT CAST(d AS DATE) AS date
    FROM generate_series(CAST($cal_from AS DATE), CAST($cal_to AS DATE), INTERVAL 1 DAY) t(d)
),
daily AS (
    SELECT date, fsum(usd) AS usd, fsum(amount) AS amount, sum(n) AS n
    FROM deposit_days GROUP BY 1
),
x AS (
    SELECT c.date, coalesce(d.usd, 0) AS usd, coalesce(d.amount, 0) AS amount, coalesce(d.n, 0) AS n
    FROM cal c LEFT JOIN daily d ON d.date = c.date
),
w AS (
    SELECT *, avg(usd) OVER win AS m, stddev_samp(usd) OVER win AS sd, count(usd) OVER win AS k
    FROM x
    WINDOW win AS (ORDER BY date ROWS BETWEEN $window PRECEDING AND 1 PRECEDING)
)
SELECT date,
       usd AS whale_deposit_usd,
       amount AS whale_deposit_amount,
       n::BIGINT AS deposit_count,
       CASE WHEN sd > 0 THEN (usd - m) / sd END AS zscore,
       coalesce(usd > 0 AND k >= $min_periods
                AND ((sd > 0 AND (usd - m) / sd >= $z) OR (coalesce(sd, 0) = 0 AND usd > m)), false) AS signal
FROM w
WHERE date BETWEEN CAST($out_from AS DATE) AND CAST($out_to AS DATE)
ORDER BY date;
