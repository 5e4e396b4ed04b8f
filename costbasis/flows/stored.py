"""Flow tables derived once from the whole chain and kept in the cache, so queries never rescan it.

Three tables, written with Store.write_dataset as `flows/<chain>.<table>.parquet`:
- `exchange_txs`    one row per (tx, exchange entity, direction), sql/flows_exchange_txs.sql;
- `deposit_sources` per deposit candidate (exchange inflow tx with no exchange input): the source
                    wallet's balance just before the tx, its size and address (sql/whales_source_*.sql);
- `deposit_coins`   the deposited coins per (tx, created height), for age bands and cost basis.
A fourth file, `script_balances` (script -> received minus spent at the stored tip, zero balances
left out), is kept only to build from: extending by new blocks starts the source-wallet balances
from it and reads the new blocks only (sql/whales_source_balances.sql), then adds the new blocks'
outputs and subtracts their inputs (per-script deltas from sql/whales_script_balances.sql, merged into
the sorted file in place: _merge_balances). Queries never read it. A rollback or reorg below the
stored tip rebuilds it from scratch with the rest.
Queries (flows, whales) only filter and aggregate these; the threshold, the date range and the
prices are applied at query time, so one build serves every query.

Why this is exact: each row depends only on its own transaction and on blocks before it (a
balance "just before" a tx never sees later blocks). So the tables for tip H are the tables for
tip H-k plus the rows of blocks H-k+1..H: growing the chain appends, it never rewrites old rows.

Staleness. Every file records, in its Parquet schema metadata, the chain tip (height, hash from
ChainStore.tip()) it was built from, a fingerprint of the exchange labels and of the clusters
dataset, identical in the four files. On open:
- same tip, labels and clusters  -> used as is;
- chain grew and the recorded tip is still on the chain (same hash at that height) -> extended
  with the new blocks only;
- anything else (rollback or reorg below the recorded tip, new labels, new clusters, files
  from different builds, an older format) -> rebuilt from scratch.
Each file is written atomically by the store; a reader that finds files of two states (a writer
died between files) rebuilds, so a mix is never used. Content only depends on the inputs, so the
same chain and labels give byte-identical files.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.engine.db import register_arrow, sql_text
from costbasis.store import Store

KIND = "flows"
TABLES = ("exchange_txs", "deposit_sources", "deposit_coins")
META_KEY = b"costbasis.flows"
FORMAT = 2   # 2: + script_balances
BALANCES = "script_balances"
FILES = TABLES + (BALANCES,)
CLUSTERS_META = b"costbasis.clusters"   # content digest written by `labels expand`

EXCHANGE_TXS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("txid", pa.string()),
                          ("entity", pa.string()), ("direction", pa.string()), ("value", pa.int64()),
                          ("from_exchange", pa.bool_()), ("time", pa.int64())])
DEPOSIT_SOURCES = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("balance", pa.int64()),
                             ("cluster_size", pa.int64()), ("source_cluster", pa.string())])
DEPOSIT_COINS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("created_height", pa.int32()),
                           ("value", pa.int64())])
SCRIPT_BALANCES = pa.schema([("script", pa.binary()), ("balance", pa.int64())])
SCHEMAS = {"exchange_txs": EXCHANGE_TXS, "deposit_sources": DEPOSIT_SOURCES, "deposit_coins": DEPOSIT_COINS}


@dataclass
class FlowTables:
    tables: dict[str, pa.Table]
    state: dict
    action: str          # "fresh" | "extended" | "rebuilt" | "empty"
    seconds: float = 0.0
    steps: dict | None = None


def _name(chain: str, table: str) -> str:
    return f"{chain}.{table}"


def table_digest(table: pa.Table) -> str:
    """sha256 of a table's content (one Arrow IPC stream of its combined chunks): deterministic."""
    sink = pa.BufferOutputStream()
    t = table.replace_schema_metadata(None).combine_chunks()
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def labels_fingerprint(xlabels: pa.Table) -> str:
    """Digest of the (script, entity) pairs flows classify by, independent of row order."""
    return table_digest(xlabels.select(["script", "entity"]).sort_by([("script", "ascending"), ("entity", "ascending")]))


