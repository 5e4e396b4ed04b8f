"""`costbasis labels import|list|expand`: exchange address labels and their expansion."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import FormatOpt, OutOpt, store_from
from costbasis.cli.output import render

labels_app = typer.Typer(
    help="Address labels (exchanges...): import, list, expand by heuristics.\n\n"
    "Example: costbasis labels import exchange_address_labels.csv",
    no_args_is_help=True,
)


@labels_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or Parquet with columns chain,address,entity,label_type (extra columns kept)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows and skip invalid addresses (listed on stderr)."),
):
    """Import labels; every address is checksum-checked first, nothing is written if one is invalid.

    Example: costbasis labels import ../shared/data/labels/exchange_address_labels.csv --skip-invalid
    """
    from costbasis.labels.importer import import_labels

    res = import_labels(store_from(ctx), file, skip_invalid=skip_invalid)
    for line, why in res.skipped:
        print(f"skipped line {line}: {why}", file=sys.stderr)
    chains = ", ".join(f"{c}: {n}" for c, n in sorted(res.by_chain.items()))
    print(f"imported {res.imported} labels ({chains}); skipped {len(res.skipped)}; {res.total_labels} labels stored")


@labels_app.command("list")
def list_cmd(
    ctx: typer.Context,
    entity: Optional[str] = typer.Option(None, "--entity", help="Only this entity (case-insensitive)."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Only this chain (bitcoin, ethereum, bitcoin-regtest...)."),
    heuristic: Optional[str] = typer.Option(None, "--heuristic", help="import | sweep | common_input"),
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """List stored labels.

    Example: costbasis labels list --entity Binance --chain bitcoin --format csv
    """
    from costbasis.labels.importer import list_labels

    from costbasis.store.names import validate_chain_name
    if chain is not None:
        validate_chain_name(chain)  # "" is a bad name, not "every chain"
    t = list_labels(store_from(ctx), entity=entity, chain=chain, heuristic=heuristic)
    if fmt == "table":
        t = t.drop_columns(["script"])
    render(t, fmt, out, title="labels")


@labels_app.command("expand")
def expand_cmd(
    ctx: typer.Context,
    chain: Optional[str] = typer.Option(None, "--chain", help="Bitcoin chain in the store (default: the only one)."),
    fmt: str = FormatOpt,
    out: Optional[Path] = OutOpt,
):
    """Derive exchange addresses (sweep heuristic + common-input clustering) and store them as labels.

    Prints how many addresses each heuristic added per entity.
    Example: costbasis labels expand --chain bitcoin
    """
    from costbasis.engine.api import expand_labels

    from costbasis.store.names import validate_chain_name
    if chain is not None:
        validate_chain_name(chain)  # "" is a bad name, not "the only chain"
    res = expand_labels(store_from(ctx), chain=chain, progress=fmt == "table" and out is None)
    print(f"clusters: {res.clusters} multi-address clusters over {res.addresses} input scripts; "
          f"{res.coinjoins_skipped} CoinJoin-shaped txs skipped; {res.conflicts} conflicting clusters left unlabeled",
          file=sys.stderr)
    render(res.counts, fmt, out, title="labels added per heuristic and entity")


def register(app: typer.Typer) -> None:
    app.add_typer(labels_app, name="labels")
