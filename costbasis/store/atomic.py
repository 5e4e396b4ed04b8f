"""Atomic file writes: write to a temp file in the same directory, fsync, rename.

The temp file gets the mode the final file should have (mkstemp makes it 0600): the mode of the
file it replaces, or 0666 minus the umask for a new file, as open() would give.
"""

from __future__ import annotations

import os
import stat
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


def _umask() -> int:
    # /proc gives the umask without changing it (os.umask is set-and-return, racy with threads)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except (FileNotFoundError, NotADirectoryError):
        return 0o666 & ~_umask()


def _atomic_write(path: Path, suffix: str, write) -> None:
    """Call write(tmp_path) on a temp file beside `path`, fsync it, rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    try:
        try:
            os.fchmod(fd, _final_mode(path))
        finally:
            os.close(fd)
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
