"""`costbasis prices import|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render

prices_app = typer.Typer(help="Import and inspect USD price series.\n\nExample: costbasis prices import btc_usd_daily.csv --asset BTC",
                         no_args_is_help=True)


@prices_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or Parquet: Coin Metrics, CoinGecko, yfinance or date,price_usd."),
    asset: str = typer.Option("BTC", "--asset", help="Asset ticker the prices belong to."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Override the detected date/time column."),
    price_column: Optional[str] = typer.Option(None, "--price-column", help="Override the detected price column."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Import (upsert by date) a price file; a bad row aborts with its line number and writes nothing.

    Example: costbasis prices import ../shared/data/prices/btc_usd_daily.csv --asset BTC
    """
    from costbasis.prices.importer import import_prices
    s = import_prices(store_from(ctx), file, asset, time_column, price_column)
    if fmt == "table":  # one wide row reads badly in a terminal: show it as field/value pairs
        t = pa.table({"field": list(s), "value": [str(v) for v in s.values()]})
    else:
        t = pa.Table.from_pylist([s])
    render(t, fmt, out, title=f"{s['asset']} prices imported")


@prices_app.command("show")
def show_cmd(
    ctx: typer.Context,
    asset: str = typer.Option("BTC", "--asset", help="Asset ticker."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Show price coverage: first/last date, number of dates, gaps.

    Example: costbasis prices show --asset BTC
    """
    from costbasis.prices import load_prices
    from costbasis.prices.coverage import coverage
    c = coverage(load_prices(store_from(ctx), asset))
    gaps = "; ".join(f"{a}..{b}" if a != b else f"{a}" for a, b in c["gaps"][:20])
    if len(c["gaps"]) > 20:
        gaps += f"; ... ({len(c['gaps']) - 20} more)"
    row = {"asset": asset.upper(), "first_date": c["first_date"], "last_date": c["last_date"], "dates": c["dates"],
           "missing_dates": c["missing_dates"], "gap_count": len(c["gaps"]), "gaps": gaps or "none",
           "min_price_usd": c["min_price_usd"], "max_price_usd": c["max_price_usd"]}
    render(pa.Table.from_pylist([row]), fmt, out, title=f"{asset.upper()} price coverage")


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")
