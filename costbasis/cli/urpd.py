"""`costbasis urpd`: live supply by creation-price bucket as of a date."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.notes import note_without_price, working
from costbasis.cli.output import render


def urpd_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="Date (YYYY-MM-DD, UTC); default: the last block's date."),
    cohort: str = typer.Option("all", "--cohort", help="all|sth|lth|<band> such as 1m-3m."),
    buckets: Optional[int] = typer.Option(None, "--buckets", help="Equal buckets from 0 to the all-time high (default 100)."),
    log_buckets: Optional[int] = typer.Option(None, "--log-buckets", help="N log-spaced buckets instead."),
    bucket_usd: Optional[float] = typer.Option(None, "--bucket-usd", help="Fixed bucket width in USD instead."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored chain (default: the only bitcoin chain)."),
    asset: str = typer.Option("BTC", "--asset", help="Price series to use."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """UTXO realized price distribution: supply by creation-price bucket, with realized cap and in_profit.

    Example: costbasis urpd --asof 2024-01-01 --cohort sth --log-buckets 60
    """
    from costbasis.engine.urpd import urpd
    if buckets is not None and (log_buckets is not None or bucket_usd is not None):
        from costbasis.errors import CostbasisError
        raise CostbasisError("use only one of --buckets, --log-buckets, --bucket-usd")
    with working("computing URPD"):
        t = urpd(store_from(ctx), chain, asof, cohort, buckets, log_buckets, bucket_usd, asset)
    note_without_price(t)
    render(t, fmt, out, title=f"URPD {cohort}")


def register(app: typer.Typer) -> None:
    app.command("urpd")(urpd_cmd)
