"""Bench: exchange flows, whale signals and common-input clustering over a year of fabricated blocks.

Tables are fabricated directly (numpy, no signing): 144 blocks a day, `--tx-per-block`
transactions a block (mainnet averages ~2,800 in 2024-25; the default is scaled down so the
fabricated store fits a shared 2-core box; figures are printed per row so they scale), ~2.2
inputs and ~2.6 outputs a transaction, 2,000 labeled exchange scripts receiving ~4% of outputs.

    .venv/bin/python bench/flows.py [--days 365] [--tx-per-block 300] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from costbasis.bitcoin.schema import BLOCKS, COIN_FLOWS, INPUTS, KEYS, OUTPUTS
from costbasis.labels.dataset import write_labels
from costbasis.store import Store

T0 = 1_704_067_200  # 2024-01-01
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
MAINNET_TX_PER_BLOCK = 2800


def hex_strings(raw: np.ndarray) -> pa.Array:
    """(n, k) uint8 -> n lower-case hex strings, vectorised."""
    out = np.empty((raw.shape[0], raw.shape[1] * 2), np.uint8)
    out[:, 0::2] = HEX[raw >> 4]
    out[:, 1::2] = HEX[raw & 15]
    return pa.array(out.view(f"S{out.shape[1]}").ravel(), pa.binary()).cast(pa.string())


def scripts_array(ids: np.ndarray, universe: np.ndarray) -> pa.Array:
    """Scripts of ids as a binary column (p2wpkh: 0x0014 + 20 bytes)."""
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(22), len(ids), [None, pa.py_buffer(universe[ids].tobytes())])
    return fixed.cast(pa.binary())


def fabricate(store: Store, days: int, tpb: int, rng: np.random.Generator, n_scripts: int, n_exchange: int,
              batch_blocks: int = 1440):
    universe = np.empty((n_scripts, 22), np.uint8)
    universe[:, 0], universe[:, 1] = 0, 20
    universe[:, 2:] = rng.integers(0, 256, (n_scripts, 20), dtype=np.uint8)
    exch = np.arange(n_exchange)                      # ids 0..n_exchange-1 are exchange scripts
    n_blocks = days * 144
    cs = store.chain("bitcoin")
    totals = dict(tx=0, inputs=0, outputs=0)
    with cs.writer_lock():
        for first in range(0, n_blocks, batch_blocks):
            last = min(first + batch_blocks, n_blocks) - 1
            nb = last - first + 1
            heights = np.arange(first, last + 1, dtype=np.int32)
            ntx = np.full(nb, tpb, np.int64)
            tx_h = np.repeat(heights, ntx)
            tx_i = np.concatenate([np.arange(n, dtype=np.int32) for n in ntx])
            n_tx = len(tx_h)
            txid = hex_strings(rng.integers(0, 256, (n_tx, 32), dtype=np.uint8))
            n_out = 1 + rng.poisson(1.6, n_tx)
            n_in = 1 + rng.poisson(1.2, n_tx)
            n_in[tx_i == 0] = 0                       # coinbase
            o_tx = np.repeat(np.arange(n_tx), n_out)
            o_vout = np.arange(len(o_tx)) - np.repeat(np.cumsum(n_out) - n_out, n_out)
            o_script = rng.integers(n_exchange, n_scripts, len(o_tx))
            to_x = rng.random(len(o_tx)) < 0.04
            o_script[to_x] = rng.choice(exch, to_x.sum())
            o_val = np.exp(rng.normal(16.0, 2.5, len(o_tx))).astype(np.int64)   # median ~0.09 BTC, heavy tail
            i_tx = np.repeat(np.arange(n_tx), n_in)
            i_vin = np.arange(len(i_tx)) - np.repeat(np.cumsum(n_in) - n_in, n_in)
            # exchange wallets spend as a whole tx (all inputs theirs) ~3% of txs
            x_tx = rng.random(n_tx) < 0.03
            i_script = rng.integers(n_exchange, n_scripts, len(i_tx))
            xi = x_tx[i_tx]
            i_script[xi] = rng.choice(exch, xi.sum())
            i_val = np.exp(rng.normal(16.3, 2.5, len(i_tx))).astype(np.int64)
            i_created = (tx_h[i_tx] - rng.geometric(1 / 20000, len(i_tx))).clip(0).astype(np.int32)
            outputs = pa.table({
                "height": tx_h[o_tx], "tx_index": tx_i[o_tx], "txid": txid.take(pa.array(o_tx)),
                "vout": o_vout.astype(np.int32), "value": o_val, "script_type": pa.array(["p2wpkh"] * len(o_tx)),
                "address": pa.nulls(len(o_tx), pa.string()), "script": scripts_array(o_script, universe),
                "is_coinbase": tx_i[o_tx] == 0, "spendable": np.ones(len(o_tx), bool)}, schema=OUTPUTS)
            inputs = pa.table({
                "height": tx_h[i_tx], "tx_index": tx_i[i_tx], "txid": txid.take(pa.array(i_tx)),
                "vin": i_vin.astype(np.int32), "prev_txid": txid.take(pa.array(i_tx)), "prev_vout": np.zeros(len(i_tx), np.int32),
                "created_height": i_created, "value": i_val, "script_type": pa.array(["p2wpkh"] * len(i_tx)),
                "address": pa.nulls(len(i_tx), pa.string()), "script": scripts_array(i_script, universe),
                "is_coinbase": np.zeros(len(i_tx), bool)}, schema=INPUTS)
            blocks = pa.table({
                "height": heights, "hash": hex_strings(rng.integers(0, 256, (nb, 32), dtype=np.uint8)),
                "prev_hash": pa.array([""] * nb), "time": T0 + heights.astype(np.int64) * 600,
                "median_time": T0 + heights.astype(np.int64) * 600, "tx_count": ntx.astype(np.int32),
                "size": np.zeros(nb, np.int32), "weight": np.zeros(nb, np.int32),
                "subsidy": np.full(nb, 312_500_000), "fees": np.zeros(nb, np.int64)}, schema=BLOCKS)
            cs.commit(first, last, {"blocks": blocks, "outputs": outputs, "inputs": inputs,
                                    "coin_flows": COIN_FLOWS.empty_table()}, f"{last:064x}", {last: f"{last:064x}"}, KEYS)
            totals["tx"] += n_tx
            totals["inputs"] += len(i_tx)
            totals["outputs"] += len(o_tx)
    labels = pa.table({"chain": ["bitcoin"] * n_exchange, "address": [f"x{i}" for i in range(n_exchange)],
                       "entity": [f"Exchange{i % 40}" for i in range(n_exchange)],
                       "label_type": ["exchange"] * n_exchange,
                       "script": scripts_array(exch, universe), "heuristic": ["import"] * n_exchange,
                       "derived_from": pa.nulls(n_exchange, pa.string())})
    write_labels(store, labels)
    d0 = date(2024, 1, 1)
    nd = days + 2
    store.write_dataset("prices", "BTC", pa.table({
        "date": pa.array([d0 + timedelta(days=i) for i in range(-3000, nd)], pa.date32()),
        "price_usd": 40_000 + 20_000 * np.sin(np.arange(-3000, nd) / 60.0),
        "time": T0 + 86400 * np.arange(-3000, nd, dtype=np.int64)}))
    return totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--tx-per-block", type=int, default=300)
    ap.add_argument("--scripts", type=int, default=5_000_000)
    ap.add_argument("--exchange-scripts", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="Build the store here and keep it.")
    a = ap.parse_args()
    root = a.keep or Path(tempfile.mkdtemp(prefix="bench-flows-"))
    store = Store(root)
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    if not store.chain("bitcoin").exists():
        totals = fabricate(store, a.days, a.tx_per_block, rng, a.scripts, a.exchange_scripts)
        print(f"fabricated {a.days} days ({a.days * 144} blocks): {totals['tx']:,} txs, {totals['inputs']:,} inputs, "
              f"{totals['outputs']:,} outputs in {time.perf_counter() - t:.1f}s")
    else:
        print(f"reusing store {root}")
    rows = sum(e.rows for tbl in ("inputs", "outputs") for e in store.chain("bitcoin").entries(tbl))

    from costbasis.flows.flows import exchange_flows
    from costbasis.flows.whales import whale_signals
    from costbasis.labels.expand import cluster_scripts
    from costbasis.engine.db import connect
    from costbasis.bitcoin.schema import TABLES

    t = time.perf_counter()
    f = exchange_flows(store, by="day", threads=a.threads)
    dt_f = time.perf_counter() - t
    print(f"flows by day:     {dt_f:6.2f}s  {f.num_rows} days  {rows / dt_f / 1e6:6.1f}M in+out rows/s")
    t = time.perf_counter()
    fe = exchange_flows(store, by="hour", per_entity=True, threads=a.threads)
    dt = time.perf_counter() - t
    print(f"flows hour×entity:{dt:6.2f}s  {fe.num_rows} rows")
    t = time.perf_counter()
    w = whale_signals(store, threads=a.threads)
    dt_w = time.perf_counter() - t
    n_dep = int(sum(w["deposit_count"].to_pylist()))
    print(f"whale signals:    {dt_w:6.2f}s  {w.num_rows} days, {n_dep:,} whale deposits, "
          f"{sum(w['signal'].to_pylist())} signal days")
    con, _ = connect(store, "bitcoin", "bitcoin", schemas=TABLES, threads=a.threads)
    t = time.perf_counter()
    clusters, st = cluster_scripts(con)
    dt_c = time.perf_counter() - t
    print(f"clustering:       {dt_c:6.2f}s  {st['addresses']:,} addresses, {st['edges']:,} edges, "
          f"{st['clusters']:,} clusters, {st['coinjoins']:,} CoinJoin-shaped txs skipped")
    print(f"  SQL (txs, ids, edges) {st['sql_s']:.2f}s; union-find {st['unionfind_s']:.2f}s = "
          f"{st['addresses'] / max(st['unionfind_s'], 1e-9) / 1e6:.1f}M addresses/s; "
          f"end to end {st['addresses'] / dt_c / 1e6:.2f}M addresses/s")
    scale = MAINNET_TX_PER_BLOCK / a.tx_per_block
    print(f"density {a.tx_per_block} tx/block = 1/{scale:.1f} of mainnet; linear extrapolation to a mainnet year: "
          f"flows {dt_f * scale:.0f}s, whales {dt_w * scale:.0f}s, clustering {dt_c * scale:.0f}s")
    if a.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
