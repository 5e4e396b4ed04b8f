-- reads: nothing
-- creates: __empty_height_price (temp table), __empty_lots (temp table), __empty_events (temp table), __empty_daily (temp table), __empty_base (temp table), __empty_tlots (temp table), __empty_levents (temp table), __empty_ldaily (temp table)
-- params: none
-- The column types of the persisted cohort state's tables (engine/bitcoin/state_sql.py), as empty
-- tables: a table with no segment yet is read as one of these, so every view binds.
CREATE OR REPLACE TEMP TABLE __empty_height_price (height INTEGER, time BIGINT, price_usd DOUBLE, without_price BOOLEAN);
CREATE OR REPLACE TEMP TABLE __empty_lots (f_day BIGINT, c_day BIGINT, s_day BIGINT, price DOUBLE, without_price BOOLEAN,
                                           sats BIGINT);
CREATE OR REPLACE TEMP TABLE __empty_events (cohort VARCHAR, day BIGINT, d_sats BIGINT, d_cap DECIMAL(38,0), d_nop BIGINT);
CREATE OR REPLACE TEMP TABLE __empty_daily (gen BIGINT, day BIGINT, cohort VARCHAR, supply_btc DOUBLE,
                                            realized_cap_usd DOUBLE, realized_price_usd DOUBLE, price_usd DOUBLE,
                                            mvrv DOUBLE, cost_basis_std_usd DOUBLE, supply_in_profit_pct DOUBLE,
                                            coins_without_price_btc DOUBLE);
CREATE OR REPLACE TEMP TABLE __empty_base (c_day BIGINT, price DOUBLE, sats BIGINT);
CREATE OR REPLACE TEMP TABLE __empty_tlots (c_time BIGINT, price DOUBLE, without_price BOOLEAN, s_day BIGINT, sats BIGINT);
CREATE OR REPLACE TEMP TABLE __empty_levents (cohort VARCHAR, day BIGINT, d_sats BIGINT, d_cap DECIMAL(38,0), d_nop BIGINT);
CREATE OR REPLACE TEMP TABLE __empty_ldaily (gen BIGINT, day BIGINT, cohort VARCHAR, supply_btc DOUBLE,
                                             realized_cap_usd DOUBLE, realized_price_usd DOUBLE, price_usd DOUBLE,
                                             mvrv DOUBLE, cost_basis_std_usd DOUBLE, supply_in_profit_pct DOUBLE,
                                             coins_without_price_btc DOUBLE);
