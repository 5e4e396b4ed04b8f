"""The build loop of the flow tables: one height range's segment files from the chain (build_range),
and a state extended step by step, each step committed, segments merged like a binary counter up to a ceiling (_grow)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from costbasis.bitcoin import address_sql
from costbasis.engine.db import sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.flows.balance_index import write_index
from costbasis.flows.stored.running import source_since
from costbasis.flows.stored.state import (FILES, HOURS, INDEX, LABELS, SOURCES, _chain_hash_at, _names,
                                          _next_gen, _seg_clusters, _seg_labels, _stamps)
from costbasis.flows.stored.wallets import ClusterBalances, PrefixSums, register_member_base
from costbasis.flows.stored.write import _SELECT, _copy, _merge, _write_hours, _write_labels
from costbasis.store import Store
from costbasis.store import derived
from costbasis.store.derived import DerivedSet, merge_due

STEP_BLOCKS = 4096        # blocks per build step, each committed (a kill -9 keeps the steps done)


def build_range(con: duckdb.DuckDBPyConnection, h_from: int, h_to: int, base_indexes: list[Path],
                out: dict[str, Path], stamps: dict[str, str], steps: dict | None = None,
                network: str = "main", wallets: ClusterBalances | None = None) -> None:
    """Write the five segment files of heights [h_from, h_to] to `out` (table -> path), stamped.

    Needs the chain views, `xlabels` and `clusters`; `network` formats the source wallets' addresses.
    `base_indexes`: the balance indexes of the segments of every block before h_from (none: h_from
    must be 0); only blocks [h_from, h_to] are read, and of the stored balances only the new deposits'
    unclustered wallets' scripts (binary searches). `wallets`: the clusters' balances at h_from, kept
    running by a caller that builds in height order (wallets.py); None: looked up for this range.
    """
    if not base_indexes and h_from != 0:
        raise ValueError("build_range: balances at h_from - 1 are needed to start past height 0")
    steps = {} if steps is None else steps
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - t
        t = now
    p = {"h_from": h_from, "h_to": h_to}
    _exchange_txs(con, h_from, h_to)
    _copy(con, _SELECT["exchange_txs"].format(src="exchange_txs"), {}, out["exchange_txs"], stamps["exchange_txs"])
    _write_hours(con, out["exchange_txs"], out[HOURS], stamps[HOURS])
    lap("exchange_txs")
    own = wallets is None
    wallets = _source_keys(con, p, base_indexes, network, wallets)
    lap("source_keys")
    _write_sources(con, p, out[SOURCES], stamps[SOURCES])
    wallets.advance(con, h_to)
    if own:
        ClusterBalances.drop(con)
    lap("source_balances")
    _copy(con, _SELECT["deposit_coins"].format(src="(" + _coins_query(con, p) + ")"), p, out["deposit_coins"],
          stamps["deposit_coins"])
    lap("deposit_coins")
    write_index(con, _query(con, "whales_balance_delta", p), p, out[INDEX], stamps[INDEX])
    lap("script_balances")
    con.execute("DROP TABLE exchange_txs")   # the stored table takes this name
    _drop_source_keys(con)


def _exchange_txs(con, h_from: int, h_to: int) -> None:
    """Temp table exchange_txs of heights [h_from, h_to] under the labels of view `xlabels`."""
    if not spark_hooks.create(con, "flows_exchange_txs", {"h_lo": h_from, "h_hi": h_to}):   # --engine spark
        con.execute(sql_text("flows_exchange_txs"), {"h_lo": h_from, "h_hi": h_to})


def _query(con, name: str, p: dict) -> str:
    return spark_hooks.query(con, name, p) or sql_text(name).rstrip().rstrip(";")


def _coins_query(con, p: dict) -> str:
    return _query(con, "whales_deposit_coins", p)


def _source_keys(con, p: dict, base_indexes: list[Path], network: str,
                 wallets: ClusterBalances | None = None, prefix: PrefixSums | None = None) -> ClusterBalances:
    """Temp tables dep_keys, dep_key_addr (the keys' display addresses), dep_members (unclustered
    wallets' scripts), range_clustered (the range's events of clustered scripts), member_base (the
    wallets' balances before p["h_from"]) and source_since (their changes since then before each
    deposit, flows/stored/running.py) for the deposit candidates of temp table exchange_txs.
    `wallets` None: the clusters' balances are looked up for these deposits' clusters (returned; with
    `prefix`, a redo's sums carried from its earlier segments, wallets.PrefixSums)."""
    if not spark_hooks.create(con, "whales_source_keys", p):
        con.execute(sql_text("whales_source_keys"), p)
    address_sql.register(con)
    con.execute(sql_text("whales_key_addresses"), {"network": network})
    con.execute(sql_text("whales_source_members"))
    if wallets is None:
        wallets = ClusterBalances(con, base_indexes, p["h_from"], only_deposits=True, prefix=prefix)
    wallets.range_events(con, p["h_from"], p["h_to"])
    register_member_base(con, base_indexes)
    # the wallets' changes before each deposit (sql/whales_source_balances.sql reads them)
    source_since(con, _query(con, "whales_source_timeline", p), p)
    return wallets


def _write_sources(con, p: dict, out: Path, stamp: str) -> None:
    _copy(con, _SELECT[SOURCES].format(src="(" + _query(con, "whales_source_balances", p) + ")"), p, out, stamp)


def _drop_source_keys(con) -> None:
    con.execute("DROP TABLE dep_keys; DROP TABLE dep_key_addr; DROP TABLE dep_members; DROP TABLE member_base; "
                "DROP TABLE source_since")


def _grow(store: Store, con, chain: str, ds: DerivedSet, state: dict | None, want: dict,
          h_to: int, steps: dict) -> dict:
    """Extend `state` (None: from scratch) to height h_to, one committed step at a time."""
    cs = store.chain(chain)
    network = address_sql.chain_network(chain, cs.meta)
    segs = [tuple(s) for s in state["segments"]] if state else []
    seg_labels = _seg_labels(state) if state else []
    seg_clusters = _seg_clusters(state) if state else []
    files = {t: [f.name for f in ds.files(state, t)] for t in FILES + (LABELS,)} if state else {t: [] for t in FILES}
    h = segs[-1][1] + 1 if segs else 0
    fresh = state is None
    gen = _next_gen(ds, state)
    if fresh:
        files[LABELS] = [_write_labels(con, ds, gen, want["labels"])]
    # the clusters' balances, kept running through the steps (looked up once, not per step)
    wallets = ClusterBalances(con, [ds.path / f for f in files[INDEX]], h) if h <= h_to else None
    while h <= h_to:
        # extensions' steps merge like a binary counter up to the ceiling
        hi = derived.step_end(h, h_to, STEP_BLOCKS)
        out = _names(ds, gen, 0)
        build_range(con, h, hi, [ds.path / f for f in files[INDEX]], out, _stamps(want, h, hi), steps, network,
                    wallets)
        segs.append((h, hi))
        seg_labels.append(want["labels"])
        seg_clusters.append(want["clusters"])
        for t in FILES:
            files[t].append(out[t].name)
        k = 1
        t0 = time.perf_counter()
        # binary counter up to a ceiling (store.derived.merge_due): time linear in the chain
        while merge_due(segs):
            lo2, hi2 = segs[-2][0], segs[-1][1]
            merged = _names(ds, gen, k)
            _merge(con, ds, {t: ds.path / files[t][-2] for t in FILES}, {t: ds.path / files[t][-1] for t in FILES},
                   merged, _stamps(want, lo2, hi2))
            segs[-2:] = [(lo2, hi2)]
            seg_labels[-2:] = [want["labels"]]
            seg_clusters[-2:] = [want["clusters"]]
            for t in FILES:
                files[t][-2:] = [merged[t].name]
            k += 1
        steps["merge"] = steps.get("merge", 0.0) + time.perf_counter() - t0
        tip_hash = _chain_hash_at(store, con, chain, hi)
        new_state = dict(want, height=hi, hash=tip_hash, tip=[hi, tip_hash], files=cs.file_set(hi),
                         segments=[list(s) for s in segs], seg_labels=seg_labels, seg_clusters=seg_clusters,
                         gen=gen)
        state = ds.commit(new_state, lists=files, fresh=fresh, keep_previous=True)
        fresh = False
        gen += 1
        h = hi + 1
    ClusterBalances.drop(con)
    return state
