"""Render a pyarrow Table as table|csv|json|parquet, to stdout or --out (atomically)."""

from __future__ import annotations

import io
import json
import math
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from costbasis.errors import UsageError
from costbasis.store.atomic import atomic_write_bytes, atomic_write_table

FORMATS = ("table", "csv", "json", "parquet")


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
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    binary_cols = [i for i, f in enumerate(table.schema) if pa.types.is_binary(f.type) or pa.types.is_fixed_size_binary(f.type)]
    if fmt == "parquet":
        if out is None:
            raise UsageError("--format parquet needs --out FILE")
        atomic_write_table(Path(out), table)
        return
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
        atomic_write_bytes(Path(out), data)
