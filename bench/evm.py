"""Benchmark: rows/s read from a real anvil node by the EVM ingest.

Generates BLOCKS blocks of TXS transactions each (ETH payments, ERC-20 transfers and
splitter calls that make two internal transfers), then times
  1. blocks + transactions (receipts) + ERC-20 logs, without traces;
  2. traces alone (trace_block, and debug_traceBlockByNumber callTracer);
  3. the full ingest into a fresh store (all four tables written to Parquet).
Prints rows, seconds, rows/s and the ratios. Not part of the test suite.
On anvil 1.7.1 the reads are node-bound (a full 250-tx block takes ~60 ms to serve) and
debug_traceBlockByNumber re-executes every transaction (~40 ms each), so only
--geth-blocks blocks are traced that way.

Usage: .venv/bin/python bench/evm.py [--blocks 40] [--txs 250] [--workers 4] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))   # support.anvil

from costbasis.evm import native_transfers  # noqa: E402
from costbasis.evm.ingest import _chunks, fetch_range, ingest_evm  # noqa: E402
from costbasis.evm.rpc import RpcClient  # noqa: E402
from costbasis.store import Store  # noqa: E402
from support.anvil import (DEV0, ETH, GENESIS_TS, GWEI, Anvil, Wallet, contract_address, day_ts,  # noqa: E402
                         erc20_init, splitter_init, transfer_data)


def generate(node: Anvil, blocks: int, txs: int) -> None:
    client = RpcClient(node.url, batch_size=500)
    node.rpc("evm_setAutomine", [False])
    recipients = [Wallet(f"bench{i}").address for i in range(64)]
    token = contract_address(DEV0, 0)
    splitter = contract_address(DEV0, 1)
    client.batch([
        ("eth_sendTransaction", [{"from": DEV0, "data": "0x" + erc20_init(10**30).hex(), "gas": hex(500_000),
                                  "gasPrice": hex(10 * GWEI), "nonce": hex(0)}]),
        ("eth_sendTransaction", [{"from": DEV0, "data": "0x" + splitter_init(recipients[0], recipients[1]).hex(),
                                  "gas": hex(300_000), "gasPrice": hex(10 * GWEI), "nonce": hex(1)}]),
    ])
    node.mine(day_ts(1))
    nonce = 2
    for b in range(blocks):
        calls = []
        for i in range(txs):
            r = recipients[(b * txs + i) % len(recipients)]
            kind = i % 4
            tx = {"from": DEV0, "gasPrice": hex(10 * GWEI), "nonce": hex(nonce)}
            if kind in (0, 1):
                tx.update(to=r, value=hex(ETH // 1000 + i), gas=hex(21_000))
            elif kind == 2:
                tx.update(to=token, data="0x" + transfer_data(r, 10**18 + i).hex(), gas=hex(100_000))
            else:
                tx.update(to=splitter, value=hex(ETH // 100), gas=hex(100_000))
            calls.append(("eth_sendTransaction", [tx]))
            nonce += 1
        client.batch(calls)
        node.mine(day_ts(2) + b * 12)
    node.rpc("evm_setAutomine", [True])


def rows_of(tables: dict) -> int:
    return sum(t.num_rows for t in tables.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=40)
    ap.add_argument("--txs", type=int, default=250)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--geth-blocks", type=int, default=2,
                    help="blocks traced with debug_traceBlockByNumber (anvil re-executes them: slow)")
    args = ap.parse_args()
    node = Anvil(genesis_timestamp=GENESIS_TS, extra=["--order", "fifo", "--gas-limit", "100000000"])
    try:
        t0 = time.perf_counter()
        generate(node, args.blocks, args.txs)
        head = node.block_number()
        print(f"generated {head} blocks x {args.txs} txs in {time.perf_counter() - t0:.1f}s on {node.url}")
        client = RpcClient(node.url, batch_size=args.batch_size, workers=args.workers)
        blocks_per_call = max(1, min(args.batch_size, 10))

        t0 = time.perf_counter()
        tables, _ = fetch_range(client, 0, head, "none", None, blocks_per_call)
        dt_core = time.perf_counter() - t0
        core_rows = tables["blocks"].num_rows + tables["transactions"].num_rows + tables["erc20_transfers"].num_rows
        print(f"blocks+transactions+logs: {core_rows} rows ({tables['blocks'].num_rows} blocks, "
              f"{tables['transactions'].num_rows} txs, {tables['erc20_transfers'].num_rows} logs) "
              f"in {dt_core:.2f}s = {core_rows / dt_core:,.0f} rows/s")

        results = {}
        for mode in ("parity", "geth"):
            # anvil answers debug_traceBlockByNumber by re-executing the block: ~25 ms per tx
            numbers = list(range(2, head + 1)) if mode == "parity" else list(range(2, 2 + args.geth_blocks))
            t0 = time.perf_counter()
            raw = [r for g in client.map_batches(native_transfers.trace_calls(c, mode) for c in _chunks(numbers, blocks_per_call))
                   for r in g]
            dt = time.perf_counter() - t0
            n_frames = sum(len(r) for r in raw)
            results[mode] = (n_frames, dt)
            print(f"traces ({'trace_block' if mode == 'parity' else 'debug_traceBlockByNumber callTracer'}): "
                  f"{n_frames} {'traces' if mode == 'parity' else 'tx traces'} in {dt:.2f}s = {n_frames / dt:,.0f} rows/s")

        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            res = ingest_evm(Store(d), node.url, chain="bench", confirmations=0, batch_size=args.batch_size,
                             workers=args.workers, blocks_per_file=20)
            dt_full = time.perf_counter() - t0
        total = sum(res.rows.values())
        print(f"full ingest to Parquet (traces {res.trace_mode}): {total} rows {res.rows} in {dt_full:.2f}s "
              f"= {total / dt_full:,.0f} rows/s, {res.blocks / dt_full:,.1f} blocks/s")
        p_frames, p_dt = results["parity"]
        print(f"ratio traces/core rows/s (trace_block): {(p_frames / p_dt) / (core_rows / dt_core):.2f}; "
              f"full ingest / core-only time: {dt_full / dt_core:.2f}x")
        client.close()
    finally:
        node.stop()


if __name__ == "__main__":
    main()
