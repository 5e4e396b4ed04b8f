"""`costbasis flows`: exchange inflow, outflow and netflow per day or hour."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import ChainOpt, TokenOpt
from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.context_opts import WithOpt, with_context
from costbasis.cli.output import render


def flows_cmd(
    ctx: typer.Context,
    date_from: Optional[str] = typer.Option(None, "--from", help="First UTC day, YYYY-MM-DD."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last UTC day, YYYY-MM-DD (inclusive)."),
    entity: Optional[str] = typer.Option(None, "--entity", help="Only this exchange (case-insensitive)."),
    by: str = typer.Option("day", "--by", help="Period: day | hour."),
    per_entity: bool = typer.Option(False, "--per-entity", help="One row per exchange instead of all together."),
    with_: Optional[str] = WithOpt,
    chain: Optional[str] = ChainOpt,
    token: Optional[str] = TokenOpt,
    asset: Optional[str] = typer.Option(None, "--asset", help="EVM only: price series for the USD columns (default ETH)."),
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """Exchange inflow/outflow/netflow (BTC and USD at the day's price), tx counts, inflow mean,
    top-10 inflow sum and exchange whale ratio (top-10 / total). Transfers inside one exchange are not flows.

Every day (or hour) from the first to the last stored block inside --from/--to is a row, with zeros when nothing moved (whale_ratio and inflow mean empty without inflow); with --per-entity, every day for every exchange that has flows in the store.

    On an EVM chain (--chain ethereum) exchanges are the imported labels with chain=ethereum; amounts have no unit suffix (inflow, outflow, netflow): ETH, or whole token units with --token ADDR --asset NAME. USD columns are empty until that asset's prices are imported.

    Example: costbasis flows --chain ethereum --per-entity

    Example: costbasis flows --from 2026-01-01 --to 2026-01-31 --entity Binance

    Example: costbasis flows --from 2026-01-15 --to 2026-01-22 --with exchange_netflow_btc,net_taker_btc
    """
    from costbasis.engine import api

    t = api.flows(store_from(ctx), chain, date_from=date_from, date_to=date_to, entity=entity, by=by,
                  per_entity=per_entity, token=token, asset=asset)
    render(with_context(ctx, t, with_), fmt, out, title=f"exchange flows per {by}" + (f" ({entity})" if entity else ""))


def register(app: typer.Typer) -> None:
    app.command("flows")(flows_cmd)
