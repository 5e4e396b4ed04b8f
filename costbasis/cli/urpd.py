"""`costbasis urpd`: live supply by creation-price bucket as of a date."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.chains import AssetOpt, ChainOpt, MethodOpt, TokenOpt
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
    chain: Optional[str] = ChainOpt,
    asset: Optional[str] = AssetOpt,
    token: Optional[str] = TokenOpt,
    method: Optional[str] = MethodOpt,
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """UTXO realized price distribution: supply by creation-price bucket, with realized cap and in_profit.

    On an EVM chain (--chain ethereum) the price axis is each holder's cost basis (the address's average cost for --method avg, the lot's price for fifo) and the supply column is `supply` (no unit suffix: ETH, or whole token units with --token ADDR --asset NAME).

    Example: costbasis urpd --chain ethereum --token 0xdac17f958d2ee523a2206206994597c13d831ec7 --asset USDT

    Example: costbasis urpd --asof 2024-01-01 --cohort sth --log-buckets 60
    """
    from costbasis.engine import api

    with working("computing URPD"):
        t = api.urpd(store_from(ctx), chain, asof=asof, cohort=cohort, buckets=buckets, log_buckets=log_buckets,
                     bucket_usd=bucket_usd, asset=asset, token=token, method=method)
    note_without_price(t)
    render(t, fmt, out, title=f"URPD {cohort}")


def register(app: typer.Typer) -> None:
    app.command("urpd")(urpd_cmd)
