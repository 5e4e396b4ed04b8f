-- reads: deposit_amounts
-- returns: rows (date, usd, amount, n)
-- params: none
-- Per UTC day, the total USD value, amount and count of the deposits of deposit_amounts(time, usd,
-- amount) (one row per whale deposit: Bitcoin's sql/whales_deposits.sql, EVM's evm_whales_deposits.sql):
-- what sql/whales_daily.sql reads as deposit_days. Bitcoin computes it one part of the chain at a time,
-- so only one part's deposits are ever held. fsum (compensated summation): the totals do not depend on
-- the order the deposits are added in (nor, but for the last bit, on how the days are cut in parts).
SELECT CAST(time AS DATE) AS date, fsum(usd) AS usd, fsum(amount) AS amount, count(*) AS n
FROM deposit_amounts
GROUP BY 1;
