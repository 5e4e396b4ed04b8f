"""sql/whales/whales_source_timeline.sql, its running sums (costbasis/flows/stored/running.py) and
sql/whales/whales_source_balances.sql against a brute force: each deposit's source-wallet balance
is the wallet's base plus every event of it strictly before the deposit (earlier blocks, and earlier
txs of the deposit's own block), summed over the deposit's wallets; clustered wallets' events come
from range_clustered, unclustered ones' from their key script's outputs and inputs. The sums are
streamed in batches of every size from a few rows (a wallet's sum carried into the next batch, a
batch starting on a new wallet) to all rows in one."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from costbasis.engine.db import named, sql_text
from costbasis.flows.stored import running

SHIFT = 1048576


def _tables(rng):
    blocks, txs = range(10, 16), 40
    scripts = [f"s{i}".encode() for i in range(12)]             # unclustered wallets' scripts
    outs, ins = [], []
    for h in blocks:
        for t in range(txs):
            if rng.random() < 0.5:
                outs.append((h, t, scripts[rng.integers(len(scripts))], int(rng.integers(1, 10**6))))
            if rng.random() < 0.4:
                ins.append((h, t, scripts[rng.integers(len(scripts))], int(rng.integers(1, 10**6))))
    clustered = [(c, h * SHIFT + int(rng.integers(txs)), int(rng.integers(-10**6, 10**6)))
                 for c in (100, 200) for h in blocks for _ in range(int(rng.integers(0, 30)))]
    # wallets: kids 1-4 unclustered (one script each), 5-6 the clusters; deposits with one or two wallets
    members = [(k, scripts[k]) for k in range(1, 5)]
    wallets = {k: ("script", scripts[k]) for k in range(1, 5)} | {5: ("cluster", 100), 6: ("cluster", 200)}
    deps = []
    for h in blocks:
        for t in sorted(set(int(x) for x in rng.integers(0, txs, 6))):
            for k in sorted(set(int(x) for x in rng.integers(1, 7, int(rng.integers(1, 3))))):
                deps.append((h, t, k))
    base = {k: int(rng.integers(0, 10**7)) for k in range(1, 7) if k != 3}   # kid 3: no stored balance
    return outs, ins, clustered, members, wallets, deps, base


def _brute(outs, ins, clustered, wallets, deps, base):
    def events(k):
        kind, w = wallets[k]
        if kind == "cluster":
            return [(p, d) for c, p, d in clustered if c == w]
        return [(h * SHIFT + t, v) for h, t, s, v in outs if s == w] + [(h * SHIFT + t, -v) for h, t, s, v in ins if s == w]
    got = {}
    for h, t, k in deps:
        pos = h * SHIFT + t
        got[(h, t)] = got.get((h, t), 0) + base.get(k, 0) + sum(d for p, d in events(k) if p < pos)
    return got


def test_each_deposit_sees_its_wallets_events_strictly_before_it(monkeypatch):
    for seed, batch in enumerate((3, 17, 64, 1 << 20)):
        monkeypatch.setattr(running, "BATCH", batch)
        rng = np.random.default_rng(seed)
        outs, ins, clustered, members, wallets, deps, base = _tables(rng)
        con = duckdb.connect()
        cols = ["height", "tx_index", "script", "value"]
        for name, rows in (("outputs", outs), ("inputs", ins)):
            con.register(name, pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)},
                                        schema=pa.schema([("height", pa.int32()), ("tx_index", pa.int32()),
                                                          ("script", pa.binary()), ("value", pa.int64())])))
        con.register("range_clustered", pa.table({"cluster": [c for c, _, _ in clustered],
                                                  "pos": [p for _, p, _ in clustered],
                                                  "delta": [d for _, _, d in clustered]}))
        con.register("dep_members", pa.table({"kid": [k for k, _ in members],
                                              "script": pa.array([s for _, s in members], pa.binary())}))
        key = {k: f"k{k}".encode() for k in wallets}
        con.register("dep_keys", pa.table({
            "height": pa.array([h for h, _, _ in deps], pa.int32()), "tx_index": pa.array([t for _, t, _ in deps], pa.int32()),
            "key": pa.array([key[k] for _, _, k in deps], pa.binary()),
            "cluster": pa.array([wallets[k][1] if wallets[k][0] == "cluster" else None for _, _, k in deps], pa.int64()),
            "n": [10 if wallets[k][0] == "cluster" else 1 for _, _, k in deps], "kid": [k for _, _, k in deps]}))
        con.register("dep_key_addr", pa.table({"key": pa.array(list(key.values()), pa.binary()),
                                               "address": [f"addr{k}" for k in key]}))
        con.register("member_base", pa.table({"kid": list(base), "balance": list(base.values())}))
        running.source_since(con, sql_text("whales_source_timeline").rstrip().rstrip(";"), {"h_from": 10, "h_to": 15})
        q = sql_text("whales_source_balances").rstrip().rstrip(";")
        rows = con.execute(q, named(q, {"h_from": 10, "h_to": 15})).fetchall()
        want = _brute(outs, ins, clustered, wallets, deps, base)
        assert {(h, t): b for h, t, b, _, _ in rows} == want
        sizes = {}
        for h, t, k in deps:
            sizes[(h, t)] = sizes.get((h, t), 0) + (10 if wallets[k][0] == "cluster" else 1)
        assert {(h, t): n for h, t, _, n, _ in rows} == sizes
        first = {}
        for h, t, k in deps:
            first[(h, t)] = min(first.get((h, t), k), k)
        assert {(h, t): a for h, t, _, _, a in rows} == {ht: f"addr{k}" for ht, k in first.items()}
