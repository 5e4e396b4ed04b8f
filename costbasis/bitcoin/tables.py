"""Column arrays -> Arrow tables in schema order; shared by the datadir and RPC sources.

Sources provide only what they read (heights, txids, values, raw scripts, the spent
coin's creation height from undo data or `prevout`); everything derived from those
— script type, spendable flag, subsidy, coin_flows — is computed here so both sources
give identical rows. Addresses are not stored (schema.py): formatted where shown.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from costbasis.bitcoin import schema
from costbasis.bitcoin.addrfast import script_to_address
from costbasis.bitcoin.consensus import params, subsidy
from costbasis.bitcoin.outpoints import tx_key
from costbasis.bitcoin.script import ADDRESS_TYPES, MAX_SCRIPT_SIZE, classify
from costbasis.bitcoin.source import BlockBatch



def types_and_addresses_py(scripts, network: str | None) -> tuple[pa.Array, pa.Array | None, np.ndarray]:
    """Plain-Python bulk_address.types_and_addresses (the fallback without numba / libcrypto): same values,
    ~10 µs a distinct script instead of ~0.1 µs a row. network None: types only (addresses None)."""
    if isinstance(scripts, (pa.Array, pa.ChunkedArray)):
        scripts = scripts.to_pylist()
    seen: dict[bytes, tuple] = {}
    types, addrs = [], []
    for s in scripts:
        r = seen.get(s)
        if r is None:
            t = classify(s)
            r = seen[s] = (t, script_to_address(t, s, network) if network and t in ADDRESS_TYPES else None)
        types.append(r[0])
        addrs.append(r[1])
    unspendable = np.fromiter(((len(s) > 0 and s[0] == 0x6A) or len(s) > MAX_SCRIPT_SIZE for s in scripts),
                              dtype=bool, count=len(scripts))
    return pa.array(types, pa.string()), pa.array(addrs, pa.string()) if network else None, unspendable


def script_types_py(scripts) -> tuple[pa.Array, np.ndarray]:
    """Plain-Python bulk_address.script_types."""
    types, _, unspendable = types_and_addresses_py(scripts, None)
    return types, unspendable


try:  # numba kernels, ~0.1 µs a row
    from costbasis.bitcoin.bulk_address import script_types, types_and_addresses
except Exception:  # pragma: no cover - no numba, no usable libcrypto, or numba cannot set up its cache
    types_and_addresses = types_and_addresses_py
    script_types = script_types_py

# Columns a source supplies; the rest of each schema is derived here.
BLOCK_COLS = ("height", "hash", "prev_hash", "time", "median_time", "tx_count", "size", "weight", "fees")
OUTPUT_COLS = ("height", "tx_index", "txid", "vout", "value", "script", "is_coinbase")
INPUT_COLS = ("height", "tx_index", "vin", "prev_tx_key", "prev_vout", "created_height", "value",
              "script", "is_coinbase")


def new_columns(cols: Sequence[str]) -> dict[str, list]:
    return {c: [] for c in cols}


class ScriptCache:
    """Kept for callers of the old interface; script types and addresses are now computed in bulk
    (bulk_address, ~0.1 µs a row), which is cheaper than a per-script dict lookup."""

    def __init__(self, network: str):
        self.network = network

    def clear(self) -> None:
        pass


def classify_scripts(scripts: Sequence[bytes], network: str,
                     cache: ScriptCache | None = None) -> tuple[list[str], list[str | None]]:
    """(script_type list, address list) for raw scriptPubKeys."""
    types, addrs, _ = types_and_addresses(scripts, network)
    return types.to_pylist(), addrs.to_pylist()


def _arr(values, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values.cast(typ) if values.type != typ else values
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(typ)
    return pa.array(values, typ)


def blocks_table(cols: dict, network: str) -> pa.Table:
    interval = params(network).halving_interval
    heights = cols["height"]
    data = dict(cols)
    data["subsidy"] = [subsidy(int(h), interval) for h in heights]
    return pa.table({f.name: _arr(data[f.name], f.type) for f in schema.BLOCKS}, schema=schema.BLOCKS)


def outputs_table(cols: dict, network: str, cache: ScriptCache | None = None) -> pa.Table:
    scripts = _arr(cols["script"], pa.binary())
    # Unspendable: OP_RETURN or oversize scripts (never in the UTXO set) and the genesis output.
    types, unspendable = script_types(scripts)
    height = np.asarray(cols["height"], dtype=np.int32)
    spendable = ~unspendable & (height != 0)
    data = dict(cols, script=scripts, script_type=types, spendable=spendable)
    return pa.table({f.name: _arr(data[f.name], f.type) for f in schema.OUTPUTS}, schema=schema.OUTPUTS)


def inputs_table(cols: dict, network: str, cache: ScriptCache | None = None) -> pa.Table:
    scripts = _arr(cols["script"], pa.binary())
    types, _ = script_types(scripts)
    data = dict(cols, script=scripts, script_type=types)
    return pa.table({f.name: _arr(data[f.name], f.type) for f in schema.INPUTS}, schema=schema.INPUTS)


def coin_flows_table(spent_height, created_height, value) -> pa.Table:
    """Inputs aggregated per (spent_height, created_height): sum of value, count; sorted by both keys."""
    t = pa.table({"spent_height": _arr(spent_height, pa.int32()),
                  "created_height": _arr(created_height, pa.int32()),
                  "value": _arr(value, pa.int64())})
    if t.num_rows == 0:
        return schema.COIN_FLOWS.empty_table()
    g = t.group_by(["spent_height", "created_height"]).aggregate([("value", "sum"), ("value", "count")])
    g = g.sort_by([("spent_height", "ascending"), ("created_height", "ascending")])
    return pa.table({"spent_height": g["spent_height"], "created_height": g["created_height"],
                     "value": g["value_sum"].cast(pa.int64()), "count": g["value_count"].cast(pa.int32())},
                    schema=schema.COIN_FLOWS)


def make_batch(network: str, first: int, last: int, hashes: dict[int, str], blocks: dict, outputs: dict,
               inputs: dict, tx_count: int | None = None, cache: ScriptCache | None = None) -> BlockBatch:
    """Assemble a BlockBatch from source columns (python lists, numpy arrays or Arrow arrays).

    blocks: BLOCK_COLS, outputs: OUTPUT_COLS, inputs: INPUT_COLS (coinbase inputs excluded)."""
    cache = cache or ScriptCache(network)
    bt = blocks_table(blocks, network)
    ot = outputs_table(outputs, network, cache)
    it = inputs_table(inputs, network, cache)
    cf = coin_flows_table(it["height"], it["created_height"], it["value"])
    if tx_count is None:
        tx_count = int(pc.sum(bt["tx_count"]).as_py() or 0)
    return BlockBatch(first=first, last=last,
                      tables={"blocks": bt, "outputs": ot, "inputs": it, "coin_flows": cf},
                      hashes=dict(hashes), tx_count=tx_count, io_count=ot.num_rows + it.num_rows)


class BatchBuilder:
    """Row-at-a-time helper for slower sources (RPC): append rows, then build()."""

    def __init__(self, network: str):
        self.network = network
        self.reset()

    def reset(self) -> None:
        self.blocks = new_columns(BLOCK_COLS)
        self.outputs = new_columns(OUTPUT_COLS)
        self.inputs = new_columns(INPUT_COLS)
        self.hashes: dict[int, str] = {}

    def add_block(self, height: int, hash: str, prev_hash: str, time: int, median_time: int, tx_count: int,
                  size: int, weight: int, fees: int) -> None:
        for k, v in zip(BLOCK_COLS, (height, hash, prev_hash, time, median_time, tx_count, size, weight, fees)):
            self.blocks[k].append(v)
        self.hashes[height] = hash

    def add_output(self, height: int, tx_index: int, txid: str, vout: int, value: int, script: bytes,
                   is_coinbase: bool) -> None:
        for k, v in zip(OUTPUT_COLS, (height, tx_index, txid, vout, value, script, is_coinbase)):
            self.outputs[k].append(v)

    def add_input(self, height: int, tx_index: int, vin: int, prev_txid: str, prev_vout: int,
                  created_height: int, value: int, script: bytes, is_coinbase: bool) -> None:
        """prev_txid: the spent coin's txid (hex, as RPC gives it); stored as its key (outpoints.tx_key)."""
        for k, v in zip(INPUT_COLS, (height, tx_index, vin, tx_key(prev_txid), prev_vout, created_height, value,
                                     script, is_coinbase)):
            self.inputs[k].append(v)

    def build(self) -> BlockBatch:
        hs = self.blocks["height"]
        if not hs:
            raise ValueError("empty batch")
        batch = make_batch(self.network, min(hs), max(hs), self.hashes, self.blocks, self.outputs, self.inputs)
        self.reset()
        return batch
