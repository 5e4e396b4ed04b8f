"""`labels expand`: derive exchange addresses from the chain and store them as labels.

1. Sweep heuristic (sql/labels_sweep.sql): deposit addresses swept into a labeled exchange.
2. Common-input-ownership clustering: union-find (costbasis.labels.unionfind) over the input
   scripts of each non-CoinJoin transaction (sql/labels_cluster_*.sql: inputs are read twice, once to
   find the multi-script txs, once for their scripts; each tx is a graph node joined to its input
   scripts, so components equal the classic per-tx star edges'); clusters are stored at
   `clusters/<chain>.parquet` (script, cluster, address) for the whale source-wallet balances,
   and a cluster's unlabeled scripts inherit the one entity labeled inside it.
3. The stored flow tables (costbasis/flows/stored.py: exchange txs, each deposit's source-wallet
   balance) are rebuilt for the new labels and clusters, so flows/whales queries start fast.
Derived labels carry `heuristic` (sweep | common_input) and `derived_from` (the labeled
address they were derived from). Re-running replaces the previous derived labels of the chain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from costbasis.bitcoin.schema import TABLES
from costbasis.engine.db import connect, register_arrow, run, sql_text
from costbasis.errors import CostbasisError
from costbasis.labels.dataset import IMPORTED, concat, exchange_scripts, read_labels, write_labels
from costbasis.flows.stored import CLUSTERS_META, table_digest
from costbasis.labels.unionfind import components
from costbasis.store import Store

CJ_MIN_INPUTS = 3   # "many inputs"
CJ_MIN_EQUAL = 3    # "several equal-value outputs"
CLUSTER_SCHEMA = pa.schema([("script", pa.binary()), ("cluster", pa.int64()), ("address", pa.string())])


@dataclass
class ExpandResult:
    counts: pa.Table            # heuristic, entity, added
    sweep: pa.Table
    common_input: pa.Table
    clusters: int               # clusters with >= 2 scripts
    addresses: int              # scripts in multi-input non-CoinJoin txs
    coinjoins_skipped: int
    conflicts: int
    seconds: dict


def cluster_scripts(con, cj_min_inputs: int = CJ_MIN_INPUTS, cj_min_equal: int = CJ_MIN_EQUAL) -> tuple[pa.Table, dict]:
    """(script, cluster, address) for every script in a cluster of >= 2 scripts, and stats."""
    t0 = time.perf_counter()
    con.execute(sql_text("labels_cluster_txs"), {"cj_min_inputs": cj_min_inputs, "cj_min_equal": cj_min_equal})
    con.execute(sql_text("labels_cluster_inputs"))
    con.execute(sql_text("labels_cluster_scripts"))
    n = con.execute("SELECT count(*) FROM cluster_scripts").fetchall()[0][0]
    cj = con.execute("SELECT count(*) FROM cluster_txs WHERE is_coinjoin").fetchall()[0][0]
    n_tx = con.execute("SELECT count(*) FROM cluster_txs WHERE NOT is_coinjoin").fetchall()[0][0]
    e = con.execute(sql_text("labels_cluster_edges")).fetchnumpy()
    t1 = time.perf_counter()
    # nodes 0..n-1 are scripts, n.. are txs: a component's smallest id is always a script's
    root = components(n + n_tx, e["a"], np.asarray(e["b"], np.int64) + (n - 1))[:n]
    t2 = time.perf_counter()
    sizes = np.bincount(root, minlength=n)
    ids = np.nonzero(sizes[root] >= 2)[0]
    ids_t = pa.table({"id": pa.array(ids, pa.int64()), "cluster": pa.array(root[ids], pa.int64())})
    register_arrow(con, "cluster_roots", ids_t)
    clusters = con.sql("SELECT s.script, r.cluster, s.address FROM cluster_roots r "
                       "JOIN cluster_scripts s ON s.id = r.id ORDER BY r.cluster, s.script").to_arrow_table()
    stats = {"addresses": int(n), "edges": int(len(e["a"])), "coinjoins": int(cj),
             "clusters": int(np.count_nonzero(sizes >= 2)), "sql_s": t1 - t0, "unionfind_s": t2 - t1}
    return clusters.cast(CLUSTER_SCHEMA), stats


def _derived(rows: pa.Table, chain: str, heuristic: str) -> pa.Table:
    n = rows.num_rows
    return pa.table({
        "chain": pa.array([chain] * n, pa.string()),
        "address": rows["address"].cast(pa.string()),
        "entity": rows["entity"],
        "label_type": pa.array(["exchange_deposit" if heuristic == "sweep" else "exchange"] * n, pa.string()),
        "script": rows["script"].cast(pa.binary()),
        "heuristic": pa.array([heuristic] * n, pa.string()),
        "derived_from": rows["derived_from"],
    })


def expand_labels(store: Store, chain: str | None = None, cj_min_inputs: int = CJ_MIN_INPUTS,
                  cj_min_equal: int = CJ_MIN_EQUAL, progress: bool = False, build_flows: bool = True) -> ExpandResult:
    if chain is not None and chain in store.chains() and store.chain(chain).meta.get("family") == "evm":
        # sweeps and common-input clustering read UTXO inputs; an account chain has none
        raise CostbasisError(f"labels expand works on Bitcoin chains only (sweep and common-input heuristics "
                             f"need UTXO inputs); chain {chain} is an EVM chain, import its labels directly")
    con, name = connect(store, chain, "bitcoin", schemas=TABLES)
    base = exchange_scripts(store, name, imported_only=True)
    if base.num_rows == 0:
        raise CostbasisError("no imported Bitcoin exchange labels; run `costbasis labels import FILE` first")
    secs = {}
    steps = ["sweep heuristic", "clustering", "label propagation"]
    bar = None
    if progress:
        from rich.progress import Progress
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task(steps[0], total=len(steps))

    def step(i):
        if bar:
            bar.update(task, advance=1, description=steps[min(i, len(steps) - 1)])
    try:
        t0 = time.perf_counter()
        register_arrow(con, "xlabels", base.select(["script", "entity", "address"]))
        sweep = run(con, "labels_sweep")
        secs["sweep"] = time.perf_counter() - t0
        step(1)
        clusters, stats = cluster_scripts(con, cj_min_inputs, cj_min_equal)
        secs["cluster_sql"], secs["unionfind"] = stats["sql_s"], stats["unionfind_s"]
        step(2)
        t0 = time.perf_counter()
        xl_all = concat([base.select(["script", "entity", "address"]),
                         sweep.select(["script", "entity", "address"])]).select(["script", "entity", "address"])
        register_arrow(con, "xlabels_all", xl_all)
        register_arrow(con, "clusters_new", clusters)
        prop = run(con, "labels_cluster_propagate")
        conflicts = len(set(prop.filter(prop["conflict"])["cluster"].to_pylist()))
        common = prop.filter(pc.invert(prop["conflict"]))
        secs["propagate"] = time.perf_counter() - t0
        step(3)
    finally:
        if bar:
            bar.stop()

    # the content digest tells the stored flow tables (costbasis/flows/stored.py) the clusters changed
    store.write_dataset("clusters", name, clusters.replace_schema_metadata(
        {CLUSTERS_META: table_digest(clusters).encode()}))
    old = read_labels(store)
    if old.num_rows:
        keep = pc.or_(pc.equal(old["heuristic"], IMPORTED), pc.not_equal(old["chain"], name))
        old = old.filter(pc.fill_null(keep, True))
    new_sweep = _derived(sweep, name, "sweep")
    new_common = _derived(common, name, "common_input")
    write_labels(store, concat([old, new_sweep, new_common]))
    if build_flows:
        # balances of every deposit's source wallet, once per chain tip instead of once per query
        t0 = time.perf_counter()
        from costbasis.flows.context import open_flows
        open_flows(store, name)
        secs["flow_tables"] = time.perf_counter() - t0

    counts = {}
    for h, t in (("sweep", new_sweep), ("common_input", new_common)):
        for e in t["entity"].to_pylist():
            counts[(h, e)] = counts.get((h, e), 0) + 1
    keys = sorted(counts)
    counts_t = pa.table({"heuristic": [k[0] for k in keys], "entity": [k[1] for k in keys],
                         "added": pa.array([counts[k] for k in keys], pa.int64())})
    return ExpandResult(counts=counts_t, sweep=new_sweep, common_input=new_common, clusters=stats["clusters"],
                        addresses=stats["addresses"], coinjoins_skipped=stats["coinjoins"], conflicts=conflicts,
                        seconds=secs)
