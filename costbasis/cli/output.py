"""Render a pyarrow Table as table|csv|json|parquet, to stdout or --out.

`--out` targets: `-` is stdout; a regular file (or a symlink to one: the link stays, the file it
points to is replaced) is written atomically; a device, FIFO or /dev/fd/N (`>(cmd)`) is opened
and written in place, since renaming over it would replace the node itself; a directory or a
path inside the cache is refused by check_output before the command does anything.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from costbasis.errors import UsageError
from costbasis.store.atomic import PARQUET_OPTS, atomic_write_bytes

FORMATS = ("table", "csv", "json", "parquet")


def is_stdout(out) -> bool:
    return out is not None and str(out) == "-"


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")


def _stat(out: Path) -> os.stat_result | None:
    try:
        return os.stat(out)  # follows symlinks: the target is what gets written
    except FileNotFoundError:
        return None
    except OSError as e:  # a loop of links, a file used as a folder...
        raise UsageError(f"--out {out}: {e.strerror}") from None


def check_output(fmt: str | None, out: Path | None, cache: Path | None = None) -> None:
    """Refuse a bad --format/--out combination or target before anything is written.

    `fmt` None: not known yet (only the target is checked)."""
    if fmt is not None:
        check_format(fmt)
        if fmt == "parquet" and out is None:
            raise UsageError("--format parquet needs --out FILE (or --out - for stdout)")
    if out is None or is_stdout(out):
        return
    real = Path(os.path.realpath(out))
    if cache is not None:
        root = Path(os.path.realpath(cache))
        if real == root or real.is_relative_to(root):
            raise UsageError(f"--out {out} is inside the cache {cache}; write it elsewhere")
    st = _stat(Path(out))
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"--out {out} is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return  # device/FIFO: written in place, its folder does not matter
    parent = real.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # missing folders are created on write
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: folder {parent} is not writable")


def _fd_alias(out: Path) -> bool:
    """/dev/stdout, /dev/fd/N, /proc/<pid>/fd/N: another process's open file, never replaced."""
    a = os.path.abspath(out)
    return a in ("/dev/stdout", "/dev/stderr") or a.startswith(("/dev/fd/", "/proc/"))


def write_out(out: Path | str, data: bytes) -> None:
    """Write `data` to an --out target (see the module docstring)."""
    if is_stdout(out):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out = Path(out)
    st = _stat(out)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"--out {out} is a directory; give a file name")
    if st is not None and (not stat.S_ISREG(st.st_mode) or _fd_alias(out)):
        # append to an fd alias: a shell's `>>` or our own earlier stdout lines stay intact
        with open(out, "ab" if stat.S_ISREG(st.st_mode) else "wb") as f:
            f.write(data)
        return
    atomic_write_bytes(Path(os.path.realpath(out)), data)


def _jsonable(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def to_json(table: pa.Table) -> str:
    rows = [{k: _jsonable(v) for k, v in r.items()} for r in table.to_pylist()]
    return json.dumps(rows, indent=1)


def _fmt_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        a = abs(v)
        if a >= 1000:
            return f"{v:,.0f}"
        if a >= 1:
            return f"{v:,.2f}"
        return f"{v:.4g}"
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def render(table: pa.Table, fmt: str = "table", out: Path | None = None, title: str | None = None,
           highlight=None) -> None:
    """Write `table` in `fmt`. `highlight(row_dict) -> style|None` styles table rows."""
    check_output(fmt, out)
    binary_cols = [i for i, f in enumerate(table.schema) if pa.types.is_binary(f.type) or pa.types.is_fixed_size_binary(f.type)]
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **PARQUET_OPTS)
        write_out(out, sink.getvalue().to_pybytes())
        return
    if is_stdout(out):
        out = None  # `--out -` prints exactly as no --out does
    if fmt in ("csv", "json") and binary_cols:
        for i in binary_cols:
            name = table.schema.field(i).name
            hexed = pa.array([None if b is None else b.hex() for b in table.column(i).to_pylist()], pa.string())
            table = table.set_column(i, name, hexed)
    if fmt == "csv":
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        data = buf.getvalue()
    elif fmt == "json":
        data = (to_json(table) + "\n").encode()
    else:
        from rich.console import Console
        from rich.table import Table as RTable

        rt = RTable(title=title, show_lines=False, header_style="bold")
        for f in table.schema:
            numeric = pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)
            rt.add_column(f.name, justify="right" if numeric else "left", no_wrap=True)
        cells = [[_fmt_cell(v) for v in r.values()] for r in table.to_pylist()]
        for r, row in zip(table.to_pylist(), cells):
            rt.add_row(*row, style=highlight(r) if highlight else None)
        # wide enough that no header or number is cut: a truncated figure is worse than a long line
        need = 1 + sum(3 + max([len(f.name)] + [len(row[i]) for row in cells]) for i, f in enumerate(table.schema))
        if out is None:
            Console(width=max(120, Console().width, need)).print(rt)
            return
        buf = io.StringIO()
        Console(file=buf, width=max(200, need), no_color=True).print(rt)
        data = buf.getvalue().encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_out(out, data)
