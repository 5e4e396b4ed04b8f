"""`costbasis cohorts`: realized price, MVRV, cost-basis spread per age cohort per day."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render
from costbasis.cli.notes import note_without_price, working


def cohorts_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="One date (YYYY-MM-DD, UTC): blocks with time <= 23:59:59."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First date of a daily series (default: first block)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date of a daily series (default: last block)."),
    holder_split: str = typer.Option("hard", "--holder-split", help="STH/LTH split: hard (155 d) or logistic."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored chain (default: the only bitcoin chain)."),
    cohort: Optional[str] = typer.Option(None, "--cohort", help="Only this cohort (e.g. sth, 1m-3m)."),
    quantiles: Optional[str] = typer.Option(None, "--quantiles", help="Add supply-weighted creation-price percentiles, e.g. 5,25,50,75,95."),
    asset: str = typer.Option("BTC", "--asset", help="Price series to use."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """One row per (date, cohort): supply, realized cap/price, MVRV, cost-basis std, % supply in profit.

    Cohorts: <1d 1d-1w 1w-1m 1m-3m 3m-6m 6m-12m 1y-2y 2y-3y 3y-5y 5y-7y 7y-10y >10y sth lth all.
    Without --asof/--from/--to the whole history is computed (one row per day and cohort).

    Example: costbasis cohorts --asof 2024-01-01 --quantiles 5,50,95
    """
    import pyarrow.compute as pc

    from costbasis.engine.age_bands import check_cohort
    from costbasis.engine.cohorts import cohort_series
    if cohort:
        check_cohort(cohort)
    with working("computing cohorts"):
        t = cohort_series(store_from(ctx), chain, asof, date_from, date_to, holder_split, quantiles, asset)
    if cohort:
        t = t.filter(pc.equal(t["cohort"], cohort))
    note_without_price(t)
    render(t, fmt, out, title="Cohorts")


def register(app: typer.Typer) -> None:
    app.command("cohorts")(cohorts_cmd)
