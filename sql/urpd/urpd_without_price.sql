-- reads: urpd_live
-- returns: rows (without_price_btc)
-- params: none
-- Per creation price of urpd_live.sql, the BTC created before the first price point, in price
-- order (as live_by_price.sql gives them): their sum is the URPD's coins_without_price_btc.
SELECT nop / 1e8 AS without_price_btc FROM urpd_live WHERE amount <> 0 ORDER BY price