def clusters_fingerprint(store: Store, chain: str) -> str:
    """The content digest `labels expand` stamps on clusters/<chain>.parquet (file identity otherwise)."""
    path = store.dataset_path("clusters", chain)
    if not path.is_file():
        return "none"
    md = pq.read_schema(path).metadata or {}
    if CLUSTERS_META in md:
        return md[CLUSTERS_META].decode()
    st = path.stat()
    return f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def read_state(store: Store, chain: str) -> tuple[dict | None, dict[str, pa.Table] | None]:
    """(state, tables) of the stored build, or (None, None) when missing, partial or mixed."""
    states = []
    for t in FILES:
        path = store.dataset_path(KIND, _name(chain, t))
        if not path.is_file():
            return None, None
        try:
            md = pq.read_schema(path).metadata or {}
        except (pa.ArrowException, OSError):   # truncated or damaged: rebuilt, never trusted
            return None, None
        if META_KEY not in md:
            return None, None
        states.append(json.loads(md[META_KEY]))
    if any(s != states[0] for s in states) or states[0].get("format") != FORMAT:
        return None, None
    return states[0], None


class _Replaced(Exception):
    """A stored file no longer holds the state read a moment ago (another process rewrote it)."""


def _read_as_of(store: Store, chain: str, table: str, state: dict) -> pa.Table:
    """The stored `table`, checked to carry `state` in its own metadata: each file is renamed into
    place whole, so this makes the tables of one query come from one build, even if another process
    rewrites them between our reads."""
    try:
        tbl = pq.read_table(store.dataset_path(KIND, _name(chain, table)))
    except (pa.ArrowException, OSError):
        raise _Replaced from None
    md = tbl.schema.metadata or {}
    if META_KEY not in md or json.loads(md[META_KEY]) != state:
        raise _Replaced
    return tbl.replace_schema_metadata(None)


def _load(store: Store, chain: str, state: dict | None = None) -> dict[str, pa.Table]:
    state = state if state is not None else read_state(store, chain)[0]
    return {t: _read_as_of(store, chain, t, state).cast(SCHEMAS[t]) for t in TABLES}


def load_balances(store: Store, chain: str, state: dict | None = None) -> pa.Table:
    """The stored per-script balances at the stored tip (read only to extend)."""
    state = state if state is not None else read_state(store, chain)[0]
    return _read_as_of(store, chain, BALANCES, state).cast(SCRIPT_BALANCES)


def _write(store: Store, chain: str, tables: dict[str, pa.Table], state: dict, balances: pa.Table) -> None:
    md = {META_KEY: json.dumps(state, sort_keys=True).encode()}
    files = dict(tables, **{BALANCES: balances})
    schemas = dict(SCHEMAS, **{BALANCES: SCRIPT_BALANCES})
    for t in FILES:
        try:
            store.write_dataset(KIND, _name(chain, t), files[t].cast(schemas[t]).replace_schema_metadata(md))
        except OSError:   # read-only cache: the query still works, it just is not kept
            return


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pa.Table:
    import warnings
    res = con.execute(sql, params or {})
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
    with warnings.catch_warnings():  # as engine.db.run: DuckDB 2.x warns that this path copies
        warnings.simplefilter("ignore", UserWarning)
        return fetch()


def build_range(con: duckdb.DuckDBPyConnection, h_from: int, h_to: int, base: pa.Table | None = None,
                steps: dict | None = None) -> tuple[dict[str, pa.Table], pa.Table]:
    """The three tables for the transactions of heights [h_from, h_to], and every script's balance at
    h_to (seconds per step into `steps`).

    Needs the chain views, `xlabels` and `clusters`. `base` = the script balances at h_from - 1
    (None: h_from must be 0); only blocks [h_from, h_to] are read.
    """
    if base is None:
        if h_from != 0:
            raise ValueError("build_range: balances at h_from - 1 are needed to start past height 0")
        base = SCRIPT_BALANCES.empty_table()
    register_arrow(con, "balances_base", base)
    import time
    steps = {} if steps is None else steps
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now
    con.execute(sql_text("flows_exchange_txs"), {"h_lo": h_from, "h_hi": h_to})
    lap("exchange_txs")
    con.execute(sql_text("whales_source_keys"), {"h_from": h_from, "h_to": h_to})
    lap("source_keys")
    sources = _fetch(con, sql_text("whales_source_balances"), {"h_from": h_from, "h_to": h_to})
    lap("source_balances")
    coins = _fetch(con, sql_text("whales_deposit_coins"), {"h_from": h_from, "h_to": h_to})
    lap("deposit_coins")
    if base.num_rows:
        balances = _merge_balances(con, base, h_from, h_to)
    else:
        balances = _fetch(con, sql_text("whales_script_balances"), {"h_from": h_from, "h_to": h_to})
    lap("script_balances")
    # ordered, so an extended table is the full build's table row for row (and files are reproducible)
    xt = _fetch(con, "SELECT height, tx_index, txid, entity, direction, value, from_exchange, time FROM exchange_txs "
                     "ORDER BY height, tx_index, entity, direction")
    con.execute("DROP TABLE exchange_txs; DROP TABLE dep_keys")   # the stored tables take these names
    con.execute("DROP VIEW IF EXISTS balances_base")
    con.unregister("__arrow_balances_base")   # register_arrow's name: frees the base balances
    return ({"exchange_txs": xt.cast(EXCHANGE_TXS), "deposit_sources": sources.cast(DEPOSIT_SOURCES),
             "deposit_coins": coins.cast(DEPOSIT_COINS)}, balances.cast(SCRIPT_BALANCES))


