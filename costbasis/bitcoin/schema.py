"""Columns of the Bitcoin tables (the contract between sources, store and SQL).

Conventions: heights int32; times are unix seconds (int64, UTC); values in satoshis
(int64); hashes and txids are lower-case hex in display (RPC) byte order.
`script` keeps the raw scriptPubKey bytes so labels can be matched by script
without formatting addresses on the hot path.

Nothing derivable is stored twice, and what identifies is stored compactly (store format 3):
- no `address` column: an address is a format of `script`; code that shows one formats the
  rows it returns in bulk (bulk_address.types_and_addresses, ~0.2 µs a row);
- inputs carry no `txid`: a transaction is (height, tx_index) in both tables, so an input's
  txid is outputs.txid of the same (height, tx_index) (every transaction has an output);
- inputs carry the spent outpoint as (created_height, prev_tx_key, prev_vout), not the 64-char hex
  prev_txid: prev_tx_key is the txid's first 8 bytes in display order as a big-endian signed int64
  (outpoints.tx_key), ~8 B an input instead of ~34 B. The spent transaction is the one of block
  created_height with that prefix, so the full outpoint is exact in practice (a shared 64-bit prefix
  within one block: ~n^2/2^65 for n txs, negligible) and is resolved by a join with outputs when
  wanted (engine/bitcoin/outpoints.resolve, sql/chain/inputs_outpoints.sql). No metric needs it.
Stores written before keep their older files as they are and grow in the current format; readers
take the columns below: format 1 files (before format 2) also have outputs.address, inputs.txid and
inputs.address, which are ignored (LEGACY_COLUMNS); format 1 and 2 files have inputs.prev_txid instead
of prev_tx_key, which the views derive from it (FROM_OLDER: engine/db.py register_files, engine/spark/
session.py register_chain). Older files are always a prefix of a table's file list (ingest only
appends; a rollback rewrites a file in its own format), so the first file tells whether any is older.
"""

import pyarrow as pa

BLOCKS = pa.schema([
    ("height", pa.int32()),
    ("hash", pa.string()),
    ("prev_hash", pa.string()),
    ("time", pa.int64()),          # header nTime, unix seconds
    ("median_time", pa.int64()),   # median of the previous 11 block times (BIP113), incl. this block
    ("tx_count", pa.int32()),
    ("size", pa.int32()),
    ("weight", pa.int32()),
    ("subsidy", pa.int64()),       # block subsidy allowed by consensus at this height
    ("fees", pa.int64()),          # sum(inputs) - sum(outputs) over non-coinbase txs
])

OUTPUTS = pa.schema([
    ("height", pa.int32()),
    ("tx_index", pa.int32()),
    ("txid", pa.string()),
    ("vout", pa.int32()),
    ("value", pa.int64()),
    ("script_type", pa.string()),  # p2pk p2pkh p2sh p2wpkh p2wsh p2tr multisig op_return witness_unknown nonstandard
    ("script", pa.binary()),
    ("is_coinbase", pa.bool_()),
    ("spendable", pa.bool_()),     # false for OP_RETURN (and the genesis output): excluded from supply
])

INPUTS = pa.schema([
    ("height", pa.int32()),        # spending block height
    ("tx_index", pa.int32()),      # the spending tx: its txid is outputs.txid at (height, tx_index)
    ("vin", pa.int32()),
    ("prev_tx_key", pa.int64()),   # spent coin's outpoint: its txid's first 8 bytes (outpoints.tx_key),
    ("prev_vout", pa.int32()),     # ... its output index
    ("created_height", pa.int32()),  # ... and the block of its transaction
    ("value", pa.int64()),
    ("script_type", pa.string()),
    ("script", pa.binary()),       # the spent coin's scriptPubKey
    ("is_coinbase", pa.bool_()),   # the spent coin was a coinbase output
])

# Inputs aggregated per (spent block, creation block): all age-cohort metrics need only this.
COIN_FLOWS = pa.schema([
    ("spent_height", pa.int32()),
    ("created_height", pa.int32()),
    ("value", pa.int64()),
    ("count", pa.int32()),
])

# Columns that older files also have: ignored by readers (format 1's address and inputs.txid), or the
# source of a current column that FROM_OLDER derives from them (inputs.prev_txid, formats 1 and 2).
LEGACY_COLUMNS = {"outputs": ("address",), "inputs": ("txid", "address", "prev_txid")}
# Current columns older files lack: {table: {column: older column it is derived from (a hex txid,
# by outpoints.tx_key; the views' SQL / Spark expressions are outpoints.tx_key_sql / tx_key_spark)}}.
FROM_OLDER = {"inputs": {"prev_tx_key": "prev_txid"}}

TABLES = {"blocks": BLOCKS, "outputs": OUTPUTS, "inputs": INPUTS, "coin_flows": COIN_FLOWS}
# Column that holds the block height in each table (used for range files and rollback).
KEYS = {"blocks": "height", "outputs": "height", "inputs": "height", "coin_flows": "spent_height"}

# Store chain name per network: mainnet is "bitcoin", others are suffixed.
NETWORK_CHAIN = {"main": "bitcoin", "testnet": "bitcoin-testnet", "testnet4": "bitcoin-testnet4",
                 "signet": "bitcoin-signet", "regtest": "bitcoin-regtest"}
