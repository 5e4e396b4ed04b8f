"""Flow tables derived from the chain and kept in the cache, so queries never rescan it.

A DerivedSet (costbasis/store/derived.py) at `<cache>/<chain>/_derived/flows/`: state.json plus, per
table, one segment file per height range (the same ranges for every table):
- `exchange_txs`    one row per (tx, exchange entity, direction), sql/flows_exchange_txs.sql;
- `deposit_sources` per deposit candidate (exchange inflow tx with no exchange input): the source
                    wallet's balance just before the tx, its size and address (sql/whales_source_*.sql;
                    the address formatted from the key script, sql/whales_key_addresses.sql);
- `deposit_coins`   the deposited coins per (tx, created height), for age bands and cost basis;
- `balance_deltas`  per script, the change of its balance over the segment's blocks (key = a 64-bit
                    hash of the script, computed once by DuckDB; the script kept beside it, so a
                    collision can never merge two scripts). Their sum over all segments is every
                    script's balance at the stored tip: the base a later range starts from.
- `balance_index`   per balance segment, its sorted keys, second keys and deltas as raw int64 arrays
                    (costbasis/flows/balance_index.py), memory-mapped: a wallet's base balance is a
                    binary search per member script and segment, never a scan of the stored changes.
Queries (flows, whales) only filter and aggregate the first three; the threshold, the date range and
the prices are applied at query time, so one build serves every query.

Why base plus delta is exact: each row depends only on its own transaction and on blocks before it
(a balance "just before" a tx never sees later blocks). So the tables for tip H are the tables for
tip H-k plus the rows of blocks H-k+1..H: growing the chain appends a segment, never rewrites old
rows; extending reads the new blocks and, for the new deposits' wallets only, their members' stored
balance changes (binary searches in the memory-mapped indexes: cost of the members, not the chain). The chain is built in steps of at most STEP_BLOCKS blocks (4,096: ~11 M mainnet txs), each committed,
so DuckDB's working set is one step's (spilling under the memory limit); nothing goes through Python.
Segments are merged like a binary counter (the newest two when the newer spans at least as many
blocks), so a chain extended every day keeps O(log) files per table; merging writes with DuckDB.

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
  computed (_redo_labels). The balances do not depend on the labels and are kept. A change of more
  than LABEL_REDO_MAX of all labelled scripts rebuilds instead;
- new clusters (`labels expand`), recorded tip still on the chain -> only deposit_sources is
  rewritten, range by range (its stored exchange txs, the deposits' inputs and the source wallets'
  members' events in that range, base balances from the indexes); exchange_txs, deposit_coins and the
  balances are kept. New labels and clusters are committed once, together, then the state extended as
  above (kill -9: redone next call);
- anything else (rollback or reorg below the recorded tip, a damaged or
  foreign file, an older format) -> rebuilt from scratch, the old state published until the new
  state.json replaces it. A state ahead of the reader's snapshot is never overwritten: that reader
  builds privately in a temporary folder.
Files are written to a temp name and renamed, never under a name a published state used, and the
previous state's files outlive one more commit, so a reader that loaded a state reads that state's
rows even if another process commits meanwhile; kill -9 at any moment leaves the last commit usable.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.bitcoin import address_sql
from costbasis.engine.db import files_view, hash_probe, register_arrow, sql_text
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.flows.balance_index import index_ok, member_balances, write_index
from costbasis.store import Store
from costbasis.labels.dataset import materialize_exchange_labels
from costbasis.store.digest import clusters_fingerprint
from costbasis.store.atomic import _atomic_write
from costbasis.store.derived import DerivedSet

KIND = "flows"            # the DerivedSet name: <cache>/<chain>/_derived/flows/
TABLES = ("exchange_txs", "deposit_sources", "deposit_coins")
META_KEY = b"costbasis.flows"
FORMAT = 5   # 5: labels stamped per segment, balances unstamped by labels, the labels snapshot (4: + key indexes)
BALANCES = "balance_deltas"
INDEX = "balance_index"   # raw int64 arrays beside each balance segment (balance_index.py)
FILES = TABLES + (BALANCES, INDEX)
SOURCES = "deposit_sources"   # the one table that depends on the clusters
LABELED = TABLES          # the tables that depend on the labels (not the balances: chain only)
LABELS = "xlabels"        # the (script, entity) labels the state was built for: what a label change is diffed against
# A label change rewrites the affected segments' labelled tables in place unless more than this share
# of all labelled scripts (old or new) changed: then most exchange rows change anyway, and a rebuild
# (which also compacts the per-segment label stamps) costs little more.
LABEL_REDO_MAX = 0.5
STEP_BLOCKS = 4096        # blocks per build step, each committed (a kill -9 keeps the steps done)
ROW_GROUP = 16384

EXCHANGE_TXS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("txid", pa.string()),
                          ("entity", pa.string()), ("direction", pa.string()), ("value", pa.int64()),
                          ("from_exchange", pa.bool_()), ("time", pa.int64())])
DEPOSIT_SOURCES = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("balance", pa.int64()),
                             ("cluster_size", pa.int64()), ("source_cluster", pa.string())])
DEPOSIT_COINS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("created_height", pa.int32()),
                           ("value", pa.int64())])
BALANCE_DELTAS = pa.schema([("key", pa.uint64()), ("script", pa.binary()), ("delta", pa.int64())])
SCRIPT_BALANCES = pa.schema([("script", pa.binary()), ("balance", pa.int64())])
SCHEMAS = {"exchange_txs": EXCHANGE_TXS, "deposit_sources": DEPOSIT_SOURCES, "deposit_coins": DEPOSIT_COINS,
           BALANCES: BALANCE_DELTAS}
# how each segment is written: the casts give every file the same column types, the order makes
# a segment's file depend only on its rows
_SELECT = {
    "exchange_txs": "SELECT height::INTEGER AS height, tx_index::INTEGER AS tx_index, txid, entity, direction, "
                    "value::BIGINT AS value, from_exchange, time::BIGINT AS time FROM {src} "
                    "ORDER BY height, tx_index, entity, direction",
    "deposit_sources": "SELECT height::INTEGER AS height, tx_index::INTEGER AS tx_index, balance::BIGINT AS balance, "
                       "cluster_size::BIGINT AS cluster_size, source_cluster FROM {src} ORDER BY height, tx_index",
    "deposit_coins": "SELECT height::INTEGER AS height, tx_index::INTEGER AS tx_index, "
                     "created_height::INTEGER AS created_height, value::BIGINT AS value FROM {src} "
                     "ORDER BY height, tx_index, created_height",
}


@dataclass
class FlowTables:
    tables: dict[str, list[Path]]     # segment files per table (views are made over them)
    state: dict
    action: str          # "fresh" | "extended" | "rebuilt" | "sources" (new clusters: deposit_sources redone)
    #                      | "labels" (new labels: the segments they touch redone, see _redo_labels) | "empty"
    seconds: float = 0.0
    steps: dict = field(default_factory=dict)


def derived_set(store: Store, chain: str) -> DerivedSet:
    return store.chain(chain).derived(KIND)


def _inputs(state: dict, table: str | None = None) -> dict:
    """What a table's rows depend on: the clusters only matter to deposit_sources (the source wallets),
    the labels not to the balances (sql/whales_balance_delta.sql reads outputs and inputs only)."""
    keys = ("format", "labels", "clusters", "probe") if table in (None, SOURCES) else ("format", "labels", "probe")
    return {k: state.get(k) for k in keys if k != "labels" or table is None or table in LABELED}


def _seg_labels(state: dict) -> list[str]:
    """Per segment, the labels fingerprint its labelled files are stamped with: a label change leaves the
    segments it does not touch as they were (their rows are the same under both labels)."""
    return state.get("seg_labels") or [state.get("labels")] * len(state.get("segments", []))


def _file_stamp(state: dict, lo: int, hi: int, table: str, labels: str | None = None) -> str:
    inputs = _inputs(state, table)
    if "labels" in inputs and labels is not None:
        inputs["labels"] = labels
    return json.dumps(dict(inputs, range=[lo, hi]), sort_keys=True)


def _stamps(state: dict, lo: int, hi: int) -> dict[str, str]:
    return {t: _file_stamp(state, lo, hi, t) for t in FILES}


def read_state(store: Store, chain: str, ds: DerivedSet | None = None) -> tuple[dict | None, None]:
    """(state, None) of the committed build, or (None, None) when missing, damaged or foreign: every
    segment file listed with its size (DerivedSet.load) and stamped for its range and inputs."""
    ds = ds or derived_set(store, chain)
    st = ds.load()
    if st is None or st.get("format") != FORMAT:
        return None, None
    segs = st.get("segments", [])
    for t in FILES:
        files = ds.files(st, t)
        if len(files) != len(segs):
            return None, None
        if t == INDEX:
            if not all(index_ok(b, f) for b, f in zip(ds.files(st, BALANCES), files)):
                return None, None
            continue
        for f, (lo, hi), lab in zip(files, segs, _seg_labels(st)):
            try:
                md = pq.read_schema(f).metadata or {}
            except (pa.ArrowException, OSError):   # truncated or damaged: rebuilt, never trusted
                return None, None
            if md.get(META_KEY, b"").decode() != _file_stamp(st, lo, hi, t, lab):
                return None, None
    return st, None


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pa.Table:
    import warnings
    res = con.execute(sql, params or {})
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
    with warnings.catch_warnings():  # as engine.db.run: DuckDB 2.x warns that this path copies
        warnings.simplefilter("ignore", UserWarning)
        return fetch()


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: dict, path: Path, stamp: str) -> None:
    """COPY (query) to `path` atomically (temp name beside it, renamed), stamped, fixed writer settings."""
    def write(tmp: str) -> None:
        con.execute("SET preserve_insertion_order = true")   # the ORDER BY is what makes files reproducible
        con.execute(f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP}, USE_TMP_FILE false, "
                    "KV_METADATA {'costbasis.flows': $stamp})", dict(params, path=tmp, stamp=stamp))
    _atomic_write(path, ".parquet", write)


def build_range(con: duckdb.DuckDBPyConnection, h_from: int, h_to: int, base_indexes: list[Path],
                out: dict[str, Path], stamps: dict[str, str], steps: dict | None = None,
                network: str = "main") -> None:
    """Write the five segment files of heights [h_from, h_to] to `out` (table -> path), stamped.

    Needs the chain views, `xlabels` and `clusters`; `network` formats the source wallets' addresses.
    `base_indexes`: the balance indexes of the segments of every block before h_from (none: h_from
    must be 0); only blocks [h_from, h_to] are read, and of the stored balances only the new deposits'
    wallets' members (binary searches).
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
    lap("exchange_txs")
    _source_keys(con, p, base_indexes, network)
    lap("source_keys")
    _write_sources(con, p, out[SOURCES], stamps[SOURCES])
    lap("source_balances")
    _copy(con, _SELECT["deposit_coins"].format(src="(" + _coins_query(con, p) + ")"), p, out["deposit_coins"],
          stamps["deposit_coins"])
    lap("deposit_coins")
    _copy(con, _query(con, "whales_balance_delta", p), p, out[BALANCES], stamps[BALANCES])
    write_index(con, out[BALANCES], out[INDEX])
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


