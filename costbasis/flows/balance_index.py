"""Sorted key indexes of the per-script balance segments, so a wallet's stored balance is a few
binary searches, not a scan of every script's balance change.

Beside each `balance_deltas` segment (Parquet: key, script, delta, sorted by key) sits one raw int64
file (`balance_index-*.i64`) of 3 x n values: the n keys (DuckDB hash(script), uint64 bits), the n
second keys (engine/db.KEY2_SQL) and the n deltas, in the segment's order. It is written by streaming
the Parquet file in record batches (bounded memory) and read through np.memmap: looking up m member
scripts touches O(m log n) pages of each segment (~chain/32,768 blocks + log of them), so an
extension by new blocks costs the new blocks and the depositing wallets, not the stored history.
The pair of independent 64-bit hashes stands in for the script (a false match needs both to collide);
merges and the Parquet segments still group by the script itself.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.engine.db import KEY2_SQL
from costbasis.store.atomic import _atomic_write

BATCH = 1 << 16


def write_index(con: duckdb.DuckDBPyConnection, segment: Path, out: Path) -> None:
    """The index of one balance segment file, written atomically to `out`."""
    n = pq.ParquetFile(segment).metadata.num_rows

    def write(tmp: str) -> None:
        if n == 0:
            Path(tmp).write_bytes(b"")
            return
        mm = np.memmap(tmp, np.int64, "w+", shape=(3 * n,))
        con.execute("SET preserve_insertion_order = true")   # the file's (sorted) order
        res = con.execute(f"SELECT key, {KEY2_SQL.format('script')} AS key2, delta FROM read_parquet($p)",
                          {"p": str(segment)})
        with warnings.catch_warnings():   # DuckDB 2.x warns that a DB-API result's Arrow path copies
            warnings.simplefilter("ignore", UserWarning)
            reader = (getattr(res, "to_arrow_reader", None) or res.fetch_record_batch)(BATCH)   # 2.x / 1.x
        pos = 0
        for b in reader:
            k = len(b)
            for j in range(3):
                mm[j * n + pos: j * n + pos + k] = b.column(j).to_numpy().view(np.int64)
            pos += k
        if pos != n:
            raise OSError(f"{segment}: {pos} rows read, {n} in its metadata")
        mm.flush()
        del mm
    _atomic_write(out, ".i64", write)


def index_ok(segment: Path, index: Path) -> bool:
    """The index has the size its segment's row count gives."""
    try:
        return index.stat().st_size == 24 * pq.ParquetFile(segment).metadata.num_rows
    except (OSError, pa.ArrowException):
        return False


def lookup(indexes: list[Path], key: np.ndarray, key2: np.ndarray) -> np.ndarray:
    """Per (key, key2): the sum of its deltas over every index (its balance before the first new block)."""
    order = np.argsort(key.astype(np.uint64, copy=False), kind="stable")   # sorted probes: sequential pages
    key = key.astype(np.uint64, copy=False)[order]
    key2 = key2.astype(np.uint64, copy=False)[order]
    total = np.zeros(len(key), np.int64)
    for f in indexes:
        size = f.stat().st_size // 8
        if size == 0 or len(key) == 0:
            continue
        n = size // 3
        mm = np.memmap(f, np.int64, "r", shape=(size,))
        keys = mm[:n].view(np.uint64)
        pos = np.searchsorted(keys, key, "left")
        # equal keys (a 64-bit collision inside one segment) sit side by side: try each, key2 decides
        live = np.nonzero(pos < n)[0]
        while len(live):
            p = pos[live]
            same = keys[p] == key[live]
            live, p = live[same], p[same]
            ok = mm[n + p].view(np.uint64) == key2[live]
            total[live[ok]] += mm[2 * n + p[ok]]
            pos[live] += 1
            live = live[pos[live] < n]
        del mm
    out = np.empty_like(total)
    out[order] = total
    return out


def balances_by(con: duckdb.DuckDBPyConnection, indexes: list[Path], rows: str) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct `grp` of query `rows` (columns grp, script; a query of ours): the sum of its scripts'
    stored changes over `indexes`, as (sorted grp values, sums)."""
    t = con.execute(f"SELECT grp, hash(script) AS key, {KEY2_SQL.format('script')} AS key2 FROM ({rows})").fetchnumpy()
    bal = lookup(indexes, np.asarray(t["key"]), np.asarray(t["key2"]))
    ids, inv = np.unique(np.asarray(t["grp"], np.int64), return_inverse=True)
    sums = np.zeros(len(ids), np.int64)
    np.add.at(sums, inv, bal)
    return ids, sums


def member_balances(con: duckdb.DuckDBPyConnection, indexes: list[Path]) -> pa.Table:
    """(kid, balance) of every wallet in temp table dep_members, summed over its members' stored changes."""
    kids, out = balances_by(con, indexes, "SELECT kid AS grp, script FROM dep_members")
    return pa.table({"kid": pa.array(kids, pa.int64()), "balance": pa.array(out, pa.int64())})
