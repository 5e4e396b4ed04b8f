-- reads: delta_refs, delta_parts
-- creates: dep_keys (temp table), dep_members (temp table)
-- params: $sign
-- The parts the deposits add ($sign 1) or take (-1) (sql/whales_delta_members.sql) in the shape
-- sql/whales_source_balances.sql reads: dep_keys gives each deposit its parts (kid; no key, no cluster:
-- a part is summed script by script), dep_members each part's members once.
CREATE OR REPLACE TEMP TABLE dep_keys AS
SELECT r.height, r.tx_index, NULL::BLOB AS key, NULL::BIGINT AS cluster, 0::BIGINT AS n, p.kid
FROM delta_refs r
JOIN (SELECT DISTINCT kind, cluster, script, kid FROM delta_parts) p
     ON p.kind = r.kind AND p.cluster IS NOT DISTINCT FROM r.cluster AND p.script IS NOT DISTINCT FROM r.script
WHERE r.sign = $sign;

CREATE OR REPLACE TEMP TABLE dep_members AS
SELECT DISTINCT kid, member AS script FROM delta_parts WHERE kid IN (SELECT kid FROM dep_keys);
