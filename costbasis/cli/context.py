"""`costbasis context import|list|show`: market-context series (ETF flows, klines, funding,
liquidations, taker volume, index closes, CryptoQuant/CoinGlass exports) in the store."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render

context_app = typer.Typer(
    help="Market context beside the on-chain metrics: import exports (ETF flows, Binance klines and funding, "
         "CoinGlass, CryptoQuant, DXY...), list them, show them per day or hour.\n\n"
         "Example: costbasis context import farside_btc_etf_flows_daily_2024-01-11_2026-04-10.csv",
    no_args_is_help=True)

KIND_HELP = ("Kind of export (default: detected from the header): etf_flows | klines | funding | liquidations | "
             "taker_volume | index | cryptoquant | coinglass | generic.")


@context_app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., metavar="FILE...", help="CSV or JSON exports, read as they are."),
    kind: Optional[str] = typer.Option(None, "--kind", help=KIND_HELP),
    name: Optional[str] = typer.Option(None, "--name", help="Series to store into (default: the file name without "
                                       "its dates); for an index also the metric name (e.g. dxy)."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Import market-context exports as Parquet series (<cache>/context/<name>.parquet); a re-import upserts.

    Read as exported: Farside ETF tables (per-fund and Total in US$ m, stored in USD; also the site's copy-paste form
    with "11 Jan 2024", "(12.3)" negatives, "-" blanks, fee/total rows); Binance klines, the 12-column archive
    layout (spot or USD-M, open_time in ms or µs, with or without header) or a subset such as the 8 columns
    open_time,open,high,low,close,volume,taker_buy_base,taker_buy_quote; Binance funding-rate CSVs (stored as
    percent per interval); CoinGlass CSV/JSON exports (liquidations long/short USD, taker buy/sell USD, open
    interest and funding OHLC, Coinbase premium, ETF flow JSON; ms or s timestamps); CryptoQuant exports
    (Datetime newest first, one or more metric columns, "-" empty); index closes (TradingView/Stooq/FRED/yfinance:
    date + close or value, extra columns ignored); generic time,metric,value[,agg,unit].

    Klines give volume, taker buy, taker sell (= volume - taker buy) and net taker volume (= taker buy - taker sell)
    in the base asset (BTC) and in USD (the USDT quote taken as USD). USD with quote_volume: taker sell USD =
    quote_volume - taker_buy_quote. Without quote_volume (the 8-column subset): taker sell USD is estimated as
    taker-sell BTC x the kline's taker-buy average price (taker_buy_quote / taker_buy_base; the close when nothing
    was bought).

    Every row is checked before anything is written: a bad row is reported with its line number and nothing is stored.
    The series records its kind, each import's file name, SHA-256 and import time; `costbasis context list` shows them.

    Example: costbasis context import binance_um_BTCUSDT-1h_2026-01-08_2026-01-27.csv

    Example: costbasis context import dxy_tvc_daily_2023-01-01_2026-04-16.csv --kind index --name dxy
    """
    import pyarrow as pa

    from costbasis.context.formats import check_kind
    from costbasis.context.importer import import_files
    from costbasis.context.names import check_series_name

    check_kind(kind)
    if name is not None:
        check_series_name(name)
    rows = import_files(store_from(ctx), files, kind, name)
    render(pa.Table.from_pylist(rows), fmt, out, title="context imported")


@context_app.command("list")
def list_cmd(ctx: typer.Context, fmt: str = FormatOpt, out: Optional[Path] = OutOpt):
    """Every stored context series and metric: kind, interval, aggregation (sum = flow, last = level), unit,
    first and last time, rows, source files and the last import time.

    Example: costbasis context list
    """
    from costbasis.context.catalog import list_series

    render(list_series(store_from(ctx)), fmt, out, title="context series")


@context_app.command("show")
def show_cmd(
    ctx: typer.Context,
    metric: str = typer.Option(..., "--metric", help="Metric(s), comma-separated: name or series.name (see `context list`)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First UTC day, YYYY-MM-DD."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last UTC day, YYYY-MM-DD (inclusive)."),
    by: str = typer.Option("day", "--by", help="Period: day | hour. Flows are summed within it, levels take its last value."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """A context series per UTC day or hour. Flows (ETF flows, volumes, taker and liquidation amounts) are summed
    within the period; levels (closes, index values, funding rates, open interest) are the period's last value.
    Only periods with data are rows; a metric missing in a shown period is empty, never 0.

    Example: costbasis context show --metric etf_flow_total_usd --from 2026-01-15 --to 2026-01-23

    Example: costbasis context show --metric net_taker_btc,net_taker_usd --by hour --from 2026-01-20 --to 2026-01-20
    """
    from costbasis.context.show import show

    render(show(store_from(ctx), metric, date_from, date_to, by), fmt, out, title=f"context per {by}")


def register(app: typer.Typer) -> None:
    app.add_typer(context_app, name="context")
