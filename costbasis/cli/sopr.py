"""`costbasis sopr`: daily SOPR, STH/LTH-SOPR and coin-days destroyed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.context_opts import WithOpt, with_context
from costbasis.cli.notes import working
from costbasis.cli.output import render


def sopr_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First date (YYYY-MM-DD, UTC); default first block."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date; default last block."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored Bitcoin chain (default: the only bitcoin chain); SOPR is not defined for EVM chains."),
    asset: str = typer.Option("BTC", "--asset", help="Price series to use."),
    with_: Optional[str] = WithOpt,
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Spent output profit ratio per day (all, STH < 155 d at spend, LTH) and coin-days destroyed.

    Example: costbasis sopr --from 2024-01-01 --to 2024-01-31

    Example: costbasis sopr --from 2026-01-01 --to 2026-01-22 --with short_term_holder_sopr
    """
    from costbasis.engine import api

    with working("computing SOPR"):
        t = api.sopr(store_from(ctx), chain, date_from=date_from, date_to=date_to, asset=asset)
    render(with_context(ctx, t, with_), fmt, out, title="SOPR")


def register(app: typer.Typer) -> None:
    app.command("sopr")(sopr_cmd)
