-- reads: tlots
-- creates: transition_live (temp table), cohort_transition (temp table)
-- inserts: cohort_live
-- params: $from_day, $to_day
-- Logistic holder split (DESIGN.md): w_LTH(a) = 1 / (1 + exp(-0.1 (a - 155))) for ages a in
-- [100, 210) days, 0 below, 1 at or above. The events path already holds the constant parts
-- (cohort_bands maps sth to [0, 100) and lth to [210, inf) in this mode); here each lot adds
-- w x value to LTH and (1 - w) x value to STH on the days its age lies in [100, 210): at most
-- 110 days per creation block, and only the blocks whose window meets [$from_day, $to_day] are
-- read, so the cost is blocks x 110 for the whole history and ~144 x 110 per added day.
-- Input tlots (logistic_lots_delta.sql): per creation block time, live value on the window's first
-- day c_day + 99, minus each spend inside the window.
CREATE OR REPLACE TEMP TABLE transition_live AS
WITH keys AS (
    SELECT c_time, (c_time + 86399) // 86400 AS c_day, price, without_price, s_day, sats FROM tlots
    WHERE (c_time + 86399) // 86400 + 99 <= $to_day AND (c_time + 86399) // 86400 + 209 > $from_day
), key_days AS (
    SELECT c_time, c_day, price, without_price, day, sum(d) AS d FROM (
        SELECT c_time, c_day, price, without_price, c_day + 99 AS day, sats AS d FROM keys
        UNION ALL
        SELECT c_time, c_day, price, without_price, s_day, -sats FROM keys WHERE s_day IS NOT NULL
    ) GROUP BY ALL
), segments AS (
    SELECT c_time, c_day, price, without_price, day AS seg_from,
           coalesce(lead(day) OVER (PARTITION BY c_time, c_day, price, without_price ORDER BY day), $to_day + 1) AS seg_to,
           -- the window spelled out twice: a named window refined by a frame is not Spark SQL
           sum(d) OVER (PARTITION BY c_time, c_day, price, without_price ORDER BY day ROWS UNBOUNDED PRECEDING) AS sats
    FROM key_days
), expanded AS (
    SELECT c_time, price, without_price, sats,
           unnest(range(greatest(seg_from, $from_day), least(seg_to, $to_day + 1, c_day + 209))) AS day
    FROM segments WHERE sats <> 0
), weighted AS (
    SELECT day, price, without_price, sats,
           1.0 / (1.0 + exp(-0.1 * (((day + 1) * 86400 - c_time) / 86400.0 - 155))) AS w
    FROM expanded
)
SELECT day, 'lth' AS cohort, price, without_price, fsum(sats * w) AS sats FROM weighted GROUP BY ALL
UNION ALL
SELECT day, 'sth' AS cohort, price, without_price, fsum(sats * (1.0 - w)) AS sats FROM weighted GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE cohort_transition AS
SELECT day, cohort, fsum(sats) AS sats, fsum(sats * price) AS cap,
       fsum(CASE WHEN without_price THEN sats ELSE 0 END) AS nop
FROM transition_live GROUP BY day, cohort;

INSERT INTO cohort_live SELECT day, cohort, price, fsum(sats) FROM transition_live GROUP BY day, cohort, price;