def _source_keys(con, p: dict, base_indexes: list[Path], network: str) -> None:
    """Temp tables dep_keys, dep_key_addr (the keys' display addresses), dep_members and member_base
    (the wallets' balances before p["h_from"]) for the deposit candidates of temp table exchange_txs."""
    if not spark_hooks.create(con, "whales_source_keys", p):
        con.execute(sql_text("whales_source_keys"), p)
    address_sql.register(con)
    con.execute(sql_text("whales_key_addresses"), {"network": network})
    con.execute(sql_text("whales_source_members"))
    register_arrow(con, "member_base", member_balances(con, base_indexes))


def _write_sources(con, p: dict, out: Path, stamp: str) -> None:
    _copy(con, _SELECT[SOURCES].format(src="(" + _query(con, "whales_source_balances", p) + ")"), p, out, stamp)


def _drop_source_keys(con) -> None:
    con.execute("DROP TABLE dep_keys; DROP TABLE dep_key_addr; DROP TABLE dep_members; DROP VIEW member_base")
    con.unregister("__arrow_member_base")


def _redo_sources(con, ds: DerivedSet, state: dict, want: dict, files: dict, steps: dict, network: str) -> None:
    """New clusters: only deposit_sources depends on them, so only its segments are rewritten (names put
    in `files`), per stored range, from that range's stored exchange txs, its blocks' deposit inputs and
    members' events, and the balance indexes before it; exchange_txs, deposit_coins and the balances are kept."""
    t0 = time.perf_counter()
    gen = _next_gen(ds, state)
    for i, ((lo, hi), lab) in enumerate(zip(state["segments"], _seg_labels(state))):
        p = {"h_from": lo, "h_to": hi}
        con.execute("CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM read_parquet($f)",
                    {"f": str(ds.path / files["exchange_txs"][i])})
        _source_keys(con, p, [ds.path / f for f in files[INDEX][:i]], network)
        out = ds.path / f"{SOURCES}-{gen:08d}-{i}.parquet"
        _write_sources(con, p, out, _file_stamp(want, lo, hi, SOURCES, lab))
        files[SOURCES][i] = out.name
        con.execute("DROP TABLE exchange_txs")
        _drop_source_keys(con)
    steps["sources"] = steps.get("sources", 0.0) + time.perf_counter() - t0


