"""Bench: exchange flows, whale signals and common-input clustering over a year of fabricated blocks.

Tables are fabricated directly (numpy, no signing): 144 blocks a day, `--tx-per-block`
transactions a block (mainnet averages ~2,800 in 2024-25; the default 300 is ~1/9 so the store fits
a shared 2-core box; the projection to mainnet density is printed), ~2.2 inputs and ~2.6 outputs a tx.

What the data models (so clusters, reuse and whales look like mainnet's, not one giant cluster):
- wallets: scripts belong to wallets whose sizes follow a power law (Zipf a=2, capped at 200k):
  ~60% of wallets own one script, a few services own 10^5; 0.4 distinct scripts per output;
- a tx is signed by one wallet (picked in proportion to its size): its inputs are that wallet's
  scripts, and its last output (change) goes back to the wallet -> common-input clusters stay
  inside wallets, with a heavy-tailed size distribution;
- address reuse: 85% of payees are scripts picked uniformly (most used a few times), 15% are
  popular scripts (Zipf over a fixed shuffle: a long tail of heavily reused addresses);
- 0.5% CoinJoins (5 inputs of unrelated wallets, 5 equal outputs) that clustering must skip;
- 40 exchanges with 2,000 labeled scripts: ~4% of outputs pay them, ~3% of txs are an
  exchange spending its own scripts (outflows, change back to the same exchange);
- values log-normal (median ~0.09 BTC, heavy tail), spent coins' ages geometric (mean ~140 days).
Not modeled: inputs do not spend real earlier outputs (balances can go negative), no sweeps.

Steps timed: clustering (the `labels expand` SQL + union-find), the one-time build of the stored
flow tables (costbasis/flows/stored.py), the flow and whale queries over them, and extending the
stored tables after the chain grows is measured by bench/scale.py --family flows. Throughputs are chain (inputs+outputs) rows/s and
clustered addresses/s.

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


def wallets(n_scripts: int, n_exchange: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(start, size) of every non-exchange wallet over script ids n_exchange..n_scripts-1.

    Sizes follow a power law (Zipf a=2, capped at 200k): ~60% of wallets own one script, a few
    services own hundreds of thousands, as common-input clusters do on mainnet.
    """
    sizes = []
    left = n_scripts - n_exchange
    while left > 0:
        s = np.minimum(rng.zipf(2.0, max(left // 2, 16)), 200_000)
        c = np.cumsum(s)
        k = int(np.searchsorted(c, left))
        sizes.append(s[: k + 1])
        left -= int(c[min(k, len(c) - 1)])
    size = np.concatenate(sizes)
    size[-1] -= int(size.sum()) - (n_scripts - n_exchange)
    size = size[size > 0]
    start = n_exchange + np.concatenate([[0], np.cumsum(size)[:-1]])
    return start.astype(np.int64), size.astype(np.int64)


def fabricate(store: Store, days: int, tpb: int, rng: np.random.Generator, n_scripts: int, n_exchange: int,
              batch_blocks: int = 1440):
    """Blocks whose address use resembles mainnet's (see the module docstring)."""
    universe = np.empty((n_scripts, 22), np.uint8)
    universe[:, 0], universe[:, 1] = 0, 20
    universe[:, 2:] = rng.integers(0, 256, (n_scripts, 20), dtype=np.uint8)
    w_start, w_size = wallets(n_scripts, n_exchange, rng)
    owner = np.repeat(np.arange(len(w_size)), w_size)       # wallet of script n_exchange + k
    n_ent = 40
    per_ent = n_exchange // n_ent
    n_blocks = days * 144
    cs = store.chain("bitcoin")
    totals = dict(tx=0, inputs=0, outputs=0, wallets=len(w_size))
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
            coinbase = tx_i == 0
            cj = (rng.random(n_tx) < 0.005) & ~coinbase        # CoinJoins: 5 owners, 5 equal outputs
            x_tx = (rng.random(n_tx) < 0.03) & ~coinbase & ~cj  # an exchange spends its own coins
            n_out = 1 + rng.poisson(1.6, n_tx)
            n_in = 1 + rng.poisson(1.2, n_tx)
            n_in[coinbase] = 0
            n_in[cj], n_out[cj] = 5, 6
            # the spender: a wallet picked in proportion to its size (a random script's owner)
            spender_script = rng.integers(n_exchange, n_scripts, n_tx)
            spender = owner[spender_script - n_exchange]
            ent = rng.integers(0, n_ent, n_tx)
            i_tx = np.repeat(np.arange(n_tx), n_in)
            i_vin = np.arange(len(i_tx)) - np.repeat(np.cumsum(n_in) - n_in, n_in)
            # inputs: the spender's scripts (common-input ownership holds), first one reused
            w = spender[i_tx]
            i_script = w_start[w] + (rng.random(len(i_tx)) * w_size[w]).astype(np.int64)
            i_script[i_vin == 0] = spender_script[i_tx[i_vin == 0]]
            cji = cj[i_tx]
            i_script[cji] = rng.integers(n_exchange, n_scripts, int(cji.sum()))
            xi = x_tx[i_tx]
            i_script[xi] = ent[i_tx[xi]] + n_ent * rng.integers(0, per_ent, int(xi.sum()))
            i_val = np.exp(rng.normal(16.3, 2.5, len(i_tx))).astype(np.int64)
            i_created = (tx_h[i_tx] - rng.geometric(1 / 20000, len(i_tx))).clip(0).astype(np.int32)
            o_tx = np.repeat(np.arange(n_tx), n_out)
            o_vout = np.arange(len(o_tx)) - np.repeat(np.cumsum(n_out) - n_out, n_out)
            # payees: 85% a script picked uniformly (most used once or twice), 15% a popular
            # script (Zipf over a fixed shuffle: a long tail of heavily reused addresses)
            o_script = rng.integers(n_exchange, n_scripts, len(o_tx))
            pop = rng.random(len(o_tx)) < 0.15
            o_script[pop] = n_exchange + (rng.zipf(1.3, int(pop.sum())) * 7919) % (n_scripts - n_exchange)
            # change: the last output of a multi-output tx goes back to the spender's wallet
            is_change = (o_vout == n_out[o_tx] - 1) & (n_out[o_tx] >= 2) & ~coinbase[o_tx] & ~cj[o_tx] & ~x_tx[o_tx]
            wc = spender[o_tx[is_change]]
            o_script[is_change] = w_start[wc] + (rng.random(int(is_change.sum())) * w_size[wc]).astype(np.int64)
            to_x = (rng.random(len(o_tx)) < 0.04) & ~is_change
            o_script[to_x] = rng.integers(0, n_exchange, int(to_x.sum()))
            xc = is_change & x_tx[o_tx]
            o_script[xc] = ent[o_tx[xc]] + n_ent * rng.integers(0, per_ent, int(xc.sum()))
            o_val = np.exp(rng.normal(16.0, 2.5, len(o_tx))).astype(np.int64)   # median ~0.09 BTC, heavy tail
            cjo = cj[o_tx]
            o_val[cjo] = 10_000_000
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
                "height": heights, "hash": pa.array([f"{h:064x}" for h in heights]),
                "prev_hash": pa.array([f"{h - 1:064x}" if h else "" for h in heights]), "time": T0 + heights.astype(np.int64) * 600,
                "median_time": T0 + heights.astype(np.int64) * 600, "tx_count": ntx.astype(np.int32),
                "size": np.zeros(nb, np.int32), "weight": np.zeros(nb, np.int32),
                "subsidy": np.full(nb, 312_500_000), "fees": np.zeros(nb, np.int64)}, schema=BLOCKS)
            cs.commit(first, last, {"blocks": blocks, "outputs": outputs, "inputs": inputs,
                                    "coin_flows": COIN_FLOWS.empty_table()}, f"{last:064x}",
                      {int(h): f"{h:064x}" for h in heights}, KEYS)
            totals["tx"] += n_tx
            totals["inputs"] += len(i_tx)
            totals["outputs"] += len(o_tx)
    labels = pa.table({"chain": ["bitcoin"] * n_exchange, "address": [f"x{i}" for i in range(n_exchange)],
                       "entity": [f"Exchange{i % 40}" for i in range(n_exchange)],
                       "label_type": ["exchange"] * n_exchange,
                       "script": scripts_array(np.arange(n_exchange), universe), "heuristic": ["import"] * n_exchange,
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
    ap.add_argument("--scripts", type=int, default=None,
                    help="Distinct scripts (default: 0.4 per output, mainnet's new-address rate).")
    ap.add_argument("--exchange-scripts", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fabricate-only", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="Build the store here and keep it.")
    a = ap.parse_args()
    root = a.keep or Path(tempfile.mkdtemp(prefix="bench-flows-"))
    store = Store(root)
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    if not store.chain("bitcoin").exists():
        n_scripts = a.scripts or int(0.4 * a.days * 144 * a.tx_per_block * 2.6)
        totals = fabricate(store, a.days, a.tx_per_block, rng, n_scripts, a.exchange_scripts)
        print(f"fabricated {a.days} days ({a.days * 144} blocks): {totals['tx']:,} txs, {totals['inputs']:,} inputs, "
              f"{totals['outputs']:,} outputs, {n_scripts:,} scripts in {totals['wallets']:,} wallets in {time.perf_counter() - t:.1f}s")
        if a.fabricate_only:
            return
    else:
        print(f"reusing store {root}")
    rows = sum(e.rows for tbl in ("inputs", "outputs") for e in store.chain("bitcoin").entries(tbl))

    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect
    from costbasis.flows import stored
    from costbasis.flows.context import open_flows
    from costbasis.flows.flows import exchange_flows
    from costbasis.flows.whales import whale_signals
    from costbasis.labels.dataset import exchange_scripts
    from costbasis.labels.expand import cluster_scripts

    # 1. common-input clustering (what `labels expand` runs: stored state, then the clusters file)
    con, _ = connect(store, "bitcoin", "bitcoin", schemas=TABLES, threads=a.threads)
    import shutil as _sh
    _sh.rmtree(root / "bitcoin" / "_derived" / "clusters", ignore_errors=True)
    t = time.perf_counter()
    clusters, st = cluster_scripts(con, store=store, chain="bitcoin")
    dt_c = time.perf_counter() - t
    sizes = np.bincount(np.unique(clusters["cluster"].to_numpy(), return_counts=True)[1])
    big = np.nonzero(sizes)[0][-3:][::-1]
    print(f"clustering:       {dt_c:6.2f}s  {st['addresses']:,} addresses, {st['edges']:,} edges, "
          f"{st['clusters']:,} clusters (largest {', '.join(f'{b:,}' for b in big)}), "
          f"{st['coinjoins']:,} CoinJoin-shaped txs skipped")
    print(f"  SQL (txs, ids, edges) {st['sql_s']:.2f}s; union-find {st['unionfind_s']:.2f}s = "
          f"{st['addresses'] / max(st['unionfind_s'], 1e-9) / 1e6:.1f}M addresses/s; "
          f"end to end {st['addresses'] / dt_c / 1e6:.2f}M addresses/s, {rows / dt_c / 1e6:.1f}M in+out rows/s")
    del con

    # 2. the stored flow tables: full build once per labels/clusters change
    stored.derived_set(store, "bitcoin").remove()
    con, _ = connect(store, "bitcoin", "bitcoin", schemas=TABLES, threads=a.threads)
    xl = exchange_scripts(store)
    from costbasis.engine.db import register_arrow
    register_arrow(con, "xlabels", xl.select(["script", "entity", "address"]))
    t = time.perf_counter()
    ft = stored.flow_tables(store, con, "bitcoin", xl)
    dt_b = time.perf_counter() - t
    print("  build steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in ft.steps.items()))
    con, _ = open_flows(store, "bitcoin", threads=a.threads)
    ft_rows = {t_: con.execute(f"SELECT count(*) FROM {t_}").fetchall()[0][0] for t_ in stored.TABLES}
    print(f"flow tables build:{dt_b:6.2f}s  (once; {rows / dt_b / 1e6:.1f}M in+out rows/s) "
          + ", ".join(f"{k} {v:,} rows" for k, v in ft_rows.items()))

    # 3. the queries: flows and whale signals for the year, reading the stored tables
    t = time.perf_counter()
    f = exchange_flows(store, by="day", threads=a.threads)
    dt_f = time.perf_counter() - t
    print(f"flows by day:     {dt_f:6.2f}s  {f.num_rows} days  ({rows / dt_f / 1e6:6.1f}M chain rows/s)")
    t = time.perf_counter()
    fe = exchange_flows(store, by="hour", per_entity=True, threads=a.threads)
    dt_fe = time.perf_counter() - t
    print(f"flows hour×entity:{dt_fe:6.2f}s  {fe.num_rows:,} rows")
    t = time.perf_counter()
    w = whale_signals(store, threads=a.threads)
    dt_w = time.perf_counter() - t
    n_dep = int(sum(w["deposit_count"].to_pylist()))
    print(f"whale signals:    {dt_w:6.2f}s  {w.num_rows} days, {n_dep:,} whale deposits, "
          f"{sum(w['signal'].to_pylist())} signal days")
    # extending the tables by new blocks (and labels expand over them): bench/scale.py --family flows

    scale = MAINNET_TX_PER_BLOCK / a.tx_per_block
    print(f"density {a.tx_per_block} tx/block = 1/{scale:.1f} of mainnet; linear projection to a mainnet year: "
          f"flows by day {dt_f * scale:.1f}s, whale signals {dt_w * scale:.1f}s, one-time build {dt_b * scale:.0f}s, "
          f"clustering {dt_c * scale:.0f}s")
    if a.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
