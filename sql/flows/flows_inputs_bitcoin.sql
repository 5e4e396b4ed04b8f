-- reads: exchange_hours, blocks, xlabels
-- creates: flow_hours (temp view), flow_block_times (temp view), flow_labels (temp view)
-- params: none
-- Bitcoin inputs of flows_by_period.sql (values in sats): the stored hourly rows of every flow-table
-- segment (sql/flows_hours.sql over the segment's exchange_txs, costbasis/flows/stored/).
CREATE OR REPLACE TEMP VIEW flow_hours AS
    SELECT hour, entity, direction, value, txs, top10 FROM exchange_hours;
CREATE OR REPLACE TEMP VIEW flow_block_times AS SELECT time FROM blocks;
CREATE OR REPLACE TEMP VIEW flow_labels AS SELECT entity FROM xlabels;
