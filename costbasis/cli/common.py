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


def check_number(value: float | None, option: str, positive: bool = False) -> float | None:
    """Reject nan/inf (and <= 0 with `positive`, < 0 otherwise) for a numeric option; None passes."""
    import math

    from costbasis.errors import CostbasisError

    if value is None:
        return None
    if not math.isfinite(value) or (value <= 0 if positive else value < 0):
        need = "a positive" if positive else "a non-negative"
        raise CostbasisError(f"{option} must be {need} finite number, got {value:g}")
    return value