def _prefix_keys(scripts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """uint64 of each script's first 8 bytes (zero-padded), big-endian: a non-strict order key that
    agrees with byte-wise order, so numpy.searchsorted can bracket a script's place in a sorted column."""
    chunks = scripts.chunks if isinstance(scripts, pa.ChunkedArray) else [scripts]
    out = []
    for arr in chunks:
        arr = arr.cast(pa.large_binary())
        n = len(arr)
        offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset: arr.offset + n + 1]
        data = np.frombuffer(arr.buffers()[2], np.uint8) if arr.buffers()[2] is not None else np.zeros(1, np.uint8)
        if data.size == 0:
            data = np.zeros(1, np.uint8)
        start, length = offsets[:-1], offsets[1:] - offsets[:-1]
        key = np.zeros(n, np.uint64)
        for k in range(8):
            byte = np.where(length > k, data[np.minimum(start + k, data.size - 1)], 0).astype(np.uint64)
            key = (key << np.uint64(8)) | byte
        out.append(key)
    return np.concatenate(out) if out else np.zeros(0, np.uint64)


class _Column:
    """Sequence view of an Arrow column, for bisect over a narrow range without converting it."""
    def __init__(self, col):
        self.col = col

    def __len__(self):
        return len(self.col)

    def __getitem__(self, i):
        return self.col[i].as_py()


def _merge_balances(con: duckdb.DuckDBPyConnection, base: pa.Table, h_from: int, h_to: int) -> pa.Table:
    """The balances at h_to from `base` (sorted by script, balances at h_from - 1) and blocks
    [h_from, h_to] only: the same table sql/whales_script_balances.sql gives, without re-aggregating
    or re-sorting the base (the new blocks' scripts are updated in place or inserted at their place)."""
    register_arrow(con, "balances_base", SCRIPT_BALANCES.empty_table())
    delta = _fetch(con, sql_text("whales_script_balances"), {"h_from": h_from, "h_to": h_to})
    register_arrow(con, "merge_base", base.append_column("idx", pa.array(np.arange(base.num_rows, dtype=np.int64))))
    register_arrow(con, "merge_delta", delta)
    found = _fetch(con, "SELECT d.script, d.balance, b.idx FROM merge_delta d "
                        "LEFT JOIN merge_base b ON b.script = d.script")
    for v in ("balances_base", "merge_base", "merge_delta"):
        con.execute(f"DROP VIEW {v}")
        con.unregister(f"__arrow_{v}")
    idx = found["idx"]
    vals = base["balance"].to_numpy().copy()
    np.add.at(vals, idx.filter(pc.is_valid(idx)).to_numpy(), found["balance"].filter(pc.is_valid(idx)).to_numpy())
    new = found.filter(pc.invert(pc.is_valid(idx))).select(["script", "balance"])
    new_scripts = new["script"].to_pylist()
    order = sorted(range(len(new_scripts)), key=new_scripts.__getitem__)
    new = new.take(pa.array(order, pa.int64()))
    new_scripts = [new_scripts[i] for i in order]
    # place of each new script in the sorted base: bracket by 8-byte prefix, then compare bytes
    bkey, nkey = _prefix_keys(base["script"]), _prefix_keys(new["script"])
    lo, hi = np.searchsorted(bkey, nkey, "left"), np.searchsorted(bkey, nkey, "right")
    col = _Column(base["script"])
    ins = np.array([a if a == b else bisect.bisect_left(col, s_, a, b)
                    for a, b, s_ in zip(lo.tolist(), hi.tolist(), new_scripts)], np.int64)
    n, m = base.num_rows, new.num_rows
    at_new = ins + np.arange(m, dtype=np.int64)
    perm = np.empty(n + m, np.int64)
    is_base = np.ones(n + m, bool)
    is_base[at_new] = False
    perm[is_base] = np.arange(n, dtype=np.int64)
    perm[at_new] = n + np.arange(m, dtype=np.int64)
    merged_vals = np.concatenate([vals, new["balance"].to_numpy()])[perm]
    keep = np.flatnonzero(merged_vals != 0)
    scripts = pa.chunked_array(list(base["script"].chunks) + list(new["script"].chunks), pa.binary())
    return pa.table({"script": scripts.take(pa.array(perm[keep])), "balance": merged_vals[keep]},
                    schema=SCRIPT_BALANCES)


