"""`costbasis brief`: the market brief for a day, every sentence a figure from the engine with its source."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import store_from


def _fmt_cb(ctx: typer.Context, value: str) -> str:
    from costbasis.brief.render import FORMATS
    from costbasis.errors import UsageError

    if not ctx.resilient_parsing and value not in FORMATS:
        raise UsageError(f"unknown --format {value!r}; use one of {', '.join(FORMATS)}")
    return value


def _out_cb(ctx: typer.Context, value: Optional[Path]) -> Optional[Path]:
    if value is not None and not ctx.resilient_parsing:
        from costbasis.cli.common import check_output
        check_output(ctx, None, value)
    return value


def brief_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="Day (YYYY-MM-DD, UTC); default: the last stored day."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Stored Bitcoin chain (default: the only one)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | markdown.", callback=_fmt_cb),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to FILE instead of stdout.", callback=_out_cb),
):
    """The market brief for a day, one sentence per figure, each with its source: price and its 24 h change; the
    price against the 1d–1w, 1w–1m and 1m–3m cost bases and the STH realized price; the nearest support below and
    resistance above (bands); whale deposits to exchanges on the day, their z-score and the largest deposit day of the
    past 7; exchange netflow; and, from imported context (costbasis context import): long vs short liquidations (the
    day and its largest hour when the series is hourly), spot-ETF net flows of the last two sessions, net taker
    volume, funding and DXY with its change. A figure without data drops its sentence (null in --format json, which
    gives every figure as a field).

    Example: costbasis brief --asof 2026-01-22

    Example: costbasis brief --asof 2026-01-20 --format json --out brief.json
    """
    from costbasis.brief.build import build
    from costbasis.brief.render import render
    from costbasis.cli.output import write_out
    from costbasis.dates import parse_date

    parse_date(asof, "--asof")
    text = render(build(store_from(ctx), asof, chain), fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_out(out, text.encode())


def register(app: typer.Typer) -> None:
    app.command("brief")(brief_cmd)
