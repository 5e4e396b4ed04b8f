"""`--with a,b,c`: the one declaration of the option every daily on-chain command takes
(cohorts, flows, whales, bands --from/--to, sopr), and the call that applies it."""

from __future__ import annotations

from typing import Optional

import typer

WITH_HELP = (
    "Add imported context series (see `costbasis context list`) as columns for the same UTC days, "
    "e.g. etf_flow_total_usd,long_liquidations_usd,dxy (a name held by several series: series.metric). "
    "Flows are summed within the day (ETF flows, volumes, taker buy/sell/net, liquidations, exchange "
    "in/out/netflow); levels take the day's last value (closes, index values such as DXY, funding rates, "
    "open interest, ratios; an OHLC's open/high/low its first/max/min). A day without context data is empty "
    "(null), never 0.")


def _check(ctx: typer.Context, value: Optional[str]) -> Optional[str]:
    # names are checked against the store while the command line is parsed, before any engine work
    if value is not None and not ctx.resilient_parsing:
        from costbasis.cli.common import store_from
        from costbasis.context.join import parse_with

        parse_with(store_from(ctx.find_root()), value)
    return value


WithOpt = typer.Option(None, "--with", metavar="A,B,C", help=WITH_HELP, callback=_check)


def with_context(ctx: typer.Context, table, value: Optional[str]):
    """`table` with the --with columns added (unchanged without --with)."""
    if value is None:
        return table
    from costbasis.cli.common import store_from
    from costbasis.context.join import add_context, parse_with

    store = store_from(ctx)
    return add_context(store, table, parse_with(store, value))
