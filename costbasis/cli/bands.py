"""`costbasis bands`: support and resistance levels from holder cost basis."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import typer

from costbasis.cli.chains import ChainOpt, EvmAssetOpt, MethodOpt, TokenOpt
from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.context_opts import WithOpt, with_context
from costbasis.cli.output import render
from costbasis.errors import UsageError

_KIND_STYLE = {"support": "green", "resistance": "red", "at_price": "yellow"}
PRICE_MARK = "▶ price"


def with_price_row(table: pa.Table, price: float, label: str) -> pa.Table:
    """Insert a marker row for the current price at its place in the (descending) ladder."""
    rows = table.to_pylist()
    mark = dict.fromkeys(table.schema.names)   # the supply column is the family's (supply_btc or supply)
    mark.update(name=PRICE_MARK, low_usd=price, high_usd=price, kind="price", source="", distance_pct=0.0, note=label)
    i = next((i for i, r in enumerate(rows) if (r["low_usd"] + r["high_usd"]) / 2 < price), len(rows))
    rows.insert(i, mark)
    return pa.Table.from_pylist(rows, schema=table.schema)


def for_terminal(table: pa.Table) -> pa.Table:
    """Table view: one `range_usd` column instead of low_usd/high_usd, to leave room for the note."""
    lows, highs = table["low_usd"].to_pylist(), table["high_usd"].to_pylist()
    rng = [f"{a:,.0f}" if a == b else f"{a:,.0f} – {b:,.0f}" for a, b in zip(lows, highs)]
    t = table.drop_columns(["low_usd", "high_usd"])
    return t.add_column(1, "range_usd", pa.array(rng, pa.string()))


def print_ladder(table: pa.Table, title: str, out: Path | None) -> None:
    """Rich table where every column but the note keeps one line, so the note gets the room
    (cli.output.render splits the width evenly, which folds the notes into tall cells)."""
    import io

    from rich.console import Console
    from rich.table import Table as RTable

    from costbasis.cli.output import _fmt_cell
    from costbasis.store.atomic import atomic_write_bytes

    rt = RTable(title=title, header_style="bold")
    for f in table.schema:
        numeric = pa.types.is_floating(f.type)
        rt.add_column(f.name, justify="right" if numeric else "left", no_wrap=f.name != "note",
                      ratio=1 if f.name == "note" else None, min_width=30 if f.name == "note" else None)
    for r in table.to_pylist():
        rt.add_row(*(_fmt_cell(v) for v in r.values()), style=_highlight(r))
    if out is None:
        Console(width=max(160, Console().width)).print(rt)
        return
    buf = io.StringIO()
    Console(file=buf, width=220, no_color=True).print(rt)
    atomic_write_bytes(Path(out), buf.getvalue().encode())


def _highlight(row: dict):
    if row["name"] == PRICE_MARK:
        return "bold reverse"
    return _KIND_STYLE.get(row["kind"])


def _progress():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # on stderr, so csv/json on stdout stay clean; none when stderr is not a terminal
    console = Console(stderr=True)
    if not console.is_terminal:
        return None
    return Progress(TextColumn("bands per day"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    transient=True, console=console)


def bands_cmd(
    ctx: typer.Context,
    asof: Optional[str] = typer.Option(None, "--asof", help="Day (YYYY-MM-DD, UTC); default: the last stored day."),
    price: Optional[float] = typer.Option(None, "--price", help="Classify against this USD price instead of the day's."),
    chain: Optional[str] = ChainOpt,
    window: int = typer.Option(365, "--window", help="Days of STH-MVRV history for the ±σ bands."),
    quantiles: str = typer.Option("75,85,95", "--quantiles", help="STH cost-basis percentiles used as levels."),
    merge_pct: float = typer.Option(0.5, "--merge-pct", help="Merge point levels closer than this many percent."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First day of a per-day range (long format)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day of a per-day range (long format)."),
    no_urpd: bool = typer.Option(False, "--no-urpd", help="Range mode: skip URPD clusters/air gaps and supply (faster)."),
    token: Optional[str] = TokenOpt,
    asset: Optional[str] = EvmAssetOpt,
    method: Optional[str] = MethodOpt,
    with_: Optional[str] = WithOpt,
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Support and resistance levels around the price: cohort realized prices, STH ±σ bands, STH cost-basis quantiles and URPD clusters/air gaps, each with its supply and distance.

    kind is support (below the price), resistance (above) or at_price (price inside the band); distance_pct is signed from the price to the nearest edge; supply_btc is the supply created inside the band (within ±0.5% for a single-price level). Levels closer than --merge-pct are merged and the note says so.

    With --from/--to: one set of levels per day, each against that day's price, with date and price_usd columns (long format for pipelines).

    On an EVM chain (--chain ethereum) the levels come from the account-model engine (holder cost basis by --method avg|fifo) and the supply column is `supply` (no unit suffix: ETH, or whole token units with --token ADDR --asset NAME).

    Example: costbasis bands --chain ethereum --asof 2026-01-20

    Example: costbasis bands --asof 2026-01-20 --price 90000

    Example: costbasis bands --from 2026-01-20 --to 2026-01-22 --no-urpd --with dxy,funding_rate_pct
    """
    from costbasis.engine import api

    if with_ is not None and date_from is None and date_to is None:
        raise UsageError("--with adds context per day: use it with --from/--to")
    common = dict(window=window, quantiles=quantiles, merge_pct=merge_pct, token=token, asset=asset, method=method)
    if date_from is not None or date_to is not None:
        if asof is not None or price is not None:
            raise UsageError("use either --asof/--price or --from/--to, not both")
        prog = _progress()
        if prog is None:
            t = api.bands_series(store_from(ctx), chain, date_from=date_from, date_to=date_to,
                                 with_urpd=not no_urpd, **common)
        else:
            with prog:
                task = prog.add_task("days", total=None)
                t = api.bands_series(store_from(ctx), chain, date_from=date_from, date_to=date_to,
                                     with_urpd=not no_urpd, **common,
                                     progress=lambda i, n: prog.update(task, completed=i, total=n))
        render(with_context(ctx, t, with_), fmt, out, title=f"Bands per day {date_from} to {date_to}")
        return
    t = api.bands(store_from(ctx), chain, asof=asof, price=price, **common)
    meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
    p = float(meta["price_usd"])
    day = meta["date"]
    if fmt == "table":
        src = "--price" if price is not None else f"close of {day}"
        shown = for_terminal(with_price_row(t.replace_schema_metadata(None), p, f"current price ({src})"))
        print_ladder(shown, f"Support and resistance, {meta['chain']} as of {day}, price ${p:,.0f}", out)
    else:
        render(t, fmt, out)


def register(app: typer.Typer) -> None:
    app.command("bands")(bands_cmd)
