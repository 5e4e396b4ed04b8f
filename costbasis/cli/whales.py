"""`costbasis whales`: daily whale deposits to exchanges, z-score spikes, and the deposits themselves."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import ChainOpt, EvmAssetOpt, METHOD_HELP, TokenOpt
from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.context_opts import WithOpt, with_context
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
    chain: Optional[str] = ChainOpt,
    min_amount: Optional[float] = typer.Option(None, "--min-amount", help="EVM only: deposit threshold in coins (ETH or token units; default 1000)."),
    whale_amount: Optional[float] = typer.Option(None, "--whale-amount", help="EVM only: a source holding at least this much is a whale (default 10000)."),
    token: Optional[str] = TokenOpt,
    asset: Optional[str] = EvmAssetOpt,
    method: Optional[str] = typer.Option(None, "--method", help=METHOD_HELP + " Sets the deposited coins' age and cost basis."),
    with_: Optional[str] = WithOpt,
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """Whale deposits to exchanges: from a non-exchange source over the threshold, or from a wallet
    (cluster) holding >= 1,000 BTC. Per day: USD and BTC totals, z-score vs the trailing window, signal.

    On an EVM chain (--chain ethereum): a deposit from a non-exchange address of at least --min-amount (or --min-usd), or from an address holding >= --whale-amount; amounts have no unit suffix (whale_deposit_amount, amount): ETH, or whole token units with --token ADDR --asset NAME.

    Example: costbasis whales --chain ethereum --min-amount 500 --list

    Example: costbasis whales --from 2026-01-01 --to 2026-01-31 --min-usd 1000000 --list

    Example: costbasis whales --from 2026-01-10 --to 2026-01-22 --with long_liquidations_usd,etf_flow_total_usd
    """
    from costbasis.engine import api
    from costbasis.flows.whales import whale_summary

    if list_ and with_ is not None:
        raise UsageError("--with adds context per day: use it on the daily table, not with --list")
    t = api.whales(store_from(ctx), chain, date_from=date_from, date_to=date_to, min_btc=min_btc, min_usd=min_usd,
                   min_amount=min_amount, whale_amount=whale_amount, window=window, z=z, deposits=list_,
                   token=token, asset=asset, method=method)
    if list_:
        render(t, fmt, out, title="whale deposits")
        return
    render(with_context(ctx, t, with_), fmt, out, title="daily whale deposits",
           highlight=lambda r: "bold red" if r.get("signal") else None)
    if fmt == "table" and out is None:
        print(whale_summary(t), file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("whales")(whales_cmd)
