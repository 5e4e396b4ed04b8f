"""The per-script balance changes of each flow-table segment, as sorted key indexes: a wallet's
stored balance is a few binary searches, not a scan of every script's balance change.

One raw file per segment (`balance_index-*.i64`) and nothing else (the script is not kept: a Parquet
copy of the rows with the script cost ~40 B a transaction at 40 M txs, as much as the index): 3 x n
int64 values (the n keys, DuckDB hash(script) as uint64 bits, sorted; the n second keys,
engine/db.KEY2_SQL; the n deltas), then a trailer: the segment's stamp (JSON, what it was built from),
its length, n and a magic (TRAILER). Written by streaming a DuckDB query's rows in record batches
(bounded memory) and read through np.memmap, WINDOW rows at a time: looking up m member scripts
touches O(m log n) pages of each segment (~chain/32,768 blocks + log of them), so an extension by new
blocks costs the new blocks and the depositing wallets, not the stored history; and the pages a lookup
maps are let go window by window, so its resident memory does not grow with a segment (a full
32,768-block mainnet segment's index is GBs: mapped whole, a lookup of a big cluster's members would
hold all of it). The members come sorted by key, in batches (balances_by), and whole rows stream
by positioned reads (batches), never mapped. The pair of independent 64-bit hashes stands in
for the script (a false match needs both to collide). Two adjacent segments merge by DuckDB over the
two indexes' rows (streamed to it, never whole in memory), grouped by both keys.
"""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from costbasis.engine.db import KEY2_SQL
from costbasis.store.atomic import _atomic_write

BATCH = 1 << 16
BATCH_MEMBERS = 1 << 20   # member scripts looked up at a time (balances_by)
MAGIC = b"CBIDX\x00\x00\x01"
TRAILER = struct.Struct("<QQ8s")   # stamp length, n, magic
ROWS = pa.schema([("key", pa.uint64()), ("key2", pa.uint64()), ("delta", pa.int64())])   # an index's rows
COLUMNS = tuple(ROWS.names)


def _record_batches(res, rows: int) -> pa.RecordBatchReader:
    """A DuckDB DB-API result as record batches of `rows` (2.x to_arrow_reader / 1.x fetch_record_batch)."""
    with warnings.catch_warnings():   # DuckDB 2.x warns that a DB-API result's Arrow path copies
        warnings.simplefilter("ignore", UserWarning)
        return (getattr(res, "to_arrow_reader", None) or res.fetch_record_batch)(rows)


def write_index(con: duckdb.DuckDBPyConnection, query: str, params: dict, out: Path, stamp: str) -> None:
    """The index of the rows of `query` (columns key, key2, delta, ordered by key then key2; binding
    `params`), stamped, written atomically to `out`. The rows stream through three column files beside
    it (their count is known only at the end), then are put together."""
    def write(tmp: str) -> None:
        parts = [Path(f"{tmp}.{c}") for c in COLUMNS]
        try:
            con.execute("SET preserve_insertion_order = true")   # the query's (sorted) order
            reader = _record_batches(con.execute(f"SELECT key, key2, delta FROM ({query})", params), BATCH)
            n = 0
            files = [open(f, "wb") for f in parts]
            try:
                for b in reader:
                    for j, f in enumerate(files):
                        b.column(j).to_numpy().astype(np.uint64 if j < 2 else np.int64, copy=False).tofile(f)
                    n += len(b)
            finally:
                for f in files:
                    f.close()
            blob = stamp.encode()
            with open(tmp, "wb") as f:
                for part in parts:
                    with open(part, "rb") as src:
                        size = os.fstat(src.fileno()).st_size
                        done = 0
                        while done < size:   # in the kernel, no copy through Python
                            done += os.copy_file_range(src.fileno(), f.fileno(), size - done)
                f.write(blob + TRAILER.pack(len(blob), n, MAGIC))
        finally:
            for part in parts:
                part.unlink(missing_ok=True)
    _atomic_write(out, ".i64", write)


