-- reads: nothing
-- creates: cohort_transition (temp table)
-- params: none
-- Hard holder split: nothing is shared between STH and LTH, so no transition contributions.
CREATE OR REPLACE TEMP TABLE cohort_transition (day BIGINT, cohort VARCHAR, sats DOUBLE, cap DOUBLE, nop DOUBLE);