def script_balances_at(con: duckdb.DuckDBPyConnection, h_to: int) -> pa.Table:
    """Every script's balance at h_to, from scratch (one pass over blocks <= h_to; for checks and the bench)."""
    register_arrow(con, "balances_base", SCRIPT_BALANCES.empty_table())
    out = _fetch(con, sql_text("whales_script_balances"), {"h_from": 0, "h_to": h_to})
    con.execute("DROP VIEW balances_base")
    con.unregister("__arrow_balances_base")
    return out.cast(SCRIPT_BALANCES)


def _chain_hash_at(store: Store, con, chain: str, height: int) -> str | None:
    cs = store.chain(chain)
    tip = cs.tip()
    if tip and tip[0] == height:
        return tip[1]
    h = cs.hash_at(height)
    if h is not None:
        return h
    row = next(iter(con.execute("SELECT hash FROM blocks WHERE height = ?", [height]).fetchall()), None)
    return row[0] if row else None


def flow_tables(store: Store, con: duckdb.DuckDBPyConnection, chain: str, xlabels: pa.Table,
                write: bool = True) -> FlowTables:
    """The stored flow tables of `chain`, brought up to the chain tip first (extended or rebuilt).

    `con` has the chain views (engine.db.connect) and `xlabels` registered; `clusters` is
    registered here, only when something has to be built.
    """
    import time
    t0 = time.perf_counter()
    cs = store.chain(chain)   # the manifest read that the views of `con` came from
    tip = cs.tip()
    want = {"format": FORMAT, "labels": labels_fingerprint(xlabels),
            "clusters": clusters_fingerprint(store, chain)}
    if tip is None:
        return FlowTables({t: SCHEMAS[t].empty_table() for t in TABLES}, dict(want, height=None), "empty")
    state, _ = read_state(store, chain)
    same_inputs = (state is not None and all(state.get(k) == v for k, v in want.items())
                   and state["height"] is not None and state.get("files") == cs.file_set(state["height"]))
    if same_inputs and state["height"] > tip[0]:
        write = False   # built by a reader that saw a later commit: keep it, build ours in memory
    try:
        if same_inputs and state["height"] == tip[0] and state["hash"] == tip[1]:
            return FlowTables(_load(store, chain, state), state, "fresh", time.perf_counter() - t0)
        extend = (same_inputs and state["height"] < tip[0]
                  and _chain_hash_at(store, con, chain, state["height"]) == state["hash"])
        base = load_balances(store, chain, state) if extend else None
        old = _load(store, chain, state) if extend else None
    except _Replaced:   # rewritten under us: build from the chain alone
        extend, base, old = False, None, None
    _register_clusters(store, con, chain)
    h_from = state["height"] + 1 if extend else 0
    steps: dict = {}
    new, balances = build_range(con, h_from, tip[0], base, steps)
    if extend:
        new = {t: pa.concat_tables([old[t], new[t]]) for t in TABLES}
    state = dict(want, height=tip[0], hash=tip[1], files=cs.file_set(tip[0]))
    if write:
        _write(store, chain, new, state, balances)
    return FlowTables(new, state, "extended" if extend else "rebuilt", time.perf_counter() - t0, steps)


def _register_clusters(store: Store, con, chain: str) -> None:
    cl = store.read_dataset("clusters", chain)
    cols = [("script", pa.binary()), ("cluster", pa.int64()), ("address", pa.string())]
    schema = pa.schema(cols)
    register_arrow(con, "clusters", cl.select(schema.names).replace_schema_metadata(None).cast(schema)
                   if cl is not None else schema.empty_table())
