"""`costbasis whales`: daily whale deposits to exchanges, z-score spikes, and the deposits themselves."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import CHAIN_HELP, EVM, METHOD_HELP, TOKEN_HELP, bitcoin_only, pick_engine
from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.limits import AMOUNT_MAX, BTC_SUPPLY_MAX, USD_MAX, Z_MAX, check_dates, check_range
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
    chain: Optional[str] = typer.Option(None, "--chain", help=CHAIN_HELP),
    min_amount: Optional[float] = typer.Option(None, "--min-amount", help="EVM only: deposit threshold in coins (ETH or token units; default 1000)."),
    whale_amount: Optional[float] = typer.Option(None, "--whale-amount", help="EVM only: a source holding at least this much is a whale (default 10000)."),
    token: Optional[str] = typer.Option(None, "--token", help=TOKEN_HELP),
    asset: Optional[str] = typer.Option(None, "--asset", help="EVM only: price series (default ETH; required with --token)."),
    method: Optional[str] = typer.Option(None, "--method", help=METHOD_HELP + " Sets the deposited coins' age and cost basis."),
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """Whale deposits to exchanges: from a non-exchange source over the threshold, or from a wallet
    (cluster) holding >= 1,000 BTC. Per day: USD and BTC totals, z-score vs the trailing window, signal.

    On an EVM chain (--chain ethereum): a deposit from a non-exchange address of at least --min-amount (or --min-usd), or from an address holding >= --whale-amount; amounts have no unit suffix (whale_deposit_amount, amount): ETH, or whole token units with --token ADDR --asset NAME.

    Example: costbasis whales --chain ethereum --min-amount 500 --list

    Example: costbasis whales --from 2026-01-01 --to 2026-01-31 --min-usd 1000000 --list
    """
    from costbasis.flows.whales import whale_deposits, whale_signals, whale_summary

    check_dates(**{"--from": date_from, "--to": date_to})
    check_range(min_btc, "--min-btc", BTC_SUPPLY_MAX, unit=" BTC (the whole supply)")
    check_range(min_usd, "--min-usd", USD_MAX, unit=" USD")
    check_range(min_amount, "--min-amount", AMOUNT_MAX)
    check_range(whale_amount, "--whale-amount", AMOUNT_MAX)
    check_range(z, "--z", Z_MAX)
    store = store_from(ctx)
    family, chain = pick_engine(store, chain, **{"--min-amount": min_amount, "--whale-amount": whale_amount,
                                          "--token": token, "--asset": asset, "--method": method})
    bitcoin_only(family, **{"--min-btc (use --min-amount)": min_btc})
    if family == EVM:
        _evm_whales(store, chain, date_from, date_to, min_amount, min_usd, whale_amount, window, z, list_,
                    token, asset, method, fmt, out)
        return
    if min_btc is not None and min_usd is not None:
        raise UsageError("use either --min-btc or --min-usd, not both")
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


def _evm_whales(store, chain, date_from, date_to, min_amount, min_usd, whale_amount, window, z, list_,
                token, asset, method, fmt, out) -> None:
    from costbasis.evm.flows import whale_signals, whales
    from costbasis.flows.whales import whale_summary

    if min_amount is not None and min_usd is not None:
        raise UsageError("use either --min-amount or --min-usd, not both")
    opts = {"min_amount": 1000.0 if min_amount is None else min_amount, "min_usd": min_usd,
            "whale_amount": 10_000.0 if whale_amount is None else whale_amount,
            "method": method or "avg", "token": token, "asset": asset}
    if list_:
        render(whales(store, chain, date_from, date_to, **opts), fmt, out, title="whale deposits")
        return
    t = whale_signals(store, chain, date_from, date_to, window=window, z=z, **opts)
    render(t, fmt, out, title="daily whale deposits", highlight=lambda r: "bold red" if r.get("signal") else None)
    if fmt == "table" and out is None:
        print(whale_summary(t), file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("whales")(whales_cmd)
