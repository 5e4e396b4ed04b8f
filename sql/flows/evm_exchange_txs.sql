-- reads: native_transfers, erc20_transfers, exlabels
-- creates: evm_exchange_txs (temp table)
-- params: $token, $scale
-- Exchange transfers per (transaction, exchange, direction) on an EVM chain, into the temp
-- table evm_exchange_txs. Transfers: native_transfers (ETH, $token NULL) or one token's
-- erc20_transfers (amount / $scale). Exchange addresses: view `exlabels` (address, entity).
-- Inflow to exchange E: a transfer to an address of E from any address not of E; outflow
-- symmetric; transfers inside one exchange are neither. from_exchange: the sender belongs to
-- some (other) exchange. An address labeled for several exchanges counts for the first one.
CREATE OR REPLACE TEMP TABLE evm_exchange_txs AS
WITH x AS (
    SELECT block_number, block_timestamp AS time, coalesce(transaction_hash, '') AS transaction_hash,
           transaction_index, from_address, to_address, value_eth AS amount
    FROM native_transfers WHERE $token IS NULL
    UNION ALL
    SELECT block_number, block_timestamp, transaction_hash, transaction_index, from_address, to_address,
           amount_f64 / $scale
    FROM erc20_transfers WHERE token_address = $token
), lab AS (
    SELECT lower(address) AS address, min(entity) AS entity FROM exlabels GROUP BY lower(address)
), j AS (
    SELECT x.*, lt.entity AS to_entity, lf.entity AS from_entity
    FROM x LEFT JOIN lab lt ON lt.address = x.to_address LEFT JOIN lab lf ON lf.address = x.from_address
    WHERE lt.entity IS NOT NULL OR lf.entity IS NOT NULL
)
SELECT block_number, time, transaction_hash, min(transaction_index) AS transaction_index, 'in' AS direction,
       to_entity AS entity, from_entity IS NOT NULL AS from_exchange, min(from_address) AS counterparty,
       sum(amount) AS amount
FROM j WHERE to_entity IS NOT NULL AND to_entity IS DISTINCT FROM from_entity
GROUP BY block_number, time, transaction_hash, to_entity, from_entity IS NOT NULL
UNION ALL
SELECT block_number, time, transaction_hash, min(transaction_index), 'out', from_entity, true, min(to_address),
       sum(amount)
FROM j WHERE from_entity IS NOT NULL AND from_entity IS DISTINCT FROM to_entity
GROUP BY block_number, time, transaction_hash, from_entity;
