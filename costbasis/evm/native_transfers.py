"""Dataset `native_transfers`: every movement of the native coin (ETH) by value.

Sources, in the order they are applied within a block (`transfer_index`):
- top-level: each successful transaction with value > 0 (`trace_address` = "");
  a contract creation pays the created address;
- internal: CALL / CREATE / CREATE2 / SELFDESTRUCT frames from `trace_block`
  (Parity style) or `debug_traceBlockByNumber` with callTracer (geth style).
  DELEGATECALL, STATICCALL and CALLCODE move no value between accounts. A frame
  that failed, any frame below it, and every frame of a failed transaction carry
  no value and are skipped;
- issuance at the end of the block: `reward` traces (Parity nodes) and beacon
  `withdrawals` (amount in gwei), with from_address null (a mint).

Gas fees are not transfers; they are in `transactions.fee_wei`.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.evm.rpc import hex_int

NAME = "native_transfers"
KEY = "block_number"
WEI = 10**18
GWEI = 10**9

SCHEMA = pa.schema([
    ("block_number", pa.int64()),
    ("block_timestamp", pa.int64()),
    ("transfer_index", pa.int32()),      # order of application inside the block
    ("transaction_index", pa.int32()),   # null for rewards / withdrawals
    ("transaction_hash", pa.string()),
    ("trace_address", pa.string()),      # "" top level, "0,1" = second call of the first call
    ("transfer_type", pa.string()),      # call | create | selfdestruct | reward | withdrawal
    ("from_address", pa.string()),       # null = issuance
    ("to_address", pa.string()),
    ("value_wei", pa.string()),
    ("value_eth", pa.float64()),
])


def trace_calls(numbers: list[int], mode: str) -> list[tuple[str, list]]:
    if mode == "parity":
        return [("trace_block", [hex(n)]) for n in numbers]
    if mode == "geth":
        return [("debug_traceBlockByNumber", [hex(n), {"tracer": "callTracer"}]) for n in numbers]
    return []


def _internal_parity(traces: list[dict]) -> dict[int, list[tuple[str, str, str | None, str | None, int]]]:
    """Per transaction position: (trace_address, type, from, to, value) of value-moving frames."""
    out: dict[int, list] = {}
    failed: set[tuple[int, tuple[int, ...]]] = set()
    for t in traces or []:
        pos = t.get("transactionPosition")
        if pos is None:
            continue
        addr = tuple(t.get("traceAddress") or [])
        if t.get("error"):
            failed.add((pos, addr))
        if not addr:
            continue  # top level comes from the transaction itself
        if any((pos, addr[:k]) in failed for k in range(len(addr) + 1)):
            continue
        typ = t.get("type")
        a = t.get("action") or {}
        res = t.get("result") or {}
        if typ == "call":
            if (a.get("callType") or "call") != "call":
                continue
            row = ("call", a.get("from"), a.get("to"), hex_int(a.get("value")) or 0)
        elif typ == "create":
            row = ("create", a.get("from"), res.get("address"), hex_int(a.get("value")) or 0)
        elif typ in ("suicide", "selfdestruct"):
            row = ("selfdestruct", a.get("address"), a.get("refundAddress"), hex_int(a.get("balance")) or 0)
        else:
            continue
        if row[3] > 0:
            out.setdefault(pos, []).append((",".join(map(str, addr)),) + row)
    return out


def _rewards_parity(traces: list[dict]) -> list[tuple[str, str]]:
    return [((t.get("action") or {}).get("author"), (t.get("action") or {}).get("value"))
            for t in traces or [] if t.get("type") == "reward"]


def _walk_geth(frame: dict, path: tuple[int, ...], out: list) -> None:
    if frame.get("error"):
        return  # this frame and everything below it were reverted
    if path:
        typ = (frame.get("type") or "").upper()
        value = hex_int(frame.get("value")) or 0
        kind = {"CALL": "call", "CREATE": "create", "CREATE2": "create", "SELFDESTRUCT": "selfdestruct"}.get(typ)
        if kind and value > 0:
            out.append((",".join(map(str, path)), kind, frame.get("from"), frame.get("to"), value))
    for i, child in enumerate(frame.get("calls") or []):
        _walk_geth(child, path + (i,), out)


def _internal_geth(traces: list[dict]) -> dict[int, list]:
    out: dict[int, list] = {}
    for pos, item in enumerate(traces or []):
        frame = item.get("result") if isinstance(item, dict) and "result" in item else item
        if not isinstance(frame, dict):
            continue
        rows: list = []
        _walk_geth(frame, (), rows)
        if rows:
            out[pos] = rows
    return out


def table(raw_blocks: list[dict], receipts: dict[str, dict], traces: dict[int, list] | None, mode: str) -> pa.Table:
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}

    def add(number, ts, idx, txi, txh, taddr, kind, frm, to, value):
        cols["block_number"].append(number)
        cols["block_timestamp"].append(ts)
        cols["transfer_index"].append(idx)
        cols["transaction_index"].append(txi)
        cols["transaction_hash"].append(txh)
        cols["trace_address"].append(taddr)
        cols["transfer_type"].append(kind)
        cols["from_address"].append(frm.lower() if frm else None)
        cols["to_address"].append(to.lower() if to else None)
        cols["value_wei"].append(str(value))
        cols["value_eth"].append(value / WEI)

    for b in raw_blocks:
        number = hex_int(b["number"])
        ts = hex_int(b["timestamp"])
        raw_tr = (traces or {}).get(number) or []
        internal = _internal_parity(raw_tr) if mode == "parity" else _internal_geth(raw_tr) if mode == "geth" else {}
        idx = 0
        for tx in b.get("transactions") or []:
            h = tx["hash"].lower()
            rc = receipts[h]
            if rc.get("status") is not None and hex_int(rc["status"]) == 0:
                continue  # failed transaction: no value moved at any depth
            pos = hex_int(tx["transactionIndex"])
            value = hex_int(tx.get("value")) or 0
            if value > 0:
                to = tx.get("to") or rc.get("contractAddress")
                add(number, ts, idx, pos, h, "", "create" if not tx.get("to") else "call", tx["from"], to, value)
                idx += 1
            for taddr, kind, frm, to, v in internal.get(pos, []):
                add(number, ts, idx, pos, h, taddr, kind, frm, to, v)
                idx += 1
        if mode == "parity":
            for author, value in _rewards_parity(raw_tr):
                v = hex_int(value) or 0
                if v > 0:
                    add(number, ts, idx, None, None, "", "reward", None, author, v)
                    idx += 1
        for w in b.get("withdrawals") or []:
            v = (hex_int(w.get("amount")) or 0) * GWEI
            if v > 0:
                add(number, ts, idx, None, None, "", "withdrawal", None, w.get("address"), v)
                idx += 1
    return pa.table(cols, schema=SCHEMA)
