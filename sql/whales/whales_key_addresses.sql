-- reads: dep_keys
-- creates: dep_key_addr (temp table)
-- params: $network
-- The display address of each source-wallet key of temp table dep_keys (sql/whales_source_keys.sql):
-- the key script formatted by btc_address() (costbasis/bitcoin/address_sql.py: numba, in bulk over
-- DuckDB's vectors), null for a script with no address form. The store keeps scripts only
-- (costbasis/bitcoin/schema.py), so an address is formatted only for the rows that are shown.
CREATE OR REPLACE TEMP TABLE dep_key_addr AS
SELECT key, btc_address(key, $network) AS address
FROM (SELECT DISTINCT key FROM dep_keys);
