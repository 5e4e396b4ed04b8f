-- reads: evm_exchange_txs, blocks, exlabels
-- creates: flow_txs (temp view), flow_block_times (temp view), flow_labels (temp view)
-- params: none
-- EVM inputs of flows_by_period.sql (amounts already in ETH / token units), aggregated per hour at
-- query time (flow_hours: a view of sql/flows_hours.sql over flow_txs, costbasis/flows/evm_flows.py;
-- the EVM exchange txs are computed per query too).
CREATE OR REPLACE TEMP VIEW flow_txs AS
    SELECT time, entity, block_number AS height, transaction_hash AS tx_key, direction, amount AS value
    FROM evm_exchange_txs;
CREATE OR REPLACE TEMP VIEW flow_block_times AS SELECT timestamp AS time FROM blocks;
CREATE OR REPLACE TEMP VIEW flow_labels AS SELECT entity FROM exlabels;