def _rows(index: Path) -> int | None:
    """n of a well-formed index file, else None."""
    try:
        with open(index, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < TRAILER.size:
                return None
            f.seek(size - TRAILER.size)
            k, n, magic = TRAILER.unpack(f.read(TRAILER.size))
    except OSError:
        return None
    return n if magic == MAGIC and size == 24 * n + k + TRAILER.size else None


def index_stamp(index: Path) -> str | None:
    """The stamp a well-formed index carries (None: missing, truncated or foreign)."""
    n = _rows(index)
    if n is None:
        return None
    with open(index, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(24 * n)
        return f.read(size - 24 * n - TRAILER.size).decode(errors="replace")


def _checked_rows(index: Path) -> int:
    n = _rows(index)
    if n is None:
        raise OSError(f"{index}: not a balance index (truncated or foreign)")
    return n


def batches(index: Path) -> Iterator[pa.RecordBatch]:
    """The rows of an index (key, key2 as uint64; delta), BATCH at a time, by positioned reads (a
    merge streams two whole indexes: mapped, every page read would stay resident until the end)."""
    n = _checked_rows(index)
    with open(index, "rb") as f:
        fd = f.fileno()

        def read(col: int, lo: int, hi: int, dtype) -> np.ndarray:
            return np.frombuffer(os.pread(fd, 8 * (hi - lo), 8 * (col * n + lo)), dtype)
        for lo in range(0, n, BATCH):
            hi = min(n, lo + BATCH)
            yield pa.record_batch([pa.array(read(0, lo, hi, np.uint64)), pa.array(read(1, lo, hi, np.uint64)),
                                   pa.array(read(2, lo, hi, np.int64))], schema=ROWS)
    if n == 0:
        yield pa.record_batch([pa.array([], t.type) for t in ROWS], schema=ROWS)


def register_rows(con: duckdb.DuckDBPyConnection, name: str, indexes: list[Path]) -> None:
    """View `name` (key, key2, delta) streaming the rows of `indexes` (read once; a name of ours)."""
    reader = pa.RecordBatchReader.from_batches(ROWS, (b for f in indexes for b in batches(f)))
    con.register(name, reader)


WINDOW = 1 << 21   # index rows mapped at a time (3 x 16 MB): what a lookup holds resident per segment


def lookup(indexes: list[Path], key: np.ndarray, key2: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Per (key, key2): the sum of its deltas over every index (its balance before the first new block).
    Each index is searched `window` rows at a time, each window mapped only while its probes run (the
    probes whose key lies in the window's key range; a key at a window's edge is tried in both)."""
    order = np.argsort(key.astype(np.uint64, copy=False), kind="stable")   # sorted probes: sequential pages
    key = key.astype(np.uint64, copy=False)[order]
    key2 = key2.astype(np.uint64, copy=False)[order]
    total = np.zeros(len(key), np.int64)
    for f in indexes:
        n = _checked_rows(f)
        for a in range(0, n if len(key) else 0, window):
            w = min(n, a + window) - a
            keys = np.memmap(f, np.uint64, "r", offset=8 * a, shape=(w,))
            s, e = np.searchsorted(key, keys[0], "left"), np.searchsorted(key, keys[w - 1], "right")
            if s < e:
                _probe(keys, np.memmap(f, np.uint64, "r", offset=8 * (n + a), shape=(w,)),
                       np.memmap(f, np.int64, "r", offset=8 * (2 * n + a), shape=(w,)),
                       key[s:e], key2[s:e], total[s:e])
            del keys   # unmapped: the window's pages leave this process
    out = np.empty_like(total)
    out[order] = total
    return out


def _probe(keys, keys2, deltas, key, key2, total) -> None:
    """Add to `total` (a view) the deltas of the window's rows equal to each (key, key2) probe."""
    w = len(keys)
    pos = np.searchsorted(keys, key, "left")
    # equal keys (a 64-bit collision inside one segment) sit side by side: try each, key2 decides
    live = np.nonzero(pos < w)[0]
    while len(live):
        p = pos[live]
        same = keys[p] == key[live]
        live, p = live[same], p[same]
        ok = keys2[p] == key2[live]
        total[live[ok]] += deltas[p[ok]]
        pos[live] += 1
        live = live[pos[live] < w]


def balances_by(con: duckdb.DuckDBPyConnection, indexes: list[Path], rows: str) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct `grp` of query `rows` (columns grp, script; a query of ours): the sum of its scripts'
    stored changes over `indexes`, as (sorted grp values, sums). The members stream sorted by key,
    BATCH_MEMBERS at a time (a big cluster's members are not held at once, and each batch maps only the
    windows of its key range); per batch one partial sum per group, added up at the end."""
    reader = _record_batches(con.execute(f"SELECT grp, hash(script) AS key, {KEY2_SQL.format('script')} AS key2 "
                                         f"FROM ({rows}) ORDER BY key"), BATCH_MEMBERS)
    part_ids, part_sums = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for b in reader:
        bal = lookup(indexes, b.column(1).to_numpy(), b.column(2).to_numpy())
        ids, inv = np.unique(b.column(0).to_numpy().astype(np.int64, copy=False), return_inverse=True)
        sums = np.zeros(len(ids), np.int64)
        np.add.at(sums, inv, bal)
        part_ids.append(ids)
        part_sums.append(sums)
    ids, inv = np.unique(np.concatenate(part_ids), return_inverse=True)
    sums = np.zeros(len(ids), np.int64)
    np.add.at(sums, inv, np.concatenate(part_sums))
    return ids, sums


def member_balances(con: duckdb.DuckDBPyConnection, indexes: list[Path]) -> pa.Table:
    """(kid, balance) of every wallet in temp table dep_members, summed over its members' stored changes."""
    kids, out = balances_by(con, indexes, "SELECT kid AS grp, script FROM dep_members")
    return pa.table({"kid": pa.array(kids, pa.int64()), "balance": pa.array(out, pa.int64())})