def _write_labels(con, ds: DerivedSet, gen: int, fingerprint: str) -> str:
    """The labels of view `xlabels` as (script, entity) beside the segments: what the next label change
    is diffed against (the labels dataset itself is replaced by then)."""
    out = ds.path / f"{LABELS}-{gen:08d}-0.parquet"
    _copy(con, "SELECT script, entity FROM xlabels ORDER BY script, entity", {}, out, fingerprint)
    return out.name


def _changed_scripts(con, ds: DerivedSet, state: dict) -> bool:
    """Temp table label_changed (script): every script whose label was added, removed or moved to another
    entity since `state` was built. False (rebuild instead) when the stored labels are missing or not the
    state's, or when the change is too large (LABEL_REDO_MAX)."""
    old = ds.files(state, LABELS)
    try:
        if len(old) != 1 or (pq.read_schema(old[0]).metadata or {}).get(META_KEY, b"").decode() != state["labels"]:
            return False
    except (pa.ArrowException, OSError):
        return False
    con.execute("CREATE OR REPLACE TEMP TABLE label_changed AS "
                "SELECT coalesce(o.script, n.script) AS script, o.entity IS DISTINCT FROM n.entity AS changed "
                "FROM read_parquet($f) o FULL JOIN xlabels n ON o.script = n.script", {"f": str(old[0])})
    n_changed, n_all = con.execute("SELECT count(*) FILTER (WHERE changed), count(*) FROM label_changed").fetchone()
    con.execute("DELETE FROM label_changed WHERE NOT changed")
    return n_changed <= LABEL_REDO_MAX * n_all


