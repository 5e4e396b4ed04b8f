"""Columns of the Bitcoin tables (the contract between sources, store and SQL).

Conventions: heights int32; times are unix seconds (int64, UTC); values in satoshis
(int64); hashes and txids are lower-case hex in display (RPC) byte order.
`script` keeps the raw scriptPubKey bytes so labels can be matched by script
without formatting addresses on the hot path.

Nothing derivable is stored twice (store format 2):
- no `address` column: an address is a format of `script`; code that shows one formats the
  rows it returns in bulk (bulk_address.types_and_addresses, ~0.2 µs a row);
- inputs carry no `txid`: a transaction is (height, tx_index) in both tables, so an input's
  txid is outputs.txid of the same (height, tx_index) (every transaction has an output).
  The spent outpoint (prev_txid, prev_vout) is kept: it is the one thing not derivable.
Stores written before (format 1) have those extra columns in their older files; readers take
only the columns below (LEGACY_COLUMNS), so old and new files are read together.
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
    ("prev_txid", pa.string()),    # spent coin's outpoint
    ("prev_vout", pa.int32()),
    ("created_height", pa.int32()),
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

# Columns that format-1 stores also have (files written before format 2): ignored by readers.
LEGACY_COLUMNS = {"outputs": ("address",), "inputs": ("txid", "address")}

TABLES = {"blocks": BLOCKS, "outputs": OUTPUTS, "inputs": INPUTS, "coin_flows": COIN_FLOWS}
# Column that holds the block height in each table (used for range files and rollback).
KEYS = {"blocks": "height", "outputs": "height", "inputs": "height", "coin_flows": "spent_height"}

# Store chain name per network: mainnet is "bitcoin", others are suffixed.
NETWORK_CHAIN = {"main": "bitcoin", "testnet": "bitcoin-testnet", "testnet4": "bitcoin-testnet4",
                 "signet": "bitcoin-signet", "regtest": "bitcoin-regtest"}
