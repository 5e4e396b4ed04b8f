"""`costbasis events`: forward returns after a signal against the baseline of all days."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render


def events_cmd(
    ctx: typer.Context,
    signal: str = typer.Option(..., "--signal", help="whale_deposit | netflow_spike | sth_cross_down | sth_cross_up | "
                               "etf_outflow_streak."),
    horizons: str = typer.Option("1,3,7,30", "--horizons", help="Forward horizons in days, comma-separated."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First signal day considered (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last signal day considered (YYYY-MM-DD)."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored Bitcoin chain (default: the only one)."),
    asset: str = typer.Option("BTC", "--asset", help="Price series for the returns."),
    min_btc: float = typer.Option(100, "--min-btc", help="whale_deposit: deposit threshold in BTC."),
    window: int = typer.Option(30, "--window", help="whale_deposit, netflow_spike: trailing days for the z-score."),
    z: float = typer.Option(2.0, "--z", help="whale_deposit, netflow_spike: z-score that makes a signal."),
    streak: int = typer.Option(2, "--streak", help="etf_outflow_streak: consecutive outflow sessions."),
    list_: bool = typer.Option(False, "--list", help="One row per signal day and horizon instead of the statistics."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Event study: for every past signal day, the forward price return at each horizon (and, where imported, spot-ETF
    net flows and long/short liquidations summed over the same horizon), then mean, median, share negative and count,
    beside the same statistics over all days of the range (the baseline: sample `baseline`).

    Signals: whale_deposit (a whales signal day), netflow_spike (net exchange inflow with z >= --z against the trailing
    --window days), sth_cross_down / sth_cross_up (the close crosses the STH realized price), etf_outflow_streak (the
    session completing --streak consecutive ETF outflow sessions). A return needs the price on the day and h days
    later, so the last h days of the range have none.

    Example: costbasis events --signal whale_deposit --horizons 1,3,7,30

    Example: costbasis events --signal etf_outflow_streak --streak 3 --list
    """
    from costbasis.limits import BTC_SUPPLY_MAX, Z_MAX, check_dates, check_range
    from costbasis.context.events import SIGNALS, events, parse_horizons
    from costbasis.errors import UsageError

    if signal not in SIGNALS:
        raise UsageError(f"unknown --signal {signal!r}; use one of {', '.join(SIGNALS)}")
    hs = parse_horizons(horizons)
    check_dates(**{"--from": date_from, "--to": date_to})
    check_range(min_btc, "--min-btc", BTC_SUPPLY_MAX, unit=" BTC (the whole supply)")
    check_range(z, "--z", Z_MAX)
    if not 2 <= window <= 36_525:
        raise UsageError("--window must be 2 to 36525 days")
    t = events(store_from(ctx), signal, hs, chain, date_from, date_to, asset, min_btc, window, z, streak, list_)
    meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
    title = f"{signal}: {meta.get('signal_days', '?')} signal days, {meta.get('from')} to {meta.get('to')}" if meta else signal
    render(t.replace_schema_metadata(None), fmt, out, title=title)
    if meta and fmt == "table" and out is None:
        print(f"{meta['signal_days']} {signal} days from {meta['from']} to {meta['to']}; "
              "baseline = every day of that range", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("events")(events_cmd)
