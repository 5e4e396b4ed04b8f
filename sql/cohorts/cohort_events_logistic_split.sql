-- reads: events_raw, levents_raw
-- creates: cohort_events (temp view)
-- params: none
-- The events of the logistic holder split for cohorts_daily.sql: the age bands and `all` as in the
-- hard split (events_raw), sth [0, 100) and lth [210, inf) from the logistic events (levents_raw);
-- logistic_transition.sql adds the 100-210 day shares. cohort_state.py puts the hard view back.
CREATE OR REPLACE TEMP VIEW cohort_events AS
SELECT cohort, day, sum(d_sats)::BIGINT AS d_sats, sum(d_cap::HUGEINT) AS d_cap, sum(d_nop)::BIGINT AS d_nop
FROM (
    SELECT cohort, day, d_sats, d_cap, d_nop FROM events_raw WHERE cohort NOT IN ('sth', 'lth')
    UNION ALL
    SELECT cohort, day, d_sats, d_cap, d_nop FROM levents_raw
)
GROUP BY cohort, day;
