"""Flow tables derived from the chain and kept in the cache, so queries never rescan it.

A DerivedSet (costbasis/store/derived.py) at `<cache>/<chain>/_derived/flows/`: state.json plus, per
table, one segment file per height range (the same ranges for every table):
- `exchange_txs`    one row per (tx, exchange entity, direction), sql/flows_exchange_txs.sql;
- `deposit_sources` per deposit candidate (exchange inflow tx with no exchange input): the source
                    wallet's balance just before the tx, its size and address (sql/whales_source_*.sql;
                    the address formatted from the key script, sql/whales_key_addresses.sql);
- `deposit_coins`   the deposited coins per (tx, created height), for age bands and cost basis;
- `exchange_hours`  exchange_txs per hour, entity (or all exchanges) and direction: total, tx count
                    and the 10 largest txs (sql/flows_hours.sql), written beside every exchange_txs
                    file from it: `flows` reads hours, not transactions (O(hours) warm, not O(chain));
- `balance_index`   per script, the change of its balance over the segment's blocks, by the script's
                    two 64-bit keys (DuckDB hash() and engine/db.KEY2_SQL, computed once), as raw
                    int64 arrays sorted by key with a stamp trailer (costbasis/flows/balance_index.py),
                    memory-mapped: a wallet's base balance is a binary search per member script and
                    segment, never a scan of the stored changes. Their sum over all segments is every
                    script's balance at the stored tip: the base a later range starts from. (No
                    Parquet copy with the script: it cost as much again, ~40 B a transaction.)
Queries (flows, whales) only filter and aggregate the first three and the hours; the threshold, the
date range and the prices are applied at query time, so one build serves every query.

Why base plus delta is exact: each row depends only on its own transaction and on blocks before it
(a balance "just before" a tx never sees later blocks). So the tables for tip H are the tables for
tip H-k plus the rows of blocks H-k+1..H: growing the chain appends a segment, never rewrites old
rows; extending reads the new blocks and, for the new deposits' wallets only, their members' stored
balance changes (binary searches in the memory-mapped indexes: cost of the members, not the chain).
The chain is built in committed steps (a kill -9 keeps the steps done), DuckDB's working set one
step's (spilling under the memory limit; nothing goes through Python): a whole range of
store.derived.MERGE_MAX_BLOCKS (32,768) blocks aligned to it when the chain holds it (a cold build
writes each row once: merging 4,096-block steps up to it rewrote every row three times, 40 % of a
20 M-tx build), else STEP_BLOCKS (4,096) blocks. Segments are merged like a binary counter (the
newest two when the newer spans at least as many blocks) up to MERGE_MAX_BLOCKS, so a row is rewritten
a bounded number of times (build time linear in the chain) and a chain extended every day keeps
~chain/32,768 + log files per table (~30 at mainnet); merging writes with DuckDB.

Staleness. state.json records the chain tip (height, hash) and the store file set
(ChainStore.file_set) of the last step, the exchange-labels and clusters fingerprints and the hash
probe (a DuckDB version whose hash() differs rebuilds); every segment file carries in its Parquet
metadata the probe and its own height range, the labelled tables also the labels they were written
under, deposit_sources also the clusters (no other table depends on them), checked by every reader.
- same tip, labels and clusters  -> used as is;
- chain grew and the recorded tip is still on the chain -> extended with the new blocks only;
- new labels (`labels expand`: derived exchange addresses), recorded tip still on the chain -> the
  labels the state was built for (the `xlabels` snapshot beside the segments) are diffed against the
  new ones; a range no tx of which touches a changed script keeps its files (their stamps name the
  labels they were written under: `seg_labels`); a touched range gets its exchange txs recomputed
  and, of its deposit rows, only those of the txs whose deposit-candidate status changed removed or
  computed (redo._redo_segments). The balances do not depend on the labels and are kept. A change of more
  than LABEL_REDO_MAX of all labelled scripts rebuilds instead;
- new clusters (`labels expand`), recorded tip still on the chain -> only deposit_sources depends on
  them: with the changes file labels expand wrote beside the clusters (the scripts whose wallet
  changed, leading from the state's clusters to the new ones) only the deposits with an input among
  those scripts are recomputed, and a range with none keeps its file (`seg_clusters` stamps); without
  it every range's deposit_sources is rewritten (its stored exchange txs, the deposits' inputs and
  the source wallets' events in that range, base balances from the indexes); exchange_txs,
  deposit_coins and the balances are kept. New labels and clusters with a changes file are redone in
  one pass per range (the deposits to recompute for either reason computed together, their source
  wallets looked up once), committed once, then the state extended as above (kill -9: redone next call;
  a redo runs on DuckDB under --engine spark too, every cluster registered for it, the extension
  after it only the new blocks');
- anything else (rollback or reorg below the recorded tip, a damaged or
  foreign file, an older format) -> rebuilt from scratch, the old state published until the new
  state.json replaces it. A state ahead of the reader's snapshot is never overwritten: that reader
  builds privately in a temporary folder.
Files are written to a temp name and renamed, never under a name a published state used, and the
previous state's files outlive one more commit, so a reader that loaded a state reads that state's
rows even if another process commits meanwhile; kill -9 at any moment leaves the last commit usable.

Modules: state (what is committed and whether to trust it: stamps, read_state), build (the loop: a
range's segments, the state grown step by step), redo (new labels / clusters), write (segment files,
merges), balances (every script's balance, for checks). This face brings a chain's tables up to date.
"""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa

