-- reads: old_sources, cand_wallet, wallet_meta, wallet_delta
-- creates: wallet_rows (temp table)
-- params: none
-- The deposit_sources rows of the deposits whose source wallet grew (temp table cand_wallet): the
-- stored row (view old_sources: the segment's file) with the joiners' balance just before the deposit
-- added (wallet_delta (height, tx_index, balance): the parts of sql/whales_delta_members.sql, signed) and
-- the new wallet's size and display address (wallet_meta, sql/whales_wallet_meta.sql). Exact: a
-- balance is a sum over the wallet's members, and the new wallet is the old one plus the joiners.
CREATE OR REPLACE TEMP TABLE wallet_rows AS
SELECT o.height, o.tx_index, (o.balance + coalesce(d.balance, 0))::BIGINT AS balance,
       m.cluster_size, m.source_cluster
FROM old_sources o
SEMI JOIN cand_wallet w ON w.height = o.height AND w.tx_index = o.tx_index
JOIN wallet_meta m ON m.height = o.height AND m.tx_index = o.tx_index
LEFT JOIN (SELECT height, tx_index, sum(balance) AS balance FROM wallet_delta GROUP BY height, tx_index) d
     ON d.height = o.height AND d.tx_index = o.tx_index;
