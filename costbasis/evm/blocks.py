"""Dataset `blocks`: one row per block header (eth_getBlockByNumber, full transactions).

Fetched together with the transactions (the same call returns both), so the
transactions dataset reuses these raw blocks.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.evm.rpc import hex_int

NAME = "blocks"
KEY = "block_number"

SCHEMA = pa.schema([
    ("block_number", pa.int64()),
    ("block_hash", pa.string()),
    ("parent_hash", pa.string()),
    ("timestamp", pa.int64()),           # unix seconds UTC
    ("miner", pa.string()),
    ("gas_used", pa.int64()),
    ("gas_limit", pa.int64()),
    ("base_fee_per_gas", pa.string()),   # wei, decimal string (null before London)
    ("transaction_count", pa.int32()),
])


def calls(numbers: list[int]) -> list[tuple[str, list]]:
    return [("eth_getBlockByNumber", [hex(n), True]) for n in numbers]


def table(raw_blocks: list[dict]) -> pa.Table:
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    for b in raw_blocks:
        cols["block_number"].append(hex_int(b["number"]))
        cols["block_hash"].append(b["hash"].lower())
        cols["parent_hash"].append(b["parentHash"].lower())
        cols["timestamp"].append(hex_int(b["timestamp"]))
        cols["miner"].append((b.get("miner") or "").lower() or None)
        cols["gas_used"].append(hex_int(b.get("gasUsed")))
        cols["gas_limit"].append(hex_int(b.get("gasLimit")))
        bf = b.get("baseFeePerGas")
        cols["base_fee_per_gas"].append(str(hex_int(bf)) if bf is not None else None)
        cols["transaction_count"].append(len(b.get("transactions") or []))
    return pa.table(cols, schema=SCHEMA)
