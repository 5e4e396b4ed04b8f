"""`costbasis cohorts`: realized price, MVRV, cost-basis spread per age cohort per day."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import AssetOpt, ChainOpt, MethodOpt, TokenOpt
from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.context_opts import WithOpt, with_context
from costbasis.cli.output import render
from costbasis.cli.notes import note_without_price, working


def cohorts_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="One date (YYYY-MM-DD, UTC): blocks with time <= 23:59:59."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First date of a daily series (default: first block)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date of a daily series (default: last block)."),
    holder_split: str = typer.Option("hard", "--holder-split", help="STH/LTH split: hard (155 d) or logistic."),
    chain: Optional[str] = ChainOpt,
    cohort: Optional[str] = typer.Option(None, "--cohort", help="Only this cohort (e.g. sth, 1m-3m)."),
    quantiles: Optional[str] = typer.Option(None, "--quantiles", help="Add supply-weighted creation-price percentiles, e.g. 5,25,50,75,95."),
    asset: Optional[str] = AssetOpt,
    token: Optional[str] = TokenOpt,
    method: Optional[str] = MethodOpt,
    with_: Optional[str] = WithOpt,
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """One row per (date, cohort): supply, realized cap/price, MVRV, cost-basis std, % supply in profit.

    Cohorts: <1d 1d-1w 1w-1m 1m-3m 3m-6m 6m-12m 1y-2y 2y-3y 3y-5y 5y-7y 7y-10y >10y sth lth all.
    Without --asof/--from/--to the whole history is computed (one row per day and cohort).

    On an EVM chain (--chain ethereum) each address's holding is aged by its value-weighted average acquisition time (--method avg) or each FIFO lot's time (--method fifo); amounts have no unit suffix (`supply`): ETH, or whole token units with --token ADDR --asset NAME.

    Example: costbasis cohorts --chain ethereum --method fifo --asof 2024-01-01

    Example: costbasis cohorts --asof 2024-01-01 --quantiles 5,50,95

    Example: costbasis cohorts --from 2026-01-15 --to 2026-01-22 --cohort sth --with etf_flow_total_usd,dxy
    """
    from costbasis.engine import api

    with working("computing cohorts"):
        t = api.cohorts(store_from(ctx), chain, asof=asof, date_from=date_from, date_to=date_to,
                        holder_split=holder_split, quantiles=quantiles, cohort=cohort, asset=asset,
                        token=token, method=method)
    note_without_price(t)
    render(with_context(ctx, t, with_), fmt, out, title="Cohorts")


def register(app: typer.Typer) -> None:
    app.command("cohorts")(cohorts_cmd)
