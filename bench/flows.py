"""Bench: exchange flows, whale signals and common-input clustering over a year of fabricated blocks.

Tables are fabricated directly (numpy, no signing): 144 blocks a day, `--tx-per-block`
transactions a block (mainnet averages ~2,800 in 2024-25; the default 300 is ~1/9 so the store fits
a shared 2-core box; the projection to mainnet density is printed), ~2.2 inputs and ~2.6 outputs a tx.

What the data models (so clusters, reuse and whales look like mainnet's, not one giant cluster):
- wallets: scripts belong to wallets whose sizes follow a power law (Zipf a=2, capped at 200k):
  ~60% of wallets own one script, a few services own 10^5; 0.4 distinct scripts per output;
- inputs spend real earlier outputs: every input names an unspent output (txid, vout) of an earlier
  tx (or an earlier one of a day, the round), with its value, script and creation height; height 0's
  coinbase distributes the initial supply; no fees (outputs = inputs), so no balance goes negative;
- a tx is signed by the wallet owning its first coin (half recent coins, half any unspent one); its
  other inputs are more unspent coins of that wallet, and its last output (change) goes back to it
  (30% to the same script) -> common-input clusters stay inside wallets, heavy-tailed in size;
- address reuse: 85% of payees are scripts picked uniformly (most used a few times), 15% are
  popular scripts (Zipf over a fixed shuffle: a long tail of heavily reused addresses);
- 0.5% CoinJoins (5 coins of unrelated wallets, 5 equal outputs and the rest) that clustering must skip;
- 40 exchanges with 2,000 labeled scripts: ~4% of outputs pay them; a tx whose first coin is an
  exchange's is that exchange spending (outflows, change back to the same exchange);
- initial coins log-normal (median ~0.66 BTC, heavy tail); each tx splits its inputs' total over its
  outputs at random. txids and scripts are derived from (global tx number, script id), so a spend
  names its coin without a table of them. Not modeled: sweeps, fees.

Steps timed: clustering (the `labels expand` SQL + union-find), the one-time build of the stored
flow tables (costbasis/flows/stored/), the flow and whale queries over them, and extending the
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

from costbasis.bitcoin.outpoints import tx_keys_of_display_bytes
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


M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64, so ids give distinct, random-looking bytes."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * M1
        z = (z ^ (z >> np.uint64(27))) * M2
        return z ^ (z >> np.uint64(31))


def id_bytes(ids: np.ndarray, n: int, salt: int) -> np.ndarray:
    """(len(ids), n) uint8: n pseudo-random bytes per id, the same for the same id."""
    words = -(-n // 8)
    base = ids.astype(np.uint64) * np.uint64(words) + np.uint64(salt << 40)
    w = np.stack([mix64(base + np.uint64(j)) for j in range(words)], axis=1)
    return w.view(np.uint8).reshape(len(ids), words * 8)[:, :n]


def scripts_array(ids: np.ndarray) -> pa.Array:
    """Scripts of script ids as a binary column (p2wpkh: 0x0014 + 20 bytes derived from the id)."""
    raw = np.empty((len(ids), 22), np.uint8)
    raw[:, 0], raw[:, 1] = 0, 20
    raw[:, 2:] = id_bytes(ids, 20, 1)
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(22), len(ids), [None, pa.py_buffer(raw.tobytes())])
    return fixed.cast(pa.binary())


def txid_bytes(gtx: np.ndarray) -> np.ndarray:
    """The txid of global tx number gtx, (n, 32) bytes in display order: spends name it again by its key."""
    return id_bytes(gtx, 32, 2)


def txids(gtx: np.ndarray) -> pa.Array:
    """The txids of global tx numbers gtx as hex strings (the outputs' txid column)."""
    return hex_strings(txid_bytes(gtx))


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


N_ENT = 40
SUBSIDY = 312_500_000
ROUND_BLOCKS = 144   # outputs become spendable from the next round on (a day)


class Pool:
    """The unspent outputs, in creation order (the tail is the recent coins): global tx number, vout,
    value, script id, owner wallet, creation height."""
    COLS = ("gtx", "vout", "value", "script", "owner", "height")

    def __init__(self):
        self.a = {c: np.empty(0, np.int64) for c in self.COLS}

    def __len__(self):
        return len(self.a["gtx"])

    def add(self, **cols):
        for c in self.COLS:
            self.a[c] = np.concatenate([self.a[c], np.asarray(cols[c], np.int64)])

    def take(self, idx: np.ndarray) -> dict:
        out = {c: v[idx] for c, v in self.a.items()}
        keep = np.ones(len(self), bool)
        keep[idx] = False
        self.a = {c: v[keep] for c, v in self.a.items()}
        return out


def _distinct_picks(rng, n: int, size: int, draw) -> np.ndarray:
    """n distinct pool positions, each from draw(k) (redrawn where two picks collide)."""
    pick = draw(n)
    while True:
        _, first = np.unique(pick, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            return pick
        pick[dup] = rng.integers(0, size, int(dup.sum()))


def _split(rng, total: np.ndarray, n_out: np.ndarray) -> np.ndarray:
    """Each tx's input total split over its n_out outputs (random shares, exact: no fee, no loss)."""
    w = rng.exponential(1.0, int(n_out.sum()))
    tx = np.repeat(np.arange(len(n_out)), n_out)
    share = w / np.bincount(tx, w, len(n_out))[tx]
    val = np.floor(share * total[tx]).astype(np.int64)
    last = np.cumsum(n_out) - 1
    val[last] += total - np.bincount(tx, val, len(n_out)).astype(np.int64)
    return val


def _round(rng, pool: Pool, r0: int, r1: int, tpb: int, n_scripts: int, n_exchange: int, n_owners: int,
           owner_of, wallet_script, genesis: dict | None) -> tuple[pa.Table, pa.Table]:
    """The outputs and inputs of blocks [r0, r1]: every input spends an unspent output of `pool`."""
    nb = r1 - r0 + 1
    tx_h = np.repeat(np.arange(r0, r1 + 1, dtype=np.int64), tpb)
    tx_i = np.tile(np.arange(tpb, dtype=np.int64), nb)
    n_tx = len(tx_h)
    gtx = tx_h * tpb + tx_i                       # global tx number: its txid is derived from it
    coinbase = tx_i == 0
    cj = (rng.random(n_tx) < 0.005) & ~coinbase   # CoinJoins: 5 owners, 5 equal outputs
    reg_idx, cj_idx = np.nonzero(~coinbase & ~cj)[0], np.nonzero(cj)[0]
    u = len(pool)

    def draw(k):   # half recent coins (a geometric look-back from the pool's tail), half any coin
        back = np.minimum(rng.geometric(1 / (2 * n_tx), k), u)
        return np.where(rng.random(k) < 0.5, u - back, rng.integers(0, u, k))
    picks = _distinct_picks(rng, len(reg_idx) + 5 * len(cj_idx), u, draw)
    first_pos, cj_pos = picks[:len(reg_idx)], picks[len(reg_idx):]
    p_owner = pool.a["owner"]
    spender = p_owner[first_pos]                  # a tx is signed by the wallet of its first coin
    # more inputs: other unspent coins of the same wallet (common-input ownership holds)
    taken = np.zeros(u, bool)
    taken[picks] = True
    flag = np.zeros(n_owners, bool)
    flag[spender] = True
    cand = np.nonzero(flag[p_owner] & ~taken)[0]
    cand = cand[np.argsort(p_owner[cand], kind="stable")]
    lo = np.searchsorted(p_owner[cand], spender, "left")
    span = np.searchsorted(p_owner[cand], spender, "right") - lo
    ex = np.repeat(np.arange(len(reg_idx)), rng.poisson(1.2, len(reg_idx)))
    ex = ex[span[ex] > 0]
    ex_pos = cand[lo[ex] + (rng.random(len(ex)) * span[ex]).astype(np.int64)]
    _, keep = np.unique(ex_pos, return_index=True)          # a coin is spent once: the first claim
    keep.sort()
    ex, ex_pos = ex[keep], ex_pos[keep]
    in_tx = np.concatenate([reg_idx, reg_idx[ex], np.repeat(cj_idx, 5)])
    in_pos = np.concatenate([first_pos, ex_pos, cj_pos])
    order = np.argsort(in_tx, kind="stable")                 # the first coin stays vin 0
    in_tx, in_pos = in_tx[order], in_pos[order]
    coin = pool.take(in_pos)
    n_in = np.bincount(in_tx, minlength=n_tx)
    in_vin = np.arange(len(in_tx)) - np.repeat(np.cumsum(n_in) - n_in, n_in)
    total = np.zeros(n_tx, np.int64)
    np.add.at(total, in_tx, coin["value"])
    total[coinbase] = SUBSIDY                                # no fees: outputs = inputs
    least = np.full(n_tx, np.iinfo(np.int64).max)
    np.minimum.at(least, in_tx, coin["value"])
    # outputs: the inputs' total split at random; CoinJoins 5 equal outputs and the rest
    n_out = 1 + rng.poisson(1.6, n_tx)
    n_out[coinbase], n_out[cj] = 1, 6
    o_tx = np.repeat(np.arange(n_tx), n_out)
    o_vout = np.arange(len(o_tx)) - np.repeat(np.cumsum(n_out) - n_out, n_out)
    o_val = _split(rng, total, n_out)
    cjo = cj[o_tx]
    eq = least[o_tx]
    o_val[cjo] = np.where(o_vout[cjo] < 5, eq[cjo], total[o_tx[cjo]] - 5 * eq[cjo])
    # payees: 85% a script picked uniformly (most used once or twice), 15% a popular script (Zipf
    # over a fixed shuffle: heavily reused addresses); ~4% pay an exchange
    o_script = rng.integers(n_exchange, n_scripts, len(o_tx))
    pop = rng.random(len(o_tx)) < 0.15
    o_script[pop] = n_exchange + (rng.zipf(1.3, int(pop.sum())) * 7919) % (n_scripts - n_exchange)
    sp_all = np.full(n_tx, -1)
    sp_all[reg_idx] = spender
    first_script = np.zeros(n_tx, np.int64)
    first_script[in_tx[in_vin == 0]] = coin["script"][in_vin == 0]
    # change: the last output of a multi-output tx goes back to the signer (30%: the same script)
    is_change = (o_vout == n_out[o_tx] - 1) & (n_out[o_tx] >= 2) & (sp_all[o_tx] >= 0)
    ct = o_tx[is_change]
    o_script[is_change] = np.where(rng.random(len(ct)) < 0.3, first_script[ct],
                                   wallet_script(sp_all[ct], len(ct)))
    to_x = (rng.random(len(o_tx)) < 0.04) & ~is_change & ~cjo
    o_script[to_x] = rng.integers(0, n_exchange, int(to_x.sum()))
    o_h, o_i, o_gtx = tx_h[o_tx], tx_i[o_tx], gtx[o_tx]
    if genesis is not None:   # block 0's coinbase is the initial distribution, already in the pool
        g = o_gtx == 0
        o_h, o_i, o_gtx = [np.concatenate([np.zeros(len(genesis["gtx"]), np.int64), a[~g]]) for a in (o_h, o_i, o_gtx)]
        o_vout = np.concatenate([genesis["vout"], o_vout[~g]])
        o_val = np.concatenate([genesis["value"], o_val[~g]])
        o_script = np.concatenate([genesis["script"], o_script[~g]])
        new = np.ones(len(o_h), bool)
        new[:len(genesis["gtx"])] = False
    else:
        new = np.ones(len(o_h), bool)
    pool.add(gtx=o_gtx[new], vout=o_vout[new], value=o_val[new], script=o_script[new],
             owner=owner_of(o_script[new]), height=o_h[new])
    txid = txids(gtx)
    o_txid = txid.take(pa.array(o_gtx - r0 * tpb))
    outputs = pa.table({
        "height": o_h.astype(np.int32), "tx_index": o_i.astype(np.int32), "txid": o_txid,
        "vout": o_vout.astype(np.int32), "value": o_val, "script_type": pa.array(["p2wpkh"] * len(o_h)),
        "script": scripts_array(o_script),
        "is_coinbase": o_i == 0, "spendable": np.ones(len(o_h), bool)}, schema=OUTPUTS)
    inputs = pa.table({
        "height": tx_h[in_tx].astype(np.int32), "tx_index": tx_i[in_tx].astype(np.int32),
        "vin": in_vin.astype(np.int32), "prev_tx_key": tx_keys_of_display_bytes(txid_bytes(coin["gtx"])),
        "prev_vout": coin["vout"].astype(np.int32), "created_height": coin["height"].astype(np.int32),
        "value": coin["value"], "script_type": pa.array(["p2wpkh"] * len(in_tx)),
        "script": scripts_array(coin["script"]),
        "is_coinbase": np.zeros(len(in_tx), bool)}, schema=INPUTS)
    return outputs, inputs


def fabricate(store: Store, days: int, tpb: int, rng: np.random.Generator, n_scripts: int, n_exchange: int,
              batch_blocks: int = 1440):
    """Blocks whose address use resembles mainnet's and whose inputs spend real earlier outputs
    (see the module docstring)."""
    w_start, w_size = wallets(n_scripts, n_exchange, rng)
    n_w = len(w_size)
    owner = np.repeat(np.arange(n_w), w_size)       # wallet of script n_exchange + k; exchanges: n_w + entity
    per_ent = n_exchange // N_ENT

    def owner_of(script):
        return np.where(script < n_exchange, n_w + script % N_ENT, owner[np.maximum(script - n_exchange, 0)])

    def wallet_script(w, k):
        """k random scripts of wallets w (exchange wallets: that entity's labeled scripts)."""
        x = w >= n_w
        wi = np.minimum(w, n_w - 1)
        own = w_start[wi] + (rng.random(k) * w_size[wi]).astype(np.int64)
        ent = (w - n_w) + N_ENT * rng.integers(0, per_ent, k)
        return np.where(x, ent, own)

    n_blocks = days * 144
    cs = store.chain("bitcoin")
    totals = dict(tx=0, inputs=0, outputs=0, wallets=n_w)
    pool = Pool()
    # height 0: one coinbase distributing the initial supply (a few days' worth of coins to spend)
    n0 = 3 * ROUND_BLOCKS * tpb * 3
    s0 = rng.integers(0, n_scripts, n0)
    pool.add(gtx=np.zeros(n0), vout=np.arange(n0), value=np.exp(rng.normal(18.0, 2.5, n0)).astype(np.int64) + 1,
             script=s0, owner=owner_of(s0), height=np.zeros(n0))
    genesis = dict(pool.a)
    with cs.writer_lock():
        for first in range(0, n_blocks, batch_blocks):
            last = min(first + batch_blocks, n_blocks) - 1
            parts = {"outputs": [], "inputs": []}
            for r0 in range(first, last + 1, ROUND_BLOCKS):
                r1 = min(r0 + ROUND_BLOCKS, last + 1) - 1
                o, i = _round(rng, pool, r0, r1, tpb, n_scripts, n_exchange, n_w + N_ENT, owner_of,
                              wallet_script, genesis if r0 == 0 else None)
                parts["outputs"].append(o)
                parts["inputs"].append(i)
            outputs = pa.concat_tables(parts["outputs"])
            inputs = pa.concat_tables(parts["inputs"])
            heights = np.arange(first, last + 1, dtype=np.int32)
            nb = len(heights)
            ntx = np.full(nb, tpb)
            blocks = pa.table({
                "height": heights, "hash": pa.array([f"{h:064x}" for h in heights]),
                "prev_hash": pa.array([f"{h - 1:064x}" if h else "" for h in heights]),
                "time": T0 + heights.astype(np.int64) * 600,
                "median_time": T0 + heights.astype(np.int64) * 600, "tx_count": ntx.astype(np.int32),
                "size": np.zeros(nb, np.int32), "weight": np.zeros(nb, np.int32),
                "subsidy": np.full(nb, SUBSIDY), "fees": np.zeros(nb, np.int64)}, schema=BLOCKS)
            cs.commit(first, last, {"blocks": blocks, "outputs": outputs, "inputs": inputs,
                                    "coin_flows": COIN_FLOWS.empty_table()}, f"{last:064x}",
                      {int(h): f"{h:064x}" for h in heights}, KEYS)
            totals["tx"] += int(ntx.sum())
            totals["inputs"] += inputs.num_rows
            totals["outputs"] += outputs.num_rows
    labels = pa.table({"chain": ["bitcoin"] * n_exchange, "address": [f"x{i}" for i in range(n_exchange)],
                       "entity": [f"Exchange{i % 40}" for i in range(n_exchange)],
                       "label_type": ["exchange"] * n_exchange,
                       "script": scripts_array(np.arange(n_exchange)), "heuristic": ["import"] * n_exchange,
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
