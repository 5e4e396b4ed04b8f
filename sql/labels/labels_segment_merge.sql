-- reads: sweep_parts, spend_parts
-- creates: sweep_merged (temp view), spend_merged (temp view)
-- params: none
-- Two adjacent segments of the sweep heuristic as one (views over their files): sweep hits and
-- spend counts summed per script (and entity; spend counts per script's key pair), sorted like the
-- per-range files.
CREATE OR REPLACE TEMP VIEW sweep_merged AS
SELECT key, script, entity, sum(n_sweeps)::BIGINT AS n_sweeps, min(derived_from) AS derived_from
FROM sweep_parts GROUP BY key, script, entity ORDER BY key, script, entity;
CREATE OR REPLACE TEMP VIEW spend_merged AS
SELECT key, key2, sum(n_spends)::BIGINT AS n_spends
FROM spend_parts GROUP BY key, key2 ORDER BY key, key2;