def _redo_labels(con, ds: DerivedSet, state: dict, want: dict, files: dict, steps: dict, network: str,
                 sources: bool = True) -> list[str] | None:
    """New labels: per stored range, its exchange txs under the new labels (one pass over the range, as
    finding the txs that touch a changed script would take); a range where none changed keeps its files.
    Elsewhere only the txs whose deposit-candidate status changed are redone: the dropped candidates'
    deposit rows removed, the new ones' computed (their rows depend on their own tx, the clusters and the
    balances only, sql/whales_source_*.sql) and the other rows kept. The balances never depend on the
    labels: kept. `sources` False: deposit_sources is left to _redo_sources (new clusters rewrite it
    whole). Puts the rewritten files' names in `files`; returns the new per-segment label stamps, or None
    when a rebuild is due (see _changed_scripts)."""
    t0 = time.perf_counter()
    if not _changed_scripts(con, ds, state):
        return None
    gen = _next_gen(ds, state)
    seg_labels = list(_seg_labels(state))
    rewritten = 0
    cand = "SELECT DISTINCT height, tx_index FROM {} WHERE direction = 'in' AND NOT from_exchange"
    for i, (lo, hi) in enumerate(state["segments"]):
        old = {t: str(ds.path / files[t][i]) for t in LABELED}
        touched = con.execute("SELECT EXISTS (SELECT 1 FROM outputs o SEMI JOIN label_changed c ON o.script = c.script "
                              "WHERE o.height BETWEEN $lo AND $hi) OR EXISTS (SELECT 1 FROM inputs i SEMI JOIN "
                              "label_changed c ON i.script = c.script WHERE i.height BETWEEN $lo AND $hi)",
                              {"lo": lo, "hi": hi}).fetchone()[0]
        if not touched:
            continue
        _exchange_txs(con, lo, hi)
        con.execute("CREATE OR REPLACE TEMP TABLE xt_new AS SELECT * FROM exchange_txs; DROP TABLE exchange_txs")
        same = con.execute("SELECT NOT EXISTS (SELECT * FROM xt_new EXCEPT ALL SELECT * FROM read_parquet($f)) AND "
                           "NOT EXISTS (SELECT * FROM read_parquet($f) EXCEPT ALL SELECT * FROM xt_new)",
                           {"f": old["exchange_txs"]}).fetchone()[0]
        if same:
            con.execute("DROP TABLE xt_new")
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE cand_gone AS {cand.format('read_parquet($f)')} "
                    f"EXCEPT {cand.format('xt_new')}", {"f": old["exchange_txs"]})
        con.execute(f"CREATE OR REPLACE TEMP TABLE exchange_txs AS SELECT * FROM xt_new SEMI JOIN "
                    f"({cand.format('xt_new')} EXCEPT {cand.format('read_parquet($f)')}) a USING (height, tx_index)",
                    {"f": old["exchange_txs"]})
        p = {"h_from": lo, "h_to": hi}
        _source_keys(con, p, [ds.path / f for f in files[INDEX][:i]], network)   # the new candidates' wallets only
        out = _names(ds, gen, i)
        srcs = {"exchange_txs": "xt_new", SOURCES: "(" + _query(con, "whales_source_balances", p) + ")",
                "deposit_coins": "(" + _coins_query(con, p) + ")"}
        for t in LABELED if sources else ("exchange_txs", "deposit_coins"):
            rows = srcs[t] if t == "exchange_txs" else (
                f"(SELECT * FROM read_parquet($f_old) ANTI JOIN cand_gone USING (height, tx_index) "
                f"UNION ALL SELECT * FROM {srcs[t]})")
            _copy(con, _SELECT[t].format(src=rows), dict(p, f_old=old[t]) if t != "exchange_txs" else {},
                  out[t], _file_stamp(want, lo, hi, t))
            files[t][i] = out[t].name
        seg_labels[i] = want["labels"]
        rewritten += 1
        con.execute("DROP TABLE exchange_txs; DROP TABLE xt_new; DROP TABLE cand_gone")
        _drop_source_keys(con)
    con.execute("DROP TABLE label_changed")
    steps["labels"] = steps.get("labels", 0.0) + time.perf_counter() - t0
    steps["label_segments"] = rewritten
    return seg_labels