from costbasis.bitcoin import address_sql
from costbasis.engine.db import files_view, hash_probe, register_arrow, sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.flows.stored import build
from costbasis.flows.stored.balances import _merge_balances, keyed, load_balances, script_balances_at
from costbasis.flows.stored.build import _grow, build_range
from costbasis.flows.stored.redo import _redo
from costbasis.flows.stored.state import (FILES, FORMAT, HOURS, INDEX, LABEL_REDO_MAX,
                                          LABELED, LABELS, META_KEY, SCHEMAS, SOURCES, TABLES, VIEWS, FlowTables,
                                          _chain_hash_at, _files_of, _inputs, _private_set, derived_set, read_state)
from costbasis.labels.dataset import materialize_exchange_labels
from costbasis.store import Store
from costbasis.store.digest import clusters_changes, clusters_fingerprint, drop_clusters_changes

__all__ = ["FILES", "FORMAT", "HOURS", "INDEX", "LABEL_REDO_MAX", "LABELED", "LABELS",
           "META_KEY", "SCHEMAS", "SOURCES", "TABLES", "VIEWS", "FlowTables", "build", "build_range", "derived_set",
           "flow_tables", "keyed", "load_balances", "read_state", "register", "script_balances_at", "_merge_balances"]


def flow_tables(store: Store, con: duckdb.DuckDBPyConnection, chain: str, labels_fp: str,
                write: bool = True) -> FlowTables:
    """The stored flow tables of `chain`, brought up to the chain tip first (extended or rebuilt).

    `con` has the chain views (engine.db.connect) and `xlabels` registered (labels.dataset.
    register_exchange_labels: a view over the labels file), `labels_fp` its content fingerprint; only
    when something has to be built are `xlabels` read (into a DuckDB temp table) and `clusters` registered.
    """
    t0 = time.perf_counter()
    cs = store.chain(chain)   # the manifest read that the views of `con` came from
    tip = cs.tip()
    want = {"format": FORMAT, "labels": labels_fp,
            "clusters": clusters_fingerprint(store, chain), "probe": hash_probe(con)}
    if tip is None:
        return FlowTables({t: [] for t in VIEWS}, dict(want, height=None), "empty")
    ds = derived_set(store, chain)
    state, _ = read_state(store, chain, ds)
    same_inputs = (state is not None and _inputs(state) == want
                   and state.get("files") == cs.file_set(state["height"]))
    if same_inputs and state["height"] == tip[0] and state["hash"] == tip[1]:
        return FlowTables(_files_of(ds, state), state, "fresh", time.perf_counter() - t0)
    extend = (same_inputs and state["height"] < tip[0]
              and _chain_hash_at(store, con, chain, state["height"]) == state["hash"])
    if not write or (same_inputs and state["height"] > tip[0]):
        # built by a reader that saw a later commit (or not to be kept): never overwritten, ours is private
        return _build_private(store, con, chain, want, tip, t0)
    steps: dict = {}
    with ds.lock() as got:
        if not got:   # another process is writing it: compute ours without saving
            return _build_private(store, con, chain, want, tip, t0)
        state, _ = read_state(store, chain, ds)   # as committed now, under the lock
        if state is not None and _inputs(state) == want and state["height"] == tip[0] and state["hash"] == tip[1] \
                and state.get("files") == cs.file_set(tip[0]):
            return FlowTables(_files_of(ds, state), state, "fresh", time.perf_counter() - t0)
        on_chain = (state is not None and state["height"] <= tip[0]
                    and state.get("files") == cs.file_set(state["height"])
                    and _chain_hash_at(store, con, chain, state["height"]) == state["hash"])
        # new labels and/or clusters on the same chain: rewrite only what depends on them
        # (redo.py), then extend; anything else is rebuilt
        same = on_chain and all(state.get(k) == want[k] for k in ("format", "probe"))
        relabel = same and state["labels"] != want["labels"]
        sources = same and state["clusters"] != want["clusters"]
        materialize_exchange_labels(con)   # joined at every step: read once
        try:
            if relabel or sources:
                # on DuckDB even under --engine spark: a redo recomputes a few txs per stored range (its
                # exchange txs and deposits are DuckDB temp tables); every cluster registered, as its
                # steps look up only their deposits' clusters (sql/whales_all_clusters.sql)
                _register_all_clusters(store, con, chain)
                changes = clusters_changes(store, chain, state["clusters"], want["clusters"]) if sources else None
                state = _redo(con, ds, state, want, relabel, sources, steps,
                              address_sql.chain_network(chain, cs.meta), changes)
            ok = on_chain and state is not None and _inputs(state) == want
            if not ok or state["height"] < tip[0]:
                with spark_hooks.flows_build(store, chain, con):
                    # an extension needs the new blocks' clusters only (its running cluster balances are
                    # looked up for every registered cluster's members in every index: ~10 s at 40 M txs
                    # for all of them), a build from scratch the whole chain's
                    _register_clusters(store, con, chain, state["height"] + 1 if ok else 0, tip[0])
                    state = _grow(store, con, chain, ds, state if ok else None, want, tip[0], steps)
        except OSError:   # read-only or full cache: the query still works, it just is not kept
            return _build_private(store, con, chain, want, tip, t0)
    drop_clusters_changes(store, chain, want["clusters"])   # the committed state is at these clusters
    action = ("rebuilt" if not ok else "labels" if relabel else "sources" if sources
              else "extended" if extend else "rebuilt")
    return FlowTables(_files_of(ds, state), state, action, time.perf_counter() - t0, steps)


