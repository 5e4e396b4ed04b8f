-- reads: inputs, outputs
-- returns: rows (height, tx_index, vin, prev_txid, prev_vout, prev_tx_key, created_height, value, script_type, script, is_coinbase)
-- params: $h_lo, $h_hi
-- Inputs of spending heights [$h_lo, $h_hi] with the full outpoint: store format 3 keeps only
-- prev_tx_key (the txid's first 8 bytes in display order, as a big-endian signed int64; see
-- costbasis/bitcoin/outpoints.py) beside the spent coin's creation height, and the spent transaction
-- is the one of block created_height whose txid starts with those bytes: an equality join on
-- (height, vout, txid prefix). The prefix is compared as hex (to_hex of the key, two's complement
-- for negative keys, zero-padded), so outputs need no key column. An input whose coin is not stored
-- (a store not ingested from genesis) keeps prev_txid NULL (left join); a 64-bit prefix shared by two
-- transactions of one block would give that input two rows (outpoints.py says when that can happen).
SELECT i.height, i.tx_index, i.vin, o.txid AS prev_txid, i.prev_vout, i.prev_tx_key, i.created_height,
       i.value, i.script_type, i.script, i.is_coinbase
FROM inputs i
LEFT JOIN outputs o
  ON o.height = i.created_height AND o.vout = i.prev_vout
 AND left(o.txid, 16) = lower(lpad(to_hex(i.prev_tx_key), 16, '0'))
WHERE i.height BETWEEN $h_lo AND $h_hi
ORDER BY i.height, i.tx_index, i.vin