def _redo(con, ds: DerivedSet, state: dict, want: dict, relabel: bool, sources: bool, steps: dict,
          network: str) -> dict | None:
    """The stored segments brought to new labels and/or clusters, committed once (kill -9: redone next
    call); None when a rebuild is due instead."""
    files = {t: [f.name for f in ds.files(state, t)] for t in FILES + (LABELS,)}
    seg_labels = _seg_labels(state)
    if relabel:
        seg_labels = _redo_labels(con, ds, state, want, files, steps, network, sources=not sources)
        if seg_labels is None:
            return None
        files[LABELS] = [_write_labels(con, ds, _next_gen(ds, state), want["labels"])]
    if sources:
        _redo_sources(con, ds, dict(state, seg_labels=seg_labels), want, files, steps, network)
    new_state = {k: v for k, v in state.items() if k not in ("tables", "sizes", "previous")}
    return ds.commit(dict(new_state, **want, seg_labels=seg_labels, gen=_next_gen(ds, state)), lists=files,
                     keep_previous=True)


def _merge(con, ds: DerivedSet, a: dict[str, Path], b: dict[str, Path], out: dict[str, Path],
           stamps: dict[str, str]) -> None:
    """Two adjacent segments (a before b) as one, written by DuckDB."""
    for t in TABLES + (BALANCES,):
        files_view(con, "merge_parts", [a[t], b[t]], SCHEMAS[t])
        if t == BALANCES:
            con.execute("CREATE OR REPLACE TEMP VIEW balance_parts AS SELECT * FROM merge_parts")
            _copy(con, sql_text("whales_balance_merge").rstrip().rstrip(";"), {}, out[t], stamps[t])
            con.execute("DROP VIEW balance_parts")
        else:
            _copy(con, _SELECT[t].format(src="merge_parts"), {}, out[t], stamps[t])
        con.execute("DROP VIEW merge_parts")
    write_index(con, out[BALANCES], out[INDEX])


