"""Atomic file writes: write to a temp file in the same directory, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# Fixed writer settings so the same rows always give byte-identical files.
PARQUET_OPTS = dict(compression="zstd", compression_level=1, use_dictionary=True, write_statistics=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, suffix: str, write) -> None:
    """Call write(tmp_path) on a temp file beside `path`, fsync it, rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    _atomic_write(path, "", lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_table(path: Path, table: pa.Table, **write_opts) -> None:
    """`write_opts` go to pq.write_table (e.g. row_group_size) on top of the fixed settings."""
    _atomic_write(path, ".parquet", lambda tmp: pq.write_table(table, tmp, **{**PARQUET_OPTS, **write_opts}))
