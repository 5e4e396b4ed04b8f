"""The process-wide resource budget: DuckDB memory limit, threads and spill folder (issue 12).

The CLI's global options (`--memory-limit`, `--threads`, or COSTBASIS_MEMORY_LIMIT /
COSTBASIS_THREADS) set it once with `configure()`; every DuckDB connection the engine opens goes
through `open_duckdb()`, so no command has to pass the budget along. DuckDB keeps its working set
under `memory_limit` and spills the rest to `<cache>/_tmp/<pid>-<random>/`, a folder created only
when DuckDB needs it and removed when the connection is closed or the process exits; folders left
by killed processes are removed by the next connection.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from costbasis.errors import UsageError

DEFAULT_MEMORY_LIMIT = "4GB"
SPILL_DIR = "_tmp"   # under the cache root; a leading "_" is never a chain name
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
MIN_MEMORY = 64 * 10**6   # below this DuckDB cannot run our queries at all ("64MB" itself is accepted)


def parse_memory(text: str, option: str = "--memory-limit") -> int:
    """'256MB', '4GB', '1.5GiB' -> bytes; anything else a one-line UsageError."""
    m = _SIZE.fullmatch(str(text))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS or (unit == "" and "." in m.group(1)):
        raise UsageError(f"{option} {text!r} is not a size; use a number with a unit such as 256MB, 4GB or 1.5GiB")
    n = int(float(m.group(1)) * _UNITS[unit])
    if n < MIN_MEMORY:
        raise UsageError(f"{option} {text!r} is too small; give at least 64MB")
    return n


def parse_threads(value, option: str = "--threads") -> int | None:
    if value is None or str(value).strip() in ("", "0"):
        return None   # DuckDB's default: one per core
    try:
        n = int(str(value).strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a whole number of threads") from None
    if n < 1 or n > 1024:
        raise UsageError(f"{option} {value!r} must be between 1 and 1024")
    return n


@dataclass(frozen=True)
class Budget:
    memory_bytes: int
    threads: int | None   # None: DuckDB's default


_budget: Budget | None = None


def configure(memory_limit: str | None = None, threads=None) -> Budget:
    """Set the process-wide budget (the CLI's global options); returns it."""
    global _budget
    _budget = Budget(parse_memory(memory_limit or DEFAULT_MEMORY_LIMIT), parse_threads(threads))
    return _budget


def current() -> Budget:
    """The configured budget; library callers that never configured get the defaults (and the
    environment), like the CLI without options."""
    if _budget is None:
        try:
            return configure(os.environ.get("COSTBASIS_MEMORY_LIMIT") or None,
                             os.environ.get("COSTBASIS_THREADS") or None)
        except UsageError:   # a bad env var outside the CLI: the defaults, the CLI reports it
            return Budget(parse_memory(DEFAULT_MEMORY_LIMIT), None)
    return _budget


# ---------------------------------------------------------------- connections and spill folders
_dirs: set[Path] = set()


def spill_root(cache: Path) -> Path:
    return Path(cache) / SPILL_DIR


def open_duckdb(cache: Path | None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB within the budget, spilling under `<cache>/_tmp/` (the system temp
    folder when there is no cache). `threads` overrides the budget's (e.g. 1 for reproducible
    float sums)."""
    b = current()
    con = duckdb.connect(":memory:")
    con.execute("SET memory_limit = ?", [f"{max(b.memory_bytes // 2**10, 1)}KiB"])
    # no DuckDB progress bars on stderr: long work shows ours (rich), errors stay one line, and
    # `follow` keeps one log line per batch
    con.execute("SET enable_progress_bar = false")
    # the environment is read at each connection too: `demo` pins COSTBASIS_THREADS=1 at run time
    n = threads or b.threads or parse_threads(os.environ.get("COSTBASIS_THREADS") or None)
    if n:
        con.execute("SET threads = ?", [n])
    if cache is not None:
        root = spill_root(cache)
        _sweep(root)
        d = root / f"{os.getpid()}-{secrets.token_hex(4)}"
        try:
            root.mkdir(exist_ok=True)   # DuckDB creates only the last level, and only if it spills
        except OSError:
            pass                        # read-only cache: fine until DuckDB needs to spill
        _dirs.add(d)
        con.execute("SET temp_directory = ?", [str(d)])   # DuckDB creates it only if it spills
    return con


@contextmanager
def unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """preserve_insertion_order=false for the statements inside: building temp tables, whose row
    order nothing reads, then needs no order-preserving buffers. Not connection-wide: DuckDB 2.0
    returns an ORDER BY result fetched as Arrow through execute() out of order when it is off."""
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("SET preserve_insertion_order = true")


def cleanup() -> None:
    """Remove this process's spill folders (and `_tmp` itself once empty)."""
    for d in list(_dirs):
        shutil.rmtree(d, ignore_errors=True)
        _dirs.discard(d)
        try:
            d.parent.rmdir()
        except OSError:
            pass


def _sweep(root: Path) -> None:
    """Remove spill folders of processes that no longer run (killed mid-command)."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for d in entries:
        pid = d.name.split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


atexit.register(cleanup)
