"""The committed flow-table state and whether to trust it (the recovery half of flows/stored/):
what each segment file depends on, the stamps it must carry, the state.json a reader may use, and
the names of new files. Nothing here writes a segment."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.engine.db import hash_at
from costbasis.flows.balance_index import index_stamp
from costbasis.store import Store
from costbasis.store.derived import DerivedSet

KIND = "flows"            # the DerivedSet name: <cache>/<chain>/_derived/flows/
TABLES = ("exchange_txs", "deposit_sources", "deposit_coins")
META_KEY = b"costbasis.flows"
FORMAT = 8   # 8: balance changes in the stamped indexes alone (no Parquet copy); 7: + exchange_hours;
#            6: the indexes' second key hashed afresh (engine/db.KEY2_SQL); 5: labels stamped per segment,
#            balances unstamped by labels, the labels snapshot; 4: + key indexes
INDEX = "balance_index"   # per segment, every script's balance change: raw int64 arrays (balance_index.py)
HOURS = "exchange_hours"  # exchange_txs per hour (sql/flows_hours.sql of the segment's exchange_txs file)
FILES = TABLES + (INDEX, HOURS)
VIEWS = TABLES + (HOURS,)  # what queries read
SOURCES = "deposit_sources"   # the one table that depends on the clusters
LABELED = TABLES + (HOURS,)   # the tables that depend on the labels (not the balances: chain only)
LABELS = "xlabels"        # the (script, entity) labels the state was built for: what a label change is diffed against
# A label change rewrites the affected segments' labelled tables in place unless more than this share
# of all labelled scripts (old or new) changed: then most exchange rows change anyway, and a rebuild
# (which also compacts the per-segment label stamps) costs little more.
LABEL_REDO_MAX = 0.5
ROW_GROUP = 16384

EXCHANGE_TXS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("txid", pa.string()),
                          ("entity", pa.string()), ("direction", pa.string()), ("value", pa.int64()),
                          ("from_exchange", pa.bool_()), ("time", pa.int64())])
DEPOSIT_SOURCES = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("balance", pa.int64()),
                             ("cluster_size", pa.int64()), ("source_cluster", pa.string())])
DEPOSIT_COINS = pa.schema([("height", pa.int32()), ("tx_index", pa.int32()), ("created_height", pa.int32()),
                           ("value", pa.int64())])
EXCHANGE_HOURS = pa.schema([("hour", pa.int64()), ("entity", pa.string()), ("direction", pa.string()),
                            ("value", pa.int64()), ("txs", pa.int64()), ("top10", pa.list_(pa.int64()))])
SCRIPT_BALANCES = pa.schema([("script", pa.binary()), ("balance", pa.int64())])
SCHEMAS = {"exchange_txs": EXCHANGE_TXS, "deposit_sources": DEPOSIT_SOURCES, "deposit_coins": DEPOSIT_COINS,
           HOURS: EXCHANGE_HOURS}


@dataclass
class FlowTables:
    tables: dict[str, list[Path]]     # segment files per table (views are made over them)
    state: dict
    action: str          # "fresh" | "extended" | "rebuilt" | "sources" (new clusters: deposit_sources redone)
    #                      | "labels" (new labels: the segments they touch redone, see redo._redo_segments) | "empty"
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


def _seg_clusters(state: dict) -> list[str]:
    """Per segment, the clusters fingerprint its deposit_sources file is stamped with: new clusters leave
    the segments none of whose deposits has an input in a changed cluster as they were (redo.py)."""
    return state.get("seg_clusters") or [state.get("clusters")] * len(state.get("segments", []))


def _file_stamp(state: dict, lo: int, hi: int, table: str, labels: str | None = None,
                clusters: str | None = None) -> str:
    inputs = _inputs(state, table)
    if "labels" in inputs and labels is not None:
        inputs["labels"] = labels
    if "clusters" in inputs and clusters is not None:
        inputs["clusters"] = clusters
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
        for f, (lo, hi), lab, clu in zip(files, segs, _seg_labels(st), _seg_clusters(st)):
            if t == INDEX:
                stamp = index_stamp(f)   # None: truncated or foreign
            else:
                try:
                    stamp = (pq.read_schema(f).metadata or {}).get(META_KEY, b"").decode()
                except (pa.ArrowException, OSError):   # truncated or damaged: rebuilt, never trusted
                    return None, None
            if stamp != _file_stamp(st, lo, hi, t, lab, clu):
                return None, None
    return st, None


def _chain_hash_at(store: Store, con, chain: str, height: int) -> str | None:
    return hash_at(store.chain(chain), con, height)


def _files_of(ds: DerivedSet, state: dict) -> dict[str, list[Path]]:
    return {t: ds.files(state, t) for t in VIEWS}


def _next_gen(ds: DerivedSet, state: dict | None) -> int:
    """Above every generation a file in the folder was ever named with, published or not."""
    gens = [int(f.name.split("-")[1]) for f in ds.path.glob("*-*-*.*") if f.name.split("-")[1].isdigit()]
    return max(gens + [(state or {}).get("gen", 0)]) + 1


def _names(ds: DerivedSet, gen: int, k: int) -> dict[str, Path]:
    return {t: ds.path / f"{t}-{gen:08d}-{k}{'.i64' if t == INDEX else '.parquet'}" for t in FILES}


_private: list[Path] = []


def _private_set() -> DerivedSet:
    """A DerivedSet in a temporary folder, for a build that must not (or cannot) be kept."""
    d = Path(tempfile.mkdtemp(prefix="costbasis-flows-"))
    if not _private:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _private])
    _private.append(d)
    return DerivedSet(d)
