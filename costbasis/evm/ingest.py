"""EVM ingest orchestration: block ranges from a JSON-RPC node into the Parquet store.

One committed file per table per block range (cryo style). The loop:
1. check the stored tip against the node (resume); on a mismatch find the fork
   point among the stored recent hashes and `ChainStore.rollback` to it;
2. write only blocks at or beyond the confirmation depth (head - confirmations);
3. per range, fetch blocks, receipts and traces as concurrent JSON-RPC batches
   and the ERC-20 Transfer logs with `eth_getLogs` (split when refused);
4. check parent-hash continuity inside the range and against the stored tip; a
   break means the node reorganised while we read: roll back and continue.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa

from costbasis.errors import CostbasisError, UsageError
from costbasis.evm import blocks, erc20_transfers, native_transfers, transactions
from costbasis.evm.rpc import RpcClient, RpcError, hex_int, hex_quantity
from costbasis.store import ChainStore, Store
from costbasis.store.names import validate_chain_name

DATASETS = (blocks, transactions, native_transfers, erc20_transfers)
SCHEMAS = {d.NAME: d.SCHEMA for d in DATASETS}
KEYS = {d.NAME: d.KEY for d in DATASETS}
TRACE_MODES = ("auto", "parity", "geth", "none")
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")
_LOG_SPLIT_HINTS = ("more than", "too many", "limit", "range", "exceed", "response size", "query timeout", "-32005")


@dataclass
class IngestResult:
    chain: str
    first: int | None = None
    last: int | None = None
    blocks: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    rolled_back_to: int | None = None
    trace_mode: str = "none"
    seconds: float = 0.0
    head: int | None = None


class _Reorg(Exception):
    pass


# --------------------------------------------------------------------- fetching
def detect_trace_mode(client: RpcClient, probe_block: int, wanted: str) -> str:
    """Pick trace_block (Parity/Erigon/anvil) or debug_traceBlockByNumber (geth)."""
    if wanted != "auto":
        return wanted
    n = max(1, probe_block)
    for mode in ("parity", "geth"):
        try:
            client.batch(native_transfers.trace_calls([n], mode))
            return mode
        except RpcError as e:
            if e.method_missing or "not available" in e.node_message.lower() or "unsupported" in e.node_message.lower():
                continue
            return mode  # the method exists; it only failed for the probe block (e.g. genesis on geth)
    raise CostbasisError("the node supports neither trace_block nor debug_traceBlockByNumber; internal ETH "
                         "transfers need one of them (use --traces none to ingest top-level transfers only)")


def get_logs(client: RpcClient, first: int, last: int, tokens: list[str] | None) -> list[dict]:
    """eth_getLogs over [first, last], halving the range while the node refuses it."""
    try:
        return client.call("eth_getLogs", [erc20_transfers.log_filter(first, last, tokens)]) or []
    except RpcError as e:
        msg = f"{e.code} {e.node_message}".lower()
        if first == last or not any(h in msg for h in _LOG_SPLIT_HINTS):
            raise
    mid = (first + last) // 2
    return get_logs(client, first, mid, tokens) + get_logs(client, mid + 1, last, tokens)


def _chunks(numbers: list[int], size: int) -> list[list[int]]:
    return [numbers[i:i + size] for i in range(0, len(numbers), size)]


def fetch_receipts(client: RpcClient, raw_blocks: list[dict], per_block: list[list[int]]) -> dict[str, dict]:
    receipts: dict[str, dict] = {}
    try:
        for group in client.map_batches(transactions.receipt_calls(g) for g in per_block):
            for block_receipts in group:
                for rc in block_receipts or []:
                    receipts[rc["transactionHash"].lower()] = rc
    except RpcError as e:
        if not e.method_missing:
            raise
        calls = transactions.receipt_calls_per_tx(raw_blocks)
        for group in client.map_batches(_chunks(calls, client.batch_size)):
            for rc in group:
                receipts[rc["transactionHash"].lower()] = rc
    return receipts


def fetch_range(client: RpcClient, first: int, last: int, trace_mode: str, tokens: list[str] | None,
                block_batch: int) -> tuple[dict[str, pa.Table], list[dict]]:
    try:
        return _fetch_range(client, first, last, trace_mode, tokens, block_batch)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        # everything here parses what the node sent: a reply of the wrong JSON shape is one line
        raise CostbasisError(f"{client.url} sent malformed data for blocks {first}-{last} "
                             f"({type(e).__name__}: {str(e)[:80]}); is it a complete EVM archive node?") from None


def _fetch_range(client: RpcClient, first: int, last: int, trace_mode: str, tokens: list[str] | None,
                 block_batch: int) -> tuple[dict[str, pa.Table], list[dict]]:
    numbers = list(range(first, last + 1))
    groups = _chunks(numbers, block_batch)
    raw_blocks = [b for g in client.map_batches(blocks.calls(g) for g in groups) for b in g]
    for n, b in zip(numbers, raw_blocks):
        if b is None:
            raise _Reorg(f"block {n} vanished from the node")
    receipts = fetch_receipts(client, raw_blocks, groups)
    traces: dict[int, list] = {}
    if trace_mode in ("parity", "geth"):
        # Genesis has no transactions and some nodes refuse to trace it.
        tn = [n for n, b in zip(numbers, raw_blocks) if n > 0 and (trace_mode == "parity" or b.get("transactions"))]
        for g, res in zip(_chunks(tn, block_batch), client.map_batches(native_transfers.trace_calls(g, trace_mode)
                                                                       for g in _chunks(tn, block_batch))):
            traces.update(zip(g, res))
    logs = get_logs(client, first, last, tokens)
    timestamps = {hex_int(b["number"]): hex_int(b["timestamp"]) for b in raw_blocks}
    tables = {
        blocks.NAME: blocks.table(raw_blocks),
        transactions.NAME: transactions.table(raw_blocks, receipts),
        native_transfers.NAME: native_transfers.table(raw_blocks, receipts, traces, trace_mode),
        erc20_transfers.NAME: erc20_transfers.table(logs, timestamps),
    }
    return tables, raw_blocks


# ------------------------------------------------------------------ reorg logic
def node_hashes(client: RpcClient, heights: list[int]) -> dict[int, str | None]:
    res = client.batch([("eth_getBlockByNumber", [hex(h), False]) for h in heights])
    for r in res:
        if r is not None and not (isinstance(r, dict) and isinstance(r.get("hash"), str)):
            raise CostbasisError(f"{client.url} answered eth_getBlockByNumber with {str(r)[:60]!r}, expected a block "
                                 f"object; is --rpc-url an EVM JSON-RPC endpoint?")
    return {h: (r["hash"].lower() if r else None) for h, r in zip(heights, res)}


def find_fork_point(client: RpcClient, cs: ChainStore) -> int:
    """Highest stored height whose hash the node still has; -1 if even the first differs."""
    heights = cs.recent_heights()
    for group in _chunks(heights, 200):
        hashes = node_hashes(client, group)
        for h in group:
            if hashes[h] == cs.hash_at(h):
                return h
    oldest = min(heights) if heights else 0
    if oldest > 0:
        raise CostbasisError(f"chain {cs.name}: reorg deeper than the {len(heights)} stored block hashes; "
                             f"re-ingest from scratch into a new --cache")
    return -1


def check_tip(client: RpcClient, cs: ChainStore) -> int | None:
    """If the stored tip is no longer on the node's chain, roll back; return the new tip height."""
    tip = cs.tip()
    if tip is None:
        return None
    if node_hashes(client, [tip[0]])[tip[0]] == tip[1]:
        return None
    fork = find_fork_point(client, cs)
    cs.rollback(fork)
    return fork


