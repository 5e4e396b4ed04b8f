"""`costbasis sopr`: daily SOPR, STH/LTH-SOPR and coin-days destroyed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.notes import working
from costbasis.cli.output import render


def sopr_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First date (YYYY-MM-DD, UTC); default first block."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date; default last block."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored Bitcoin chain (default: the only bitcoin chain); SOPR is not defined for EVM chains."),
    asset: str = typer.Option("BTC", "--asset", help="Price series to use."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Spent output profit ratio per day (all, STH < 155 d at spend, LTH) and coin-days destroyed.

    Example: costbasis sopr --from 2024-01-01 --to 2024-01-31
    """
    from costbasis.cli.chains import EVM, chain_family, default_chain
    from costbasis.engine.sopr import sopr_series
    from costbasis.errors import CostbasisError

    from costbasis.cli.limits import check_dates
    check_dates(**{"--from": date_from, "--to": date_to})
    store = store_from(ctx)
    if chain_family(store, chain) == EVM:
        # SOPR compares each spent coin's spend and creation price; accounts have no spent coins
        raise CostbasisError(f"sopr is defined for Bitcoin (UTXO) chains only; "
                             f"chain {chain or default_chain(store)} is an EVM chain")
    with working("computing SOPR"):
        t = sopr_series(store, chain, date_from, date_to, asset)
    render(t, fmt, out, title="SOPR")


def register(app: typer.Typer) -> None:
    app.command("sopr")(sopr_cmd)
