"""`costbasis chart bands|urpd|whales`: PNG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import ChainOpt, EvmAssetOpt, MethodOpt, TokenOpt
from costbasis.cli.common import store_from
from costbasis.limits import SPAN_MAX, check_dates, check_price, check_range
from costbasis.errors import UsageError

chart_app = typer.Typer(
    help="Draw PNG charts: price against holder cost basis, URPD with bands, whale deposits, market context.\n\n"
         "Example: costbasis chart bands --from 2025-01-01 --to 2026-01-20 --out bands.png",
    no_args_is_help=True)

OutPng = typer.Option(..., "--out", "-o", help="PNG file to write.")
WidthOpt = typer.Option(1400, "--width", help="Image width in pixels.")
HeightOpt = typer.Option(800, "--height", help="Image height in pixels.")


def _done(path: Path) -> None:
    typer.echo(f"wrote {path}")


@chart_app.command("bands")
def bands_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: a year before --to."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day; default: the last stored day."),
    out: Path = OutPng,
    chain: Optional[str] = ChainOpt,
    window: int = typer.Option(365, "--window", help="Days of STH-MVRV history for the ±σ bands."),
    cohorts: str = typer.Option("1w-1m,1m-3m,3m-6m,6m-12m,sth,lth", "--cohorts", help="Cohort realized prices to draw."),
    width: int = WidthOpt, height: int = HeightOpt,
    token: Optional[str] = TokenOpt, asset: Optional[str] = EvmAssetOpt, method: Optional[str] = MethodOpt,
):
    """Price, cohort realized prices and the STH cost-basis ±1σ/±2σ band areas on a log axis.

    On an EVM chain (--chain ethereum) the cohorts come from the account-model engine (--method avg|fifo; ETH, or a token with --token ADDR --asset NAME).

    Example: costbasis chart bands --from 2025-01-01 --to 2026-01-20 --out bands.png

    Example: costbasis chart bands --chain ethereum --method fifo --out eth_bands.png
    """
    from costbasis.charts.bands_chart import bands_chart

    from costbasis.bands.inputs import check_window
    from costbasis.engine.age_bands import check_cohort

    check_dates(**{"--from": date_from, "--to": date_to})
    check_window(window)
    names = tuple(check_cohort(c.strip()) for c in cohorts.split(",") if c.strip())
    if not names:
        raise UsageError("--cohorts: name at least one cohort, e.g. sth,lth")
    _done(bands_chart(store_from(ctx), chain, date_from, date_to, out, window, names, (width, height),
                      token=token, asset=asset, method=method))


@chart_app.command("urpd")
def urpd_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="Day (YYYY-MM-DD); default: the last stored day."),
    out: Path = OutPng,
    price: Optional[float] = typer.Option(None, "--price", help="Mark this USD price instead of the day's."),
    chain: Optional[str] = ChainOpt,
    span: float = typer.Option(2.5, "--span", help="Show creation prices from price/SPAN to price*SPAN."),
    window: int = typer.Option(365, "--window", help="Days of STH-MVRV history for the ±σ bands."),
    width: int = WidthOpt, height: int = HeightOpt,
    token: Optional[str] = TokenOpt, asset: Optional[str] = EvmAssetOpt, method: Optional[str] = MethodOpt,
):
    """URPD (live supply by creation price) as a horizontal histogram with the price and the bands marked.

    On an EVM chain (--chain ethereum) the creation price is the holder's cost basis (--method avg|fifo) and supply is in ETH or, with --token ADDR --asset NAME, in token units.

    Example: costbasis chart urpd --asof 2026-01-20 --out urpd.png

    Example: costbasis chart urpd --chain ethereum --out eth_urpd.png
    """
    from costbasis.charts.urpd_chart import urpd_chart

    check_dates(**{"--asof": asof})
    check_price(price)
    if not (check_range(span, "--span", SPAN_MAX, positive=True) > 1):
        raise UsageError("--span must be greater than 1")
    _done(urpd_chart(store_from(ctx), chain, asof, out, price, span, window, (width, height),
                     token=token, asset=asset, method=method))


@chart_app.command("whales")
def whales_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)."),
    out: Path = OutPng,
    chain: Optional[str] = ChainOpt,
    min_btc: Optional[float] = typer.Option(None, "--min-btc", help="Whale deposit: at least this many BTC (default 100)."),
    min_usd: Optional[float] = typer.Option(None, "--min-usd", help="Whale deposit: at least this many USD (instead of --min-btc)."),
    window: int = typer.Option(30, "--window", help="Trailing days for the z-score."),
    z: float = typer.Option(2.0, "--z", help="z-score that makes a signal day."),
    width: int = WidthOpt, height: int = HeightOpt,
    min_amount: Optional[float] = typer.Option(None, "--min-amount", help="EVM only: deposit threshold in coins (ETH or token units; default 1000)."),
    whale_amount: Optional[float] = typer.Option(None, "--whale-amount", help="EVM only: a source holding at least this much is a whale (default 10000)."),
    token: Optional[str] = TokenOpt, asset: Optional[str] = EvmAssetOpt, method: Optional[str] = MethodOpt,
):
    """Daily whale deposits to exchanges (USD bars) and their z-score against a trailing window.

    On an EVM chain (--chain ethereum) deposits are as in `costbasis whales --chain ethereum` (--min-amount or --min-usd, --whale-amount).

    Example: costbasis chart whales --from 2026-01-01 --to 2026-01-31 --out whales.png

    Example: costbasis chart whales --chain ethereum --min-amount 500 --out eth_whales.png
    """
    from costbasis.charts.whales_chart import whales_chart

    _done(whales_chart(store_from(ctx), chain, date_from, date_to, out, (width, height), min_btc=min_btc,
                       min_usd=min_usd, min_amount=min_amount, whale_amount=whale_amount, window=window, z=z,
                       token=token, asset=asset, method=method))


@chart_app.command("context")
def context_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: the first stored day."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day; default: the last stored day."),
    out: Path = OutPng, chain: Optional[str] = ChainOpt,
    width: int = WidthOpt, height: int = typer.Option(1000, "--height", help="Image height in pixels."),
):
    """Price with the 1d–1w, 1w–1m, 1m–3m cost bases and the STH realized price, whale-deposit spikes marked, over
    panels of imported context per UTC day: long/short liquidations and spot-ETF net flows (costbasis context import).

    Example: costbasis chart context --from 2025-12-01 --to 2026-01-22 --out context.png
    """
    from costbasis.charts.context_chart import context_chart

    check_dates(**{"--from": date_from, "--to": date_to})
    _done(context_chart(store_from(ctx), chain, date_from, date_to, out, (width, height)))


def register(app: typer.Typer) -> None:
    app.add_typer(chart_app, name="chart")