def _decimals(client: RpcClient, cs: ChainStore, tokens: set[str]) -> None:
    known = dict(cs.meta.get("erc20_decimals", {}))
    new = sorted(t for t in tokens if t not in known)
    if not new:
        return
    res = client.batch([("eth_call", [{"to": t, "data": erc20_transfers.DECIMALS_SELECTOR}, "latest"]) for t in new],
                       errors="return")
    for t, r in zip(new, res):
        try:
            value = int(r, 16) if isinstance(r, str) and len(r) == 66 else None
        except ValueError:  # not hex: the token (or node) gave no usable decimals()
            value = None
        known[t] = value if value is not None and value <= 255 else None
    cs.meta["erc20_decimals"] = known  # saved with the next commit


# ------------------------------------------------------------------------ main
def check_tokens(tokens: list[str] | None) -> list[str] | None:
    """Lower-cased ERC-20 addresses; a one-line UsageError names the first that is not 0x + 40 hex digits."""
    if tokens is None:
        return None
    out = [t.strip().lower() for t in tokens]
    if not out:
        raise UsageError("--tokens is empty; give comma-separated 0x addresses or leave --tokens out for all tokens")
    for t in out:
        if not _ADDRESS.fullmatch(t):
            raise UsageError(f"--tokens: {t[:50]!r} is not a 0x-prefixed 40-hex-digit contract address")
    return out


