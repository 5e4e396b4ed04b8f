-- reads: exchange_txs, blocks, xlabels
-- creates: flow_txs (temp view), flow_block_times (temp view), flow_labels (temp view)
-- params: none
-- Bitcoin inputs of flows_by_period.sql (values in sats).
CREATE OR REPLACE TEMP VIEW flow_txs AS
    SELECT time, entity, height, tx_index AS tx_key, direction, value FROM exchange_txs;
CREATE OR REPLACE TEMP VIEW flow_block_times AS SELECT time FROM blocks;
CREATE OR REPLACE TEMP VIEW flow_labels AS SELECT entity FROM xlabels;
