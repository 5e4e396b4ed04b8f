"""`costbasis check`: verify the store against its manifests (and repair it)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from


def check_cmd(
    ctx: typer.Context,
    repair: bool = typer.Option(False, "--repair", help="Roll damaged chains back to their last sound height "
                                "(the next ingest fetches the rest again) and drop stale derived state."),
    fmt: str = FormatOpt, out: Optional[Path] = OutOpt,
):
    """Verify every manifest-listed file (exists, size, Parquet footer, row count, height range),
    every derived state's stamp, and the imported datasets. Exit 1 while problems remain.

    Example: costbasis check --repair
    """
    from costbasis.cli.output import render
    from costbasis.engine import api

    store = store_from(ctx)
    findings = api.check(store, repair=repair)
    if findings.num_rows == 0:
        typer.echo(f"store {store.root}: every file matches its manifest; derived state is current", err=True)
        if fmt != "table":
            render(findings, fmt, out)
        return 0
    render(findings, fmt, out, title=f"costbasis check {store.root}")
    unrepaired = [a for a in findings["action"].to_pylist() if not a.startswith(("rolled back", "removed"))]
    if unrepaired:
        typer.echo(f"error: {len(unrepaired)} problem(s) remain"
                   + ("" if repair else "; run `costbasis check --repair`"), err=True)
        raise typer.Exit(1)
    return 0


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