def ingest_evm(store: Store, rpc_url: str, chain: str = "ethereum", start: int | None = None, end: int | None = None,
               confirmations: int = 12, tokens: list[str] | None = None, batch_size: int = 100, workers: int = 4,
               blocks_per_file: int = 1000, traces: str = "auto",
               progress: Callable[[int, int], None] | None = None, timeout: float = 60.0,
               retries: int = 5, should_stop: Callable[[], bool] | None = None) -> IngestResult:
    """Ingest blocks [start|tip+1 .. min(end, head - confirmations)] of `chain` from `rpc_url`.

    `timeout` bounds every JSON-RPC request in total (seconds), `retries` the attempts after the first.
    `should_stop` is asked after every committed range (costbasis follow: SIGTERM stops between commits)."""
    validate_chain_name(chain)
    if traces not in TRACE_MODES:
        raise CostbasisError(f"--traces must be one of {', '.join(TRACE_MODES)}")
    if confirmations < 0 or batch_size < 1 or workers < 1 or blocks_per_file < 1:
        raise CostbasisError("--confirmations must be >= 0; --batch-size, --workers and blocks per file >= 1")
    if (start is not None and start < 0) or (end is not None and end < 0):
        raise UsageError("--start and --end must be >= 0")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--start {start} is after --end {end}; nothing to ingest")
    tokens = check_tokens(tokens)
    t0 = time.monotonic()
    client = RpcClient(rpc_url, batch_size=batch_size, workers=workers, timeout=timeout, retries=retries)
    cs = store.chain(chain)
    result = IngestResult(chain=chain)
    try:
        with cs.writer_lock():
            chain_id = hex_quantity(client.call("eth_chainId"), "eth_chainId")
            stored_id = cs.meta.get("chain_id")
            if stored_id is not None and stored_id != chain_id:
                raise CostbasisError(f"store chain {chain!r} holds chain id {stored_id} but the node is chain id {chain_id}")
            if cs.meta.get("family") not in (None, "evm"):
                raise CostbasisError(f"store chain {chain!r} is not an EVM chain")
            if "tokens_filter" in cs.meta and cs.meta["tokens_filter"] != tokens and cs.tip() is not None:
                raise CostbasisError(f"store chain {chain!r} was ingested with --tokens "
                                     f"{','.join(cs.meta['tokens_filter'] or []) or '(all tokens)'}; use the same list")
            rolled = check_tip(client, cs)
            result.rolled_back_to = rolled
            head = hex_quantity(client.call("eth_blockNumber"), "eth_blockNumber")
            result.head = head
            safe = head - confirmations
            tip = cs.tip()
            nxt = tip[0] + 1 if tip else (start if start is not None else 0)
            if tip and start is not None and start > nxt:
                raise CostbasisError(f"store {chain} ends at block {tip[0]}; --start {start} would leave a gap")
            last = min(end, safe) if end is not None else safe
            mode = cs.meta.get("trace_mode") if tip else None
            mode = mode or detect_trace_mode(client, min(max(nxt, 1), max(head, 0)), traces)
            result.trace_mode = mode
            cs.meta.update(family="evm", chain_id=chain_id, trace_mode=mode, tokens_filter=tokens)
            total = max(0, last - nxt + 1)
            done = 0
            block_batch = max(1, min(batch_size, blocks_per_file))
            a = nxt
            retries = 0
            while a <= last:
                b = min(a + blocks_per_file - 1, last)
                try:
                    tables, raw = fetch_range(client, a, b, mode, tokens, block_batch)
                    hashes = tables["blocks"]["block_hash"].to_pylist()
                    parents = tables["blocks"]["parent_hash"].to_pylist()
                    for i in range(1, len(hashes)):
                        if parents[i] != hashes[i - 1]:
                            raise _Reorg(f"parent hash break at block {a + i}")
                    tip = cs.tip()
                    if tip is not None and parents[0] != tip[1]:
                        raise _Reorg(f"block {a} does not extend stored tip {tip[0]}")
                except _Reorg:
                    retries += 1
                    if retries > 5:
                        raise CostbasisError(f"chain {chain} keeps reorganising around block {a}; try more --confirmations")
                    tip = cs.tip()
                    if tip is None:
                        continue  # nothing stored yet: just read the range again
                    fork = find_fork_point(client, cs)
                    if fork < tip[0]:
                        cs.rollback(fork)
                        result.rolled_back_to = fork if result.rolled_back_to is None else min(fork, result.rolled_back_to)
                        total += tip[0] - fork
                    a = fork + 1
                    continue
                tokens_seen = set(tables["erc20_transfers"]["token_address"].to_pylist())
                _decimals(client, cs, tokens_seen)
                cs.commit(a, b, tables, tip_hash=hashes[-1], hashes={a + i: h for i, h in enumerate(hashes)}, keys=KEYS)
                if result.first is None:
                    result.first = a
                result.last = b
                result.blocks += b - a + 1
                for k, t in tables.items():
                    result.rows[k] = result.rows.get(k, 0) + t.num_rows
                done += b - a + 1
                if progress:
                    progress(done, total)
                a = b + 1
                if should_stop is not None and should_stop():
                    break
            cs.set_meta()  # persist meta even when nothing new was written
    finally:
        client.close()
    result.seconds = time.monotonic() - t0
    return result
