"""`labels expand`: derive exchange addresses from the chain and store them as labels.

1. Sweep heuristic (sql/labels_sweep*.sql): deposit addresses swept into a labeled exchange.
2. Common-input-ownership clustering (sql/labels_cluster_*.sql): the input scripts of each non-CoinJoin
   multi-script transaction belong to one owner; components by union-find over script ids on disk
   (costbasis.labels.unionfind). Clusters are stored at `clusters/<chain>.parquet` (script, cluster;
   an address is a format of the script) for the whale source-wallet balances, and a cluster's unlabeled scripts inherit the one
   entity labeled inside it.
3. The stored flow tables (costbasis/flows/stored/: exchange txs, each deposit's source-wallet
   balance) are brought up to date for the new labels and clusters, so flows/whales queries start fast.

Out of core and incremental (issue 12). Two DerivedSets under `<cache>/<chain>/_derived/`, each
stamped with the tip (height, hash) and file set it has seen, and extended with the new blocks only:
- `clusters/`: `script_ids` segments (key = hash(script), script, id: a script keeps its
  id for good) and `parent-<gen>.i64`, the union-find parents of every id (int64, memory-mapped).
  New blocks add ids for their new scripts and union their own inputs only. `hooks-<gen>.i64`: the
  roots hooked on since the clusters file `hooks_since` (the state's) was written, from which the
  changes list is read off the roots (only the components they are in changed: unions only merge).
- `sweep/` (also stamped with the imported labels it used): per range, `sweep_hits` (input scripts of
  sweeps per exchange) and `spend_counts` (txs spending from each script); both add up over ranges.
Segments are merged like a binary counter up to a ceiling (as the flow tables'); everything is read and written by
DuckDB, which spills under --memory-limit, and the parents are touched chunk by chunk, so memory does
not grow with the number of addresses. A commit writes new files under new names and then replaces
state.json, so kill -9 at any moment leaves the last state usable; the rerun redoes the rest and, the
output depending only on the blocks, writes the same clusters and labels.
Derived labels carry `heuristic` (sweep | common_input) and `derived_from` (the labeled address they
were derived from). Re-running replaces the previous derived labels of the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.bitcoin import address_sql
from costbasis.bitcoin.schema import TABLES
from costbasis.engine.db import connect, files_view as register_files, hash_at, hash_probe, run, sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.errors import CostbasisError, UsageError
from costbasis.store.digest import CLUSTERS_META, clusters_changes_path, clusters_fingerprint
from costbasis.labels import unionfind as uf
from costbasis.labels.dataset import (LABEL_COLUMNS, materialize_exchange_labels, read_labels,
                                      register_exchange_labels, rewrite_labels)
from costbasis.store import Store
from costbasis.store.atomic import _atomic_write, atomic_write_bytes
from costbasis.store.derived import MERGE_MAX_BLOCKS, DerivedSet, merge_due, step_end

CJ_MIN_INPUTS = 3   # "many inputs"
CJ_MIN_EQUAL = 3    # "several equal-value outputs"
CLUSTER_SCHEMA = pa.schema([("script", pa.binary()), ("cluster", pa.int64())])   # addresses: btc_address
FORMAT = 3   # 3: spend counts keyed by (hash(script), script_key2(script)), no script; 2: no address column
META_KEY = "costbasis.labels"
IDS = pa.schema([("key", pa.uint64()), ("script", pa.binary()), ("id", pa.int64())])
SWEEP_HITS = pa.schema([("key", pa.uint64()), ("script", pa.binary()), ("entity", pa.string()),
                        ("n_sweeps", pa.int64()), ("derived_from", pa.string())])
SPEND_COUNTS = pa.schema([("key", pa.uint64()), ("key2", pa.uint64()), ("n_spends", pa.int64())])
SEGMENTED = {"clusters": {"script_ids": IDS}, "sweep": {"sweep_hits": SWEEP_HITS, "spend_counts": SPEND_COUNTS}}
HOOKS = "hooks"   # clusters state: the roots hooked on since the clusters file `hooks_since` (int64)


@dataclass
class ExpandResult:
    counts: pa.Table            # heuristic, entity, added
    clusters: int               # clusters with >= 2 scripts
    addresses: int              # scripts in multi-input non-CoinJoin txs
    coinjoins_skipped: int
    conflicts: int
    seconds: dict
    store: Store
    chain: str

    def _derived_rows(self, heuristic: str) -> pa.Table:
        # read back from the labels file when asked for (the run never holds the label sets)
        t = read_labels(self.store)
        return t.filter(pc.fill_null(pc.and_(pc.equal(t["chain"], self.chain),
                                             pc.equal(t["heuristic"], heuristic)), False)).select(LABEL_COLUMNS.names)

    @property
    def sweep(self) -> pa.Table:
        """The labels the sweep heuristic derived (rows of the labels dataset)."""
        return self._derived_rows("sweep")

    @property
    def common_input(self) -> pa.Table:
        """The labels common-input clustering derived (rows of the labels dataset)."""
        return self._derived_rows("common_input")


# ---------------------------------------------------------------- stamped, segmented derived sets

def _copy(con, query: str, params: dict, path: Path, stamp: str) -> None:
    def write(tmp: str) -> None:
        con.execute("SET preserve_insertion_order = true")   # the ORDER BY makes files reproducible
        con.execute(f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16384, USE_TMP_FILE false, "
                    "KV_METADATA {'costbasis.labels': $stamp})", dict(params, path=tmp, stamp=stamp))
    _atomic_write(path, ".parquet", write)


def _body(name: str) -> str:
    return sql_text(name).rstrip().rstrip(";")


def _stamp(want: dict, lo: int, hi: int) -> str:
    return json.dumps(dict(want, range=[lo, hi]), sort_keys=True)


def _valid(store: Store, con, cs, ds: DerivedSet, want: dict) -> dict | None:
    """The committed state if it was built from these inputs and from blocks still on the chain,
    every file listed and stamped for it; else None (rebuilt)."""
    st = ds.load()
    if st is None or st.get("want") != want:
        return None
    h, hsh = st["tip"]
    if h > cs.tip()[0] or st.get("files") != cs.file_set(h) or hash_at(cs, con, h) != hsh:
        return None
    segs = st.get("segments", [])
    for t in SEGMENTED[ds.path.name]:
        files = ds.files(st, t)
        if len(files) != len(segs):
            return None
        for f, (lo, hi) in zip(files, segs):
            try:
                md = pq.read_schema(f).metadata or {}
            except (pa.ArrowException, OSError):
                return None
            if md.get(META_KEY.encode(), b"").decode() != _stamp(want, lo, hi):
                return None
    return st


def _next_gen(ds: DerivedSet, st: dict | None) -> int:
    """Above every generation a file in the folder was ever named with, published or not."""
    gens = [int(f.stem.split("-")[1]) for f in (ds.path.iterdir() if ds.path.is_dir() else [])
            if len(f.stem.split("-")) >= 2 and f.stem.split("-")[1].isdigit()]
    return max(gens + [(st or {}).get("gen", 0)]) + 1


def _merge_segments(con, ds: DerivedSet, files: dict[str, list[str]], segs: list, want: dict, gen: int) -> None:
    """Binary counter up to a ceiling (store.derived.merge_due): the newest two merged while due."""
    k = 1
    while merge_due(segs):
        lo, hi = segs[-2][0], segs[-1][1]
        for t, schema in SEGMENTED[ds.path.name].items():
            out = ds.path / f"{t}-{gen:08d}-{k}.parquet"
            parts = [ds.path / f for f in files[t][-2:]]
            if t == "script_ids":
                register_files(con, "ids_parts", parts, schema)
                _copy(con, "SELECT * FROM ids_parts ORDER BY key, script", {}, out, _stamp(want, lo, hi))
            else:
                view = "sweep_parts" if t == "sweep_hits" else "spend_parts"
                register_files(con, view, parts, schema)
                register_files(con, "spend_parts" if t == "sweep_hits" else "sweep_parts", [],
                               SPEND_COUNTS if t == "sweep_hits" else SWEEP_HITS)
                con.execute(sql_text("labels_segment_merge"))
                _copy(con, f"SELECT * FROM {'sweep_merged' if t == 'sweep_hits' else 'spend_merged'}", {}, out,
                      _stamp(want, lo, hi))
            files[t][-2:] = [out.name]
        segs[-2:] = [[lo, hi]]
        k += 1


# ---------------------------------------------------------------- clustering

def _steps(store: Store, con, cs, ds: DerivedSet, want: dict, tip, step) -> dict:
    """Bring the state of `ds` up to `tip` one committed block range at a time: `step(st, h_from, tip)`
    adds the range [h_from, tip height] to state `st` (None: none yet) and returns the committed state.
    A cold build takes whole merge-ceiling ranges (store.derived.step_end), so no step's working set
    grows with the chain (in one whole-chain step, the sweep and the clustering took x2.7-2.8 per
    doubling at 10 -> 20 M txs); a kill -9 keeps the steps done."""
    st = _valid(store, con, cs, ds, want)
    h = st["tip"][0] + 1 if st else 0
    while h <= tip[0]:
        hi = step_end(h, tip[0], MERGE_MAX_BLOCKS)
        st = step(st, h, tip if hi == tip[0] else (hi, hash_at(cs, con, hi)))
        h = hi + 1
    return st


def _cluster(store: Store, con, cs, tip, cj_min_inputs: int, cj_min_equal: int, probe: str, secs: dict) -> dict:
    """Bring the clustering state up to `tip`; returns the committed state."""
    ds = cs.derived("clusters")
    want = {"format": FORMAT, "probe": probe, "cj_min_inputs": cj_min_inputs, "cj_min_equal": cj_min_equal}
    return _steps(store, con, cs, ds, want, tip,
                  lambda st, h_from, tip: _cluster_step(store, con, cs, ds, st, want, h_from, tip,
                                                        cj_min_inputs, cj_min_equal, secs))


def _cluster_step(store: Store, con, cs, ds: DerivedSet, st: dict | None, want: dict, h_from: int, tip,
                  cj_min_inputs: int, cj_min_equal: int, secs: dict) -> dict:
    """One committed step of the clustering: ids for the range's new scripts, its inputs unioned."""
    t0 = time.perf_counter()
    gen = _next_gen(ds, st)
    files = {t: [f.name for f in ds.files(st, t)] if st else [] for t in SEGMENTED["clusters"]}
    segs = [list(s) for s in st["segments"]] if st else []
    n0 = st["n_ids"] if st else 0
    r = {"h_lo": h_from, "h_hi": tip[0]}
    con.execute(sql_text("labels_cluster_txs"), dict(r, cj_min_inputs=cj_min_inputs, cj_min_equal=cj_min_equal))
    con.execute(sql_text("labels_cluster_inputs"), r)
    cj = con.execute("SELECT count(*) FROM cluster_txs WHERE is_coinjoin").fetchall()[0][0]
    register_files(con, "script_ids", [ds.path / f for f in files["script_ids"]], IDS)
    new_ids = ds.path / f"script_ids-{gen:08d}-0.parquet"
    _copy(con, _body("labels_cluster_scripts"), {"n0": n0}, new_ids, _stamp(want, h_from, tip[0]))
    files["script_ids"].append(new_ids.name)
    segs.append([h_from, tip[0]])
    register_files(con, "script_ids", [ds.path / f for f in files["script_ids"]], IDS)
    n1 = n0 + pq.read_metadata(new_ids).num_rows
    secs["cluster_sql"] = secs.get("cluster_sql", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    parent_name = f"parent-{gen:08d}.i64"
    uf.grow_parents(ds.path / st["parent"] if st and n0 else None, ds.path / parent_name, n0, n1)
    parent = uf.open_parents(ds.path / parent_name, n1, write=True)

    since, hooked = _hooks_base(store, cs, ds, st)
    hooked = [hooked] if since is not None else None

    def union(a, b, parent=parent) -> None:
        uf.union(parent, a, b, hooked)
        uf.release(parent)
        if hooked is not None and len(hooked) > 64:   # a long catch-up: at most the new ids' count held
            hooked[:] = [np.unique(np.concatenate(hooked))]

    edges = spark_hooks.union_components(con, sql_text("labels_cluster_edges"), union, store.root)
    if edges is None:   # not --engine spark
        edges = 0
        rel = con.sql(sql_text("labels_cluster_edges"))   # streamed in record batches, not fetched whole
        reader = (getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader)(uf.CHUNK)
        for batch in reader:
            a = batch.column(0).to_numpy()
            edges += len(a)
            union(a, batch.column(1).to_numpy())
    if n1:
        parent.flush()
        uf.release(parent)
    del union, parent   # closes the memory map
    secs["unionfind"] = secs.get("unionfind", 0.0) + time.perf_counter() - t0
    con.execute("DROP TABLE cluster_txs; DROP TABLE cluster_inputs")
    _merge_segments(con, ds, files, segs, want, gen)
    hooks = []
    if since is not None:
        hooks = [f"{HOOKS}-{gen:08d}.i64"]
        atomic_write_bytes(ds.path / hooks[0], np.unique(np.concatenate(hooked)).astype(np.int64).tobytes())
    state = dict(want=want, tip=list(tip), files=cs.file_set(tip[0]), segments=segs, gen=gen, n_ids=n1,
                 parent=parent_name, coinjoins=(st["coinjoins"] if st else 0) + cj,
                 edges=(st["edges"] if st else 0) + edges, hooks_since=since)
    # no reader outside `labels expand`, which holds the lock: the previous state's files (its whole
    # parent file) are deleted now, not kept for a reader until the next commit
    return ds.commit(state, lists=dict(files, parent=[parent_name], **{HOOKS: hooks}), fresh=st is None)


def _clusters_digest(st: dict) -> str:
    """The content digest of the clusters file written from clustering state `st` (CLUSTERS_META)."""
    return hashlib.sha256(json.dumps([st["want"], st["tip"], st["files"]], sort_keys=True).encode()).hexdigest()


def _hooks_base(store: Store, cs, ds: DerivedSet, st: dict | None) -> tuple[str | None, np.ndarray]:
    """Where a step's list of hooked roots starts: (the fingerprint of the clusters file on disk, the
    roots hooked since it was written, before this step), when that file was written from `st` or
    from a state `st` grew from by steps that kept the list; (None, ...) otherwise: no state yet (a
    build from scratch numbers the ids anew) or a file of another state: the changes list is then
    the diff of the two files (sql/labels/labels_cluster_changes.sql)."""
    none = np.zeros(0, np.int64)
    if st is None:
        return None, none
    fp = clusters_fingerprint(store, cs.name)
    if fp == _clusters_digest(st):
        return fp, none
    kept = _kept_hooks(ds, st, fp)
    return (fp, kept) if kept is not None else (None, none)


def _kept_hooks(ds: DerivedSet, st: dict, fp: str) -> np.ndarray | None:
    """The roots clustering state `st` kept as hooked on since the clusters file of fingerprint `fp`
    was written; None when its list does not start there (or there is no file)."""
    if fp == "none" or st.get("hooks_since") != fp or not ds.files(st, HOOKS):
        return None
    return np.fromfile(ds.files(st, HOOKS)[0], dtype=np.int64)


def _write_clusters(store: Store, con, cs, st: dict, name: str) -> tuple[Path, str]:
    """clusters/<chain>.parquet from the clustering state (DuckDB writes it; roots go out in chunks)."""
    ds = cs.derived("clusters")
    digest = _clusters_digest(st)
    path = store.dataset_path("clusters", name)
    try:
        if (pq.read_schema(path).metadata or {}).get(CLUSTERS_META, b"").decode() == digest:
            return path, digest   # already written for this state (a rerun): identical content
    except (pa.ArrowException, OSError):
        pass
    # what changed since the previous file (clusters_changes_path): read off the roots when the state
    # kept the roots hooked on since that file, else the diff of the two files (the previous one pinned
    # by a hard link)
    old_fp, changes = clusters_fingerprint(store, name), clusters_changes_path(store, name)
    hooks = _kept_hooks(ds, st, old_fp)
    hooked = hooks is not None
    prev = path.with_name(f".{name}.prev-{os.getpid()}")
    prev.unlink(missing_ok=True)
    try:
        if old_fp != "none" and not hooked:
            os.link(path, prev)
    except OSError:   # no hard links here: no changes file, flows redo every deposit's source
        old_fp = "none"
    n = st["n_ids"]
    roots_file = ds.path / f".tmp-roots-{st['gen']:08d}.parquet"
    parent = uf.open_parents(ds.path / st["parent"], n, write=True)
    # the roots of the changed components: where the hooked roots are now
    moved = np.unique(uf.find(parent, hooks)) if hooked else None
    schema = pa.schema([("id", pa.int64()), ("root", pa.int64()), ("changed", pa.bool_())])
    with pq.ParquetWriter(roots_file, schema, compression="zstd") as w:
        for lo in range(0, n, uf.CHUNK):
            hi = min(lo + uf.CHUNK, n)
            r = uf.roots(parent, lo, hi)
            w.write_table(pa.table({"id": np.arange(lo, hi, dtype=np.int64), "root": r,
                                    "changed": np.isin(r, moved) if hooked else np.zeros(len(r), bool)},
                                   schema=schema))
            uf.release(parent)
    del parent
    try:
        register_files(con, "script_ids", ds.files(st, "script_ids"), IDS)
        register_files(con, "cluster_roots", [roots_file], schema)

        def write(tmp: str) -> None:
            con.execute("SET preserve_insertion_order = true")
            con.execute(f"COPY ({_body('labels_cluster_out')}) TO $path (FORMAT parquet, COMPRESSION zstd, "
                        "ROW_GROUP_SIZE 16384, USE_TMP_FILE false, KV_METADATA {'costbasis.clusters': $digest})",
                        {"path": tmp, "digest": digest})
        _atomic_write(path, ".parquet", write)
        changes.unlink(missing_ok=True)
        if hooked:
            _write_changes_hooked(con, changes, old_fp, digest)
        elif old_fp != "none":
            _write_changes(con, prev, path, changes, old_fp, digest)
    finally:
        roots_file.unlink(missing_ok=True)
        prev.unlink(missing_ok=True)
    return path, digest


def _write_changes_file(con, query: str, out: Path, old_fp: str, new_fp: str) -> None:
    """The changes file `out` from query `query` (rows (script)), stamped with the fingerprints of the
    clusters files it leads from and to."""
    def write(tmp: str) -> None:
        con.execute(f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false, "
                    "KV_METADATA {'costbasis.clusters.from': $old, 'costbasis.clusters.to': $new})",
                    {"path": tmp, "old": old_fp, "new": new_fp})
    _atomic_write(out, ".parquet", write)


def _write_changes_hooked(con, out: Path, old_fp: str, new_fp: str) -> None:
    """The changes file from the roots (views script_ids and cluster_roots with its `changed` flag,
    sql/labels/labels_cluster_changes_hooked.sql): no pass over either clusters file's scripts."""
    _write_changes_file(con, _body("labels_cluster_changes_hooked"), out, old_fp, new_fp)


def _write_changes(con, old: Path, new: Path, out: Path, old_fp: str, new_fp: str) -> None:
    """The scripts whose wallet changed from clusters file `old` to `new` (sql/labels/labels_cluster_changes.sql),
    stamped with both fingerprints: flows redo only the deposits with an input among them."""
    for view, f in (("clusters_old", old), ("clusters_new", new)):
        con.read_parquet(str(f)).select("script, cluster::BIGINT AS cluster").create_view(view, replace=True)
    _write_changes_file(con, _body("labels_cluster_changes"), out, old_fp, new_fp)
    con.execute("DROP VIEW clusters_old; DROP VIEW clusters_new")


def cluster_scripts(con, cj_min_inputs: int = CJ_MIN_INPUTS, cj_min_equal: int = CJ_MIN_EQUAL,
                    store: Store | None = None, chain: str | None = None) -> tuple[pa.Table, dict]:
    """(script, cluster) for every script in a cluster of >= 2 scripts, and stats (the
    bench's entry point: brings the stored clustering state up to date and reads the clusters file)."""
    if store is None:
        raise ValueError("cluster_scripts needs the store the connection was opened on")
    cs = store.chain(chain)
    secs: dict = {}
    with cs.derived("clusters").lock():   # the state's files are read under the lock only
        st = _cluster(store, con, cs, cs.tip(), cj_min_inputs, cj_min_equal, hash_probe(con), secs)
        path, _ = _write_clusters(store, con, cs, st, chain)
    t = pq.read_table(path).replace_schema_metadata(None).cast(CLUSTER_SCHEMA)
    stats = {"addresses": st["n_ids"], "edges": st["edges"], "coinjoins": st["coinjoins"],
             "clusters": len(pc.unique(t["cluster"])), "sql_s": secs.get("cluster_sql", 0.0),
             "unionfind_s": secs.get("unionfind", 0.0)}
    return t, stats


# ---------------------------------------------------------------- sweep heuristic

def _sweep(store: Store, con, cs, tip, labels_fp: str, probe: str) -> dict:
    ds = cs.derived("sweep")
    want = {"format": FORMAT, "probe": probe, "labels": labels_fp}
    return _steps(store, con, cs, ds, want, tip, lambda st, h_from, tip: _sweep_step(con, cs, ds, st, want, h_from, tip))


def _sweep_step(con, cs, ds: DerivedSet, st: dict | None, want: dict, h_from: int, tip) -> dict:
    """One committed step of the sweep state: the range's sweep hits and spend counts."""
    gen = _next_gen(ds, st)
    files = {t: [f.name for f in ds.files(st, t)] if st else [] for t in SEGMENTED["sweep"]}
    segs = [list(s) for s in st["segments"]] if st else []
    r = {"h_lo": h_from, "h_hi": tip[0]}
    for t, sql in (("sweep_hits", "labels_sweep_hits"), ("spend_counts", "labels_spend_counts")):
        out = ds.path / f"{t}-{gen:08d}-0.parquet"
        ds.path.mkdir(parents=True, exist_ok=True)
        _copy(con, _body(sql), r, out, _stamp(want, h_from, tip[0]))
        files[t].append(out.name)
    segs.append([h_from, tip[0]])
    _merge_segments(con, ds, files, segs, want, gen)
    state = dict(want=want, tip=list(tip), files=cs.file_set(tip[0]), segments=segs, gen=gen)
    return ds.commit(state, lists=files, fresh=st is None)   # read under the lock only (see _cluster_step)


def expand_labels(store: Store, chain: str | None = None, cj_min_inputs: int = CJ_MIN_INPUTS,
                  cj_min_equal: int = CJ_MIN_EQUAL, progress: bool = False) -> ExpandResult:
    if chain is not None and chain in store.chains() and store.chain(chain).meta.get("family") == "evm":
        # sweeps and common-input clustering read UTXO inputs; an account chain has none
        raise UsageError(f"labels expand works on Bitcoin chains only (sweep and common-input heuristics "
                             f"need UTXO inputs); chain {chain} is an EVM chain, import its labels directly")
    con, name = connect(store, chain, "bitcoin", schemas=TABLES)
    base_fp, n_base = register_exchange_labels(con, store, name, imported_only=True)
    if n_base == 0:
        raise CostbasisError("no imported Bitcoin exchange labels; run `costbasis labels import FILE` first")
    cs = store.chain(name)   # the manifest read the views of `con` came from
    tip = cs.tip()
    if tip is None:
        raise CostbasisError(f"no blocks stored for chain {name}")
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
    probe = hash_probe(con)
    network = address_sql.chain_network(name, cs.meta)
    address_sql.register(con)
    try:
        with cs.derived("clusters").lock() as got_c, cs.derived("sweep").lock() as got_s:
            if not (got_c and got_s):
                raise CostbasisError(f"another `labels expand` is running on chain {name}; try again when it is done")
            t0 = time.perf_counter()
            materialize_exchange_labels(con)
            sw_state = _sweep(store, con, cs, tip, base_fp, probe)
            sds = cs.derived("sweep")
            register_files(con, "sweep_hits", sds.files(sw_state, "sweep_hits"), SWEEP_HITS)
            register_files(con, "spend_counts", sds.files(sw_state, "spend_counts"), SPEND_COUNTS)
            con.execute(sql_text("labels_sweep"), {"network": network})
            secs["sweep"] = time.perf_counter() - t0
            step(1)
            st = _cluster(store, con, cs, tip, cj_min_inputs, cj_min_equal, probe, secs)
            step(2)
            t0 = time.perf_counter()
            path, _ = _write_clusters(store, con, cs, st, name)
            secs["clusters_file"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.read_parquet(str(path)).create_view("clusters_new", replace=True)
        n_clusters = con.execute("SELECT count(DISTINCT cluster) FROM clusters_new").fetchall()[0][0]
        con.execute("CREATE OR REPLACE TEMP VIEW xlabels_all AS SELECT script, entity, address FROM xlabels "
                    "UNION ALL SELECT script, entity, address FROM sweep_labels")
        con.execute(sql_text("labels_cluster_propagate"), {"network": network})
        conflicts = con.execute("SELECT count(*) FROM cluster_entities WHERE n_entities > 1").fetchall()[0][0]
        counts_t = run(con, "labels_added")
        secs["propagate"] = time.perf_counter() - t0
        step(3)
    finally:
        if bar:
            bar.stop()
    t0 = time.perf_counter()
    rewrite_labels(store, con, "labels_write", {"chain": name})   # kept rows, then the new derived ones
    secs["labels_file"] = time.perf_counter() - t0
    return ExpandResult(counts=counts_t, clusters=int(n_clusters), addresses=st["n_ids"],
                        coinjoins_skipped=st["coinjoins"], conflicts=int(conflicts), seconds=secs, store=store, chain=name)
