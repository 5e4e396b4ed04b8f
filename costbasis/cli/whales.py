"""`costbasis whales`: daily whale deposits to exchanges, z-score spikes, and the deposits themselves."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render
from costbasis.errors import UsageError


def whales_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First UTC day, YYYY-MM-DD."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last UTC day, YYYY-MM-DD (inclusive)."),
    min_btc: Optional[float] = typer.Option(None, "--min-btc", help="Deposit threshold in BTC (default 100)."),
    min_usd: Optional[float] = typer.Option(None, "--min-usd", help="Deposit threshold in USD instead of BTC."),
    window: int = typer.Option(30, "--window", help="Trailing days for the z-score."),
    z: float = typer.Option(2.0, "--z", help="z-score at or above which a day is a spike (signal)."),
    list_: bool = typer.Option(False, "--list", help="List the deposits (txid, exchange, source cluster, age band, cost basis)."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Bitcoin chain in the store (default: the only one)."),
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """Whale deposits to exchanges: from a non-exchange source over the threshold, or from a wallet
    (cluster) holding >= 1,000 BTC. Per day: USD and BTC totals, z-score vs the trailing window, signal.

    Example: costbasis whales --from 2026-01-01 --to 2026-01-31 --min-usd 1000000 --list
    """
    from costbasis.flows.whales import whale_deposits, whale_signals, whale_summary

    if min_btc is not None and min_usd is not None:
        raise UsageError("use either --min-btc or --min-usd, not both")
    store = store_from(ctx)
    mb = 100 if min_btc is None else min_btc
    if list_:
        t = whale_deposits(store, chain=chain, date_from=date_from, date_to=date_to, min_btc=mb, min_usd=min_usd)
        render(t, fmt, out, title="whale deposits")
        return
    t = whale_signals(store, chain=chain, date_from=date_from, date_to=date_to, min_btc=mb, min_usd=min_usd,
                      window=window, z=z)
    render(t, fmt, out, title="daily whale deposits", highlight=lambda r: "bold red" if r.get("signal") else None)
    if fmt == "table" and out is None:
        print(whale_summary(t), file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("whales")(whales_cmd)
