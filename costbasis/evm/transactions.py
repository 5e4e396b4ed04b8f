"""Dataset `transactions`: one row per transaction with status and gas fee paid.

Fetched from the full blocks plus one `eth_getBlockReceipts` per block (falling
back to `eth_getTransactionReceipt` per transaction on nodes without it).
Amounts in wei are exact decimal strings; `*_eth` float64 columns are for analytics.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.evm.rpc import hex_int

NAME = "transactions"
KEY = "block_number"
WEI = 10**18

SCHEMA = pa.schema([
    ("block_number", pa.int64()),
    ("block_timestamp", pa.int64()),
    ("transaction_index", pa.int32()),
    ("transaction_hash", pa.string()),
    ("from_address", pa.string()),
    ("to_address", pa.string()),          # null for contract creation
    ("contract_address", pa.string()),    # created contract, else null
    ("nonce", pa.int64()),
    ("value_wei", pa.string()),
    ("value_eth", pa.float64()),
    ("gas_limit", pa.int64()),
    ("gas_used", pa.int64()),
    ("gas_price_wei", pa.string()),       # effective gas price
    ("fee_wei", pa.string()),             # gas_used * effective price (+ blob fee)
    ("fee_eth", pa.float64()),
    ("status", pa.int8()),                # 1 success, 0 failed, null pre-Byzantium
    ("method_id", pa.string()),           # first 4 bytes of input, null if none
])


def receipt_calls(numbers: list[int]) -> list[tuple[str, list]]:
    return [("eth_getBlockReceipts", [hex(n)]) for n in numbers]


def receipt_calls_per_tx(raw_blocks: list[dict]) -> list[tuple[str, list]]:
    return [("eth_getTransactionReceipt", [tx["hash"]]) for b in raw_blocks for tx in b.get("transactions") or []]


def fee_wei(tx: dict, receipt: dict) -> int:
    price = hex_int(receipt.get("effectiveGasPrice") or tx.get("gasPrice")) or 0
    fee = (hex_int(receipt.get("gasUsed")) or 0) * price
    if receipt.get("blobGasUsed") and receipt.get("blobGasPrice"):
        fee += hex_int(receipt["blobGasUsed"]) * hex_int(receipt["blobGasPrice"])
    return fee


def table(raw_blocks: list[dict], receipts: dict[str, dict]) -> pa.Table:
    """`receipts` maps transaction hash (lower-case) to its receipt."""
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    for b in raw_blocks:
        number = hex_int(b["number"])
        ts = hex_int(b["timestamp"])
        for tx in b.get("transactions") or []:
            h = tx["hash"].lower()
            rc = receipts.get(h)
            if rc is None:
                raise ValueError(f"no receipt for transaction {h} in block {number}")
            value = hex_int(tx.get("value")) or 0
            fee = fee_wei(tx, rc)
            price = hex_int(rc.get("effectiveGasPrice") or tx.get("gasPrice")) or 0
            inp = tx.get("input") or tx.get("data") or "0x"
            status = rc.get("status")
            cols["block_number"].append(number)
            cols["block_timestamp"].append(ts)
            cols["transaction_index"].append(hex_int(tx["transactionIndex"]))
            cols["transaction_hash"].append(h)
            cols["from_address"].append(tx["from"].lower())
            cols["to_address"].append(tx["to"].lower() if tx.get("to") else None)
            cols["contract_address"].append(rc["contractAddress"].lower() if rc.get("contractAddress") else None)
            cols["nonce"].append(hex_int(tx.get("nonce")))
            cols["value_wei"].append(str(value))
            cols["value_eth"].append(value / WEI)
            cols["gas_limit"].append(hex_int(tx.get("gas")))
            cols["gas_used"].append(hex_int(rc.get("gasUsed")))
            cols["gas_price_wei"].append(str(price))
            cols["fee_wei"].append(str(fee))
            cols["fee_eth"].append(fee / WEI)
            cols["status"].append(hex_int(status) if status is not None else None)
            cols["method_id"].append(inp[:10].lower() if len(inp) >= 10 else None)
    return pa.table(cols, schema=SCHEMA)