def script_balances_at(con: duckdb.DuckDBPyConnection, h_to: int) -> pa.Table:
    """Every script's balance at h_to, from scratch (one pass over blocks <= h_to; for checks and the bench)."""
    register_arrow(con, "balances_base", SCRIPT_BALANCES.empty_table())
    out = _fetch(con, sql_text("whales_script_balances"), {"h_from": 0, "h_to": h_to})
    con.execute("DROP VIEW balances_base")
    con.unregister("__arrow_balances_base")
    return out.cast(SCRIPT_BALANCES)


def _merge_balances(con: duckdb.DuckDBPyConnection, base: pa.Table, h_from: int, h_to: int) -> pa.Table:
    """`base` (script, balance at h_from - 1) plus blocks [h_from, h_to], sorted by script (small
    tables: tests and the bench; the store keeps balance changes per segment instead)."""
    register_arrow(con, "balances_base", base.select(["script", "balance"]))
    out = _fetch(con, sql_text("whales_script_balances"), {"h_from": h_from, "h_to": h_to})
    con.execute("DROP VIEW balances_base")
    con.unregister("__arrow_balances_base")
    return out.cast(SCRIPT_BALANCES)


def load_balances(store: Store, chain: str, state: dict | None = None) -> pa.Table:
    """Every script's balance at the stored tip, summed over the segments (for tests and the bench:
    it is the one place the balances come into Arrow whole)."""
    ds = derived_set(store, chain)
    state = state if state is not None else read_state(store, chain)[0]
    con = duckdb.connect()
    files_view(con, "balance_parts", ds.files(state, BALANCES), BALANCE_DELTAS)
    return _fetch(con, "SELECT script, sum(delta)::BIGINT AS balance FROM balance_parts GROUP BY script "
                       "HAVING sum(delta) <> 0 ORDER BY script").cast(SCRIPT_BALANCES)


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


def _files_of(ds: DerivedSet, state: dict) -> dict[str, list[Path]]:
    return {t: ds.files(state, t) for t in TABLES}


def _next_gen(ds: DerivedSet, state: dict | None) -> int:
    """Above every generation a file in the folder was ever named with, published or not."""
    gens = [int(f.name.split("-")[1]) for f in ds.path.glob("*-*-*.*") if f.name.split("-")[1].isdigit()]
    return max(gens + [(state or {}).get("gen", 0)]) + 1


def _names(ds: DerivedSet, gen: int, k: int) -> dict[str, Path]:
    return {t: ds.path / f"{t}-{gen:08d}-{k}{'.i64' if t == INDEX else '.parquet'}" for t in FILES}


