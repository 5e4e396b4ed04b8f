"""`costbasis status`: what the store holds, per chain and table."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from


def status_cmd(ctx: typer.Context, fmt: str = FormatOpt, out: Optional[Path] = OutOpt):
    """Per chain and table: height range, rows, files, bytes, last block time.

    Example: costbasis --cache ./parquet_cache status --format json
    """
    from costbasis.cli.output import render
    from costbasis.status import store_status

    store = store_from(ctx)
    table = store_status(store)
    if table.num_rows == 0 and fmt == "table":
        typer.echo(f"store {store.root} is empty; run `costbasis ingest ...` or `costbasis demo` first", err=True)
    render(table, fmt, out, title=f"costbasis store {store.root}")


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
