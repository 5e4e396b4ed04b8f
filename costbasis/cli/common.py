"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.store import Store

FormatOpt = typer.Option("table", "--format", "-f", help="Output format: table|csv|json|parquet.")
OutOpt = typer.Option(None, "--out", "-o", help="Write to FILE instead of stdout (required for parquet).")


def store_from(ctx: typer.Context) -> Store:
    return Store(ctx.obj["cache"] if ctx.obj else Path("parquet_cache"))
