"""Derived datasets of a chain: state computed from the committed tables and kept between runs.

Layout: `<cache>/<chain>/_derived/<name>/state.json` plus segment files `<table>-<gen>.parquet`.
state.json is the only entry point: it lists the segment files of every table and whatever the
owner records (e.g. the (height, hash) the state was built from, so it can tell a rollback).
A commit writes the new segment files atomically, then rewrites state.json atomically, then
deletes files no longer listed, so a reader sees either the old or the new state, never a mix,
and a process killed mid-commit leaves invisible files that the next commit removes.
The folder sits one level below `_derived/`, so ChainStore.remove_uncommitted never touches it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from costbasis.store.atomic import _atomic_write as atomic_write_file
from costbasis.store.atomic import atomic_write_bytes, atomic_write_table

STATE = "state.json"
DUCKDB_ROW_GROUP = 16384   # rows, as for the Arrow-written segments
SEGMENT_SUFFIXES = (".parquet", ".i64")   # .i64: raw int64 arrays (the clustering's union-find parents)
# Height-range segments are merged like a binary counter up to this span, then left as they are: a
# row is rewritten at most log2(MERGE_MAX_BLOCKS / first segment's span) times, so building a chain
# costs time linear in its length (an unbounded counter rewrites every row log2(chain) times: x2.6 per
# doubling measured at 10 -> 40 M txs), for ~30 segments per table at mainnet's ~930k blocks.
MERGE_MAX_BLOCKS = 32768


def merge_due(segments: list) -> bool:
    """Whether the newest two height-range segments [(lo, hi), ...] are to be merged: the newer spans at
    least as many blocks as the older and together they span at most MERGE_MAX_BLOCKS."""
    if len(segments) < 2:
        return False
    (a_lo, a_hi), (b_lo, b_hi) = segments[-2], segments[-1]
    return b_hi - b_lo >= a_hi - a_lo and b_hi - a_lo + 1 <= MERGE_MAX_BLOCKS


def step_end(h: int, h_to: int, step: int) -> int:
    """The last height of a build step starting at `h`: a whole aligned merge-ceiling range at once when
    it fits (a cold build: no merges, each row written once), else `step` blocks; never past h_to."""
    cap = MERGE_MAX_BLOCKS
    return min(h + (cap if h % cap == 0 and h + cap - 1 <= h_to else step) - 1, h_to)


class DerivedSet:
    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict | None:
        """The committed state (with its "tables" file lists) or None when absent or unreadable."""
        p = self.path / STATE
        if not p.is_file():
            return None
        try:
            st = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        sizes = st.get("sizes", {})
        for files in st.get("tables", {}).values():
            for f in files:
                try:
                    size = (self.path / f).stat().st_size
                except OSError:
                    return None
                if f not in sizes or sizes[f] != size:   # truncated or replaced: rebuild, never trust
                    return None
        return st

    def files(self, state: dict, table: str) -> list[Path]:
        return [self.path / f for f in state.get("tables", {}).get(table, [])]

    @contextmanager
    def lock(self) -> Iterator[bool]:
        """Exclusive writer lock; yields False (compute without saving) when another process holds
        it or the cache is not writable."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        except OSError:
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except BlockingIOError:
                got = False
            yield got
        finally:
            os.close(fd)

    def commit(self, state: dict, append: dict[str, pa.Table | str] | None = None,
               replace: dict[str, pa.Table | str] | None = None, gen: int = 0, con=None,
               fresh: bool = False, lists: dict[str, list[str]] | None = None,
               keep_previous: bool = False) -> dict:
        """Add segment files to tables (`append`) or make one file the whole table (`replace`),
        then publish `state` (its "tables" key is filled in here). Call under lock().
        A value is an Arrow table, or the name of a table of the DuckDB connection `con`, which
        DuckDB writes itself (spilling as it sorts), so a segment never has to fit in memory.
        `fresh`: the new state has only the given files (a rebuild); the old one stays published
        until state.json is replaced, so `gen` must differ from the old state's.
        `lists`: whole file lists of tables, of files the caller already wrote into the folder
        (atomically, under names no published state used). `keep_previous`: the previous state's
        files are deleted by the next commit, not this one, so a reader still on it can finish."""
        previous = self.load() or {}
        old = {} if fresh else previous
        kept = {f for files in previous.get("tables", {}).values() for f in files} if keep_previous else set()
        tables = {t: list(f) for t, f in old.get("tables", {}).items()}
        for kind, items in (("append", append or {}), ("replace", replace or {})):
            for table, data in items.items():
                name = f"{table}-{gen:08d}.parquet"
                if isinstance(data, str):
                    write_duckdb_table(con, data, self.path / name)
                else:
                    # DuckDB's parallel aggregation returns rows in any order: sort so the same state
                    # always gives byte-identical files (the demo promises byte-identical Parquet).
                    data = data.sort_by([(c, "ascending") for c in data.column_names])
                    atomic_write_table(self.path / name, data, row_group_size=16384)
                tables[table] = (tables.get(table, []) if kind == "append" else []) + [name]
        for table, files in (lists or {}).items():
            tables[table] = list(files)
        sizes = {f: (self.path / f).stat().st_size for files in tables.values() for f in files}
        state = dict(state, tables=tables, sizes=sizes)
        if keep_previous:
            state["previous"] = sorted(kept - {f for files in tables.values() for f in files})
        atomic_write_bytes(self.path / STATE, json.dumps(state, indent=1, sort_keys=True).encode())
        listed = {f for files in tables.values() for f in files} | kept
        for f in self.path.iterdir():
            if f.suffix in SEGMENT_SUFFIXES and f.name not in listed or f.name.startswith(".tmp-"):
                f.unlink(missing_ok=True)
        return state

    def clear(self) -> None:
        """Drop the state (call under lock())."""
        (self.path / STATE).unlink(missing_ok=True)
        for f in self.path.iterdir():
            if f.suffix in SEGMENT_SUFFIXES:
                f.unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def write_duckdb_table(con, table: str, path: Path) -> None:
    """Write DuckDB table `table` (a name of ours, not user input) to `path` atomically, sorted on
    every column with fixed writer settings, so the same rows always give byte-identical files."""
    def write(tmp: str) -> None:
        # order-preserving while writing: the sort is what makes the file reproducible
        con.execute("SET preserve_insertion_order = true")
        con.sql(f"SELECT * FROM {table} ORDER BY ALL").write_parquet(
            tmp, compression="zstd", row_group_size=DUCKDB_ROW_GROUP, overwrite=True)
    atomic_write_file(path, ".parquet", write)