def _build_private(store, con, chain, want, tip, t0) -> FlowTables:
    ds = _private_set()
    materialize_exchange_labels(con)
    _register_clusters(store, con, chain, 0, tip[0])
    steps: dict = {}
    state = _grow(store, con, chain, ds, None, want, tip[0], steps)
    return FlowTables(_files_of(ds, state), state, "rebuilt", time.perf_counter() - t0, steps)


def _register_clusters(store: Store, con, chain: str, h_from: int, h_to: int) -> None:
    """Temp table `clusters` (script, cluster): of the clusters file the clusters a build of heights
    [h_from, h_to] can need (sql/whales_build_clusters.sql: one pass over the file, not one per build step)."""
    _clusters_file(store, con, chain)
    p = {"h_from": h_from, "h_to": h_to}
    if not spark_hooks.create(con, "whales_build_clusters", p):   # --engine spark: on Spark, kept on both
        con.execute(sql_text("whales_build_clusters"), p)


def _register_all_clusters(store: Store, con, chain: str) -> None:
    """Temp table `clusters` of every cluster of the file (sql/whales_all_clusters.sql): for a redo, which
    looks up its deposits' clusters only."""
    _clusters_file(store, con, chain)
    con.execute(sql_text("whales_all_clusters"))


def _clusters_file(store: Store, con, chain: str) -> None:
    """View clusters_file (script, cluster) over clusters/<chain>.parquet, read by DuckDB as it joins,
    never whole into Arrow (empty without the file); its address column, if any, is not needed:
    addresses are formatted from scripts."""
    path = store.dataset_path("clusters", chain)
    schema = pa.schema([("script", pa.binary()), ("cluster", pa.int64())])
    if path.is_file():
        con.read_parquet(str(path)).select("script, cluster::BIGINT AS cluster").create_view("clusters_file",
                                                                                              replace=True)
    else:
        register_arrow(con, "clusters_file", schema.empty_table())


def register(con: duckdb.DuckDBPyConnection, ft: FlowTables) -> None:
    """Views exchange_txs, deposit_sources, deposit_coins, exchange_hours over the segment files of `ft`."""
    for t in VIEWS:
        files_view(con, t, ft.tables[t], SCHEMAS[t])
