"""`costbasis demo`: the whole story on a simulated market, through the production code paths."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc
import typer

from costbasis.cli.bands import for_terminal, print_ladder, with_price_row
from costbasis.cli.output import render

COHORT_COLUMNS = ["cohort", "supply_btc", "realized_price_usd", "price_usd", "mvrv", "supply_in_profit_pct"]
SHOWN_COHORTS = ["<1d", "1d-1w", "1w-1m", "1m-3m", "3m-6m", "6m-12m", "1y-2y", "2y-3y", "3y-5y", "5y-7y",
                 "sth", "lth", "all"]


def demo(
    seed: int = typer.Option(7, "--seed", help="Seed of the simulated market (same seed, same bytes)."),
    days: int = typer.Option(120, "--days", help="Length of the active market window in days (>= 50)."),
    out: Path = typer.Option(Path("demo_out"), "--out", help="Folder for the datadir, the store, prices and labels."),
    charts: Optional[Path] = typer.Option(None, "--charts", help="Also write bands.png, urpd.png, whales.png here."),
    context: Optional[str] = typer.Option(None, "--context", metavar="DIR|simulated",
                                          help="Market-context exports to import (default: ../shared/data/context when "
                                               "present, else a simulated context for the window)."),
    serve: bool = typer.Option(False, "--serve", help="Then serve the demo store (API and dashboard, as `costbasis serve`) until Ctrl-C."),
    port: int = typer.Option(8750, "--port", help="With --serve: TCP port on 127.0.0.1 (0: any free port)."),
):
    """Simulate a January-2026-shaped market as real regtest blocks, ingest and analyse it.

    Then prints `costbasis brief` for the last day, with the market context of ../shared/data/context (or --context
    DIR) imported, or a simulated one (--context simulated, or when that folder is absent).

    Example: costbasis demo --days 120 --charts demo_out/charts

    Example: costbasis demo --context ../shared/data/context

    Example: costbasis demo --serve
    """
    from costbasis.demo.run import run_demo
    from rich.console import Console

    console = Console(stderr=True)
    sock = None
    if serve:  # the port is taken now, before the demo writes anything
        from costbasis.cli.serve import bind
        sock = bind("127.0.0.1", port)
    ctx_arg = None if context == "simulated" else "auto" if context is None else Path(context)
    res = run_demo(out, seed=seed, days=days, charts=charts, log=lambda m: console.print(m, highlight=False),
                   context=ctx_arg)
    cohorts = res.cohorts.filter(pc.is_in(res.cohorts["cohort"], pa.array(SHOWN_COHORTS)))
    render(cohorts.select(COHORT_COLUMNS), "table", None, title=f"Cohort cost basis as of {res.end}")
    price = res.cohorts.filter(pc.equal(res.cohorts["cohort"], "all"))["price_usd"][-1].as_py()
    ladder = with_price_row(res.bands, price, f"price on {res.end}")
    print_ladder(for_terminal(ladder), f"Support and resistance as of {res.end}", None)
    sig = res.whales.filter(pc.field("signal")) if res.whales.num_rows else res.whales
    render(sig, "table", None, title="Whale deposit spikes (to spot exchanges)")
    print(f"\nReading: {res.reading}")
    print(f"\n{res.brief}", end="")
    if res.charts:
        print("Charts: " + ", ".join(str(p) for p in res.charts))
    print(f"Store: {res.cache}  (try: costbasis --cache {res.cache} bands --asof {res.end})")
    if sock is not None:
        from costbasis.cli.serve import serve as serve_store
        serve_store(res.cache, "127.0.0.1", sock=sock)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
