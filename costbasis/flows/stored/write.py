"""How flow-table segment files are written: fixed writer settings and column order (a segment's file
depends only on its rows), atomic COPY by DuckDB, the merge of two adjacent segments, and the labels
snapshot beside the segments."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from costbasis.engine.db import files_view, named, sql_text
from costbasis.flows.balance_index import register_rows, write_index
from costbasis.flows.stored.state import HOURS, INDEX, LABELS, ROW_GROUP, SCHEMAS, TABLES
from costbasis.store.atomic import _atomic_write
from costbasis.store.derived import DerivedSet

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
    HOURS: "SELECT hour::BIGINT AS hour, entity, direction, value::BIGINT AS value, txs::BIGINT AS txs, "
           "top10::BIGINT[] AS top10 FROM {src} ORDER BY hour, entity NULLS FIRST, direction",
}


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pa.Table:
    import warnings
    res = con.execute(sql, params or {})
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
    with warnings.catch_warnings():  # as engine.db.run: DuckDB 2.x warns that this path copies
        warnings.simplefilter("ignore", UserWarning)
        return fetch()


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: dict, path: Path, stamp: str) -> None:
    """COPY (query) to `path` atomically (temp name beside it, renamed), stamped, fixed writer settings;
    of `params`, the ones `query` names (a range's parameters go to every query of its build)."""
    def write(tmp: str) -> None:
        con.execute("SET preserve_insertion_order = true")   # the ORDER BY is what makes files reproducible
        con.execute(f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP}, USE_TMP_FILE false, "
                    "KV_METADATA {'costbasis.flows': $stamp})", dict(named(query, params), path=tmp, stamp=stamp))
    _atomic_write(path, ".parquet", write)


def _merge(con, ds: DerivedSet, a: dict[str, Path], b: dict[str, Path], out: dict[str, Path],
           stamps: dict[str, str]) -> None:
    """Two adjacent segments (a before b) as one, written by DuckDB."""
    for t in TABLES:
        files_view(con, "merge_parts", [a[t], b[t]], SCHEMAS[t])
        _copy(con, _SELECT[t].format(src="merge_parts"), {}, out[t], stamps[t])
        con.execute("DROP VIEW merge_parts")
    register_rows(con, "balance_parts", [a[INDEX], b[INDEX]])
    write_index(con, sql_text("whales_balance_merge").rstrip().rstrip(";"), {}, out[INDEX], stamps[INDEX])
    con.unregister("balance_parts")
    _write_hours(con, out["exchange_txs"], out[HOURS], stamps[HOURS])


def _write_hours(con, exchange_txs: Path, out: Path, stamp: str) -> None:
    """The hourly rows (sql/flows_hours.sql) of segment file `exchange_txs`, written to `out`: written
    beside every exchange_txs file (built, merged or relabelled), so they always agree with it."""
    files_view(con, "hour_txs", [exchange_txs], SCHEMAS["exchange_txs"])
    con.execute("CREATE OR REPLACE TEMP VIEW flow_txs AS "
                "SELECT time, entity, height, tx_index AS tx_key, direction, value FROM hour_txs")
    _copy(con, _SELECT[HOURS].format(src="(" + sql_text("flows_hours") + ")"), {}, out, stamp)
    con.execute("DROP VIEW flow_txs; DROP VIEW hour_txs")


def _write_labels(con, ds: DerivedSet, gen: int, fingerprint: str) -> str:
    """The labels of view `xlabels` as (script, entity) beside the segments: what the next label change
    is diffed against (the labels dataset itself is replaced by then)."""
    out = ds.path / f"{LABELS}-{gen:08d}-0.parquet"
    _copy(con, "SELECT script, entity FROM xlabels ORDER BY script, entity", {}, out, fingerprint)
    return out.name
