"""Dataset `erc20_transfers`: ERC-20 `Transfer(address,address,uint256)` logs.

Fetched with `eth_getLogs` over the block range (topic0 = Transfer, optionally
restricted to --tokens); a range the node refuses (too many results) is split in
half. Only logs with exactly 3 topics and 32 bytes of data are ERC-20 transfers
(ERC-721 puts the token id in a 4th topic). `amount_raw` is the exact integer in
token base units; `amount_f64` the same number as float64 (unscaled: divide by
10**decimals, recorded per token in the chain meta `erc20_decimals`).
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.evm.rpc import hex_int

NAME = "erc20_transfers"
KEY = "block_number"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
DECIMALS_SELECTOR = "0x313ce567"

SCHEMA = pa.schema([
    ("block_number", pa.int64()),
    ("block_timestamp", pa.int64()),
    ("transaction_index", pa.int32()),
    ("log_index", pa.int32()),
    ("transaction_hash", pa.string()),
    ("token_address", pa.string()),
    ("from_address", pa.string()),   # 0x000..0 = mint
    ("to_address", pa.string()),     # 0x000..0 = burn
    ("amount_raw", pa.string()),
    ("amount_f64", pa.float64()),
])


def log_filter(first: int, last: int, tokens: list[str] | None) -> dict:
    f = {"fromBlock": hex(first), "toBlock": hex(last), "topics": [TRANSFER_TOPIC]}
    if tokens:
        f["address"] = tokens
    return f


def is_erc20_transfer(log: dict) -> bool:
    topics = log.get("topics") or []
    data = log.get("data") or "0x"
    return (len(topics) == 3 and topics[0].lower() == TRANSFER_TOPIC and len(data) == 66
            and not log.get("removed"))


def _topic_address(topic: str) -> str:
    return "0x" + topic[-40:].lower()


def table(logs: list[dict], timestamps: dict[int, int]) -> pa.Table:
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    rows = []
    for lg in logs:
        if not is_erc20_transfer(lg):
            continue
        rows.append((hex_int(lg["blockNumber"]), hex_int(lg["logIndex"]), lg))
    rows.sort(key=lambda r: (r[0], r[1]))
    for number, log_index, lg in rows:
        amount = int(lg["data"], 16)
        cols["block_number"].append(number)
        cols["block_timestamp"].append(timestamps.get(number))
        cols["transaction_index"].append(hex_int(lg.get("transactionIndex")))
        cols["log_index"].append(log_index)
        cols["transaction_hash"].append((lg.get("transactionHash") or "").lower() or None)
        cols["token_address"].append(lg["address"].lower())
        cols["from_address"].append(_topic_address(lg["topics"][1]))
        cols["to_address"].append(_topic_address(lg["topics"][2]))
        cols["amount_raw"].append(str(amount))
        cols["amount_f64"].append(float(amount))
    return pa.table(cols, schema=SCHEMA)
