"""`costbasis chart bands|urpd|whales`: PNG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import check_number, store_from
from costbasis.errors import CostbasisError

chart_app = typer.Typer(
    help="Draw PNG charts: price against holder cost basis, URPD with bands, whale deposits.\n\n"
         "Example: costbasis chart bands --from 2025-01-01 --to 2026-01-20 --out bands.png",
    no_args_is_help=True)

OutPng = typer.Option(..., "--out", "-o", help="PNG file to write.")
WidthOpt = typer.Option(1400, "--width", help="Image width in pixels.")
HeightOpt = typer.Option(800, "--height", help="Image height in pixels.")
ChainOpt = typer.Option(None, "--chain", help="Stored chain (default: the only bitcoin chain).")


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
):
    """Price, cohort realized prices and the STH cost-basis ±1σ/±2σ band areas on a log axis.

    Example: costbasis chart bands --from 2025-01-01 --to 2026-01-20 --out bands.png
    """
    from costbasis.charts.bands_chart import bands_chart

    from costbasis.bands.inputs import check_window
    from costbasis.engine.age_bands import check_cohort

    check_window(window)
    names = tuple(check_cohort(c.strip()) for c in cohorts.split(",") if c.strip())
    if not names:
        raise CostbasisError("--cohorts: name at least one cohort, e.g. sth,lth")
    _done(bands_chart(store_from(ctx), chain, date_from, date_to, out, window, names, (width, height)))


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
):
    """URPD (live supply by creation price) as a horizontal histogram with the price and the bands marked.

    Example: costbasis chart urpd --asof 2026-01-20 --out urpd.png
    """
    from costbasis.charts.urpd_chart import urpd_chart

    check_number(price, "--price", positive=True)
    if not (check_number(span, "--span", positive=True) > 1):
        raise CostbasisError("--span must be greater than 1")
    _done(urpd_chart(store_from(ctx), chain, asof, out, price, span, window, (width, height)))


@chart_app.command("whales")
def whales_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)."),
    out: Path = OutPng,
    chain: Optional[str] = ChainOpt,
    min_btc: Optional[float] = typer.Option(100, "--min-btc", help="Whale deposit: at least this many BTC."),
    min_usd: Optional[float] = typer.Option(None, "--min-usd", help="Whale deposit: at least this many USD (instead of --min-btc)."),
    window: int = typer.Option(30, "--window", help="Trailing days for the z-score."),
    z: float = typer.Option(2.0, "--z", help="z-score that makes a signal day."),
    width: int = WidthOpt, height: int = HeightOpt,
):
    """Daily whale deposits to exchanges (USD bars) and their z-score against a trailing window.

    Example: costbasis chart whales --from 2026-01-01 --to 2026-01-31 --out whales.png
    """
    from costbasis.charts.whales_chart import whales_chart

    check_number(min_btc, "--min-btc")
    check_number(min_usd, "--min-usd")
    check_number(z, "--z")
    if min_usd is not None:
        min_btc = None
    _done(whales_chart(store_from(ctx), chain, date_from, date_to, out, (width, height),
                       min_btc=min_btc, min_usd=min_usd, window=window, z=z))


def register(app: typer.Typer) -> None:
    app.add_typer(chart_app, name="chart")