def _grow(store: Store, con, chain: str, ds: DerivedSet, state: dict | None, want: dict,
          h_to: int, steps: dict) -> dict:
    """Extend `state` (None: from scratch) to height h_to, one committed step at a time."""
    cs = store.chain(chain)
    network = address_sql.chain_network(chain, cs.meta)
    segs = [tuple(s) for s in state["segments"]] if state else []
    seg_labels = _seg_labels(state) if state else []
    files = {t: [f.name for f in ds.files(state, t)] for t in FILES + (LABELS,)} if state else {t: [] for t in FILES}
    h = segs[-1][1] + 1 if segs else 0
    fresh = state is None
    gen = _next_gen(ds, state)
    if fresh:
        files[LABELS] = [_write_labels(con, ds, gen, want["labels"])]
    while h <= h_to:
        hi = min(h + STEP_BLOCKS - 1, h_to)
        out = _names(ds, gen, 0)
        build_range(con, h, hi, [ds.path / f for f in files[INDEX]], out, _stamps(want, h, hi), steps, network)
        segs.append((h, hi))
        seg_labels.append(want["labels"])
        for t in FILES:
            files[t].append(out[t].name)
        k = 1
        t0 = time.perf_counter()
        # binary counter: merge the newest two while the newer spans at least as many blocks
        while len(segs) >= 2 and segs[-1][1] - segs[-1][0] >= segs[-2][1] - segs[-2][0]:
            lo2, hi2 = segs[-2][0], segs[-1][1]
            merged = _names(ds, gen, k)
            _merge(con, ds, {t: ds.path / files[t][-2] for t in FILES}, {t: ds.path / files[t][-1] for t in FILES},
                   merged, _stamps(want, lo2, hi2))
            segs[-2:] = [(lo2, hi2)]
            seg_labels[-2:] = [want["labels"]]
            for t in FILES:
                files[t][-2:] = [merged[t].name]
            k += 1
        steps["merge"] = steps.get("merge", 0.0) + time.perf_counter() - t0
        tip_hash = _chain_hash_at(store, con, chain, hi)
        new_state = dict(want, height=hi, hash=tip_hash, tip=[hi, tip_hash], files=cs.file_set(hi),
                         segments=[list(s) for s in segs], seg_labels=seg_labels, gen=gen)
        state = ds.commit(new_state, lists=files, fresh=fresh, keep_previous=True)
        fresh = False
        gen += 1
        h = hi + 1
    return state


_private: list[Path] = []


def _private_set() -> DerivedSet:
    """A DerivedSet in a temporary folder, for a build that must not (or cannot) be kept."""
    d = Path(tempfile.mkdtemp(prefix="costbasis-flows-"))
    if not _private:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _private])
    _private.append(d)
    return DerivedSet(d)


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
        return FlowTables({t: [] for t in TABLES}, dict(want, height=None), "empty")
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
        # (_redo_labels, _redo_sources), then extend; anything else is rebuilt
        same = on_chain and all(state.get(k) == want[k] for k in ("format", "probe"))
        relabel = same and state["labels"] != want["labels"]
        sources = same and state["clusters"] != want["clusters"]
        _register_clusters(store, con, chain)
        materialize_exchange_labels(con)   # joined at every step: read once
        try:
            with spark_hooks.flows_build(store, chain, con):
                if relabel or sources:
                    state = _redo(con, ds, state, want, relabel, sources, steps,
                                  address_sql.chain_network(chain, cs.meta))
                ok = on_chain and state is not None and _inputs(state) == want
                if not ok or state["height"] < tip[0]:
                    state = _grow(store, con, chain, ds, state if ok else None, want, tip[0], steps)
        except OSError:   # read-only or full cache: the query still works, it just is not kept
            return _build_private(store, con, chain, want, tip, t0)
    action = ("rebuilt" if not ok else "labels" if relabel else "sources" if sources
              else "extended" if extend else "rebuilt")
    return FlowTables(_files_of(ds, state), state, action, time.perf_counter() - t0, steps)


def _build_private(store, con, chain, want, tip, t0) -> FlowTables:
    ds = _private_set()
    _register_clusters(store, con, chain)
    materialize_exchange_labels(con)
    steps: dict = {}
    state = _grow(store, con, chain, ds, None, want, tip[0], steps)
    return FlowTables(_files_of(ds, state), state, "rebuilt", time.perf_counter() - t0, steps)


def _register_clusters(store: Store, con, chain: str) -> None:
    """View `clusters` (script, cluster) over clusters/<chain>.parquet (read by DuckDB as it joins, never
    whole into Arrow; its address column, if any, is not needed: addresses are formatted from scripts)."""
    path = store.dataset_path("clusters", chain)
    schema = pa.schema([("script", pa.binary()), ("cluster", pa.int64())])
    if path.is_file():
        con.read_parquet(str(path)).select("script, cluster::BIGINT AS cluster").create_view("clusters", replace=True)
    else:
        register_arrow(con, "clusters", schema.empty_table())


def register(con: duckdb.DuckDBPyConnection, ft: FlowTables) -> None:
    """Views exchange_txs, deposit_sources, deposit_coins over the segment files of `ft`."""
    for t in TABLES:
        files_view(con, t, ft.tables[t], SCHEMAS[t])
