"""`costbasis ingest evm`: EVM chain blocks, transactions, ETH and ERC-20 transfers from a JSON-RPC node.

The `ingest` group lives in costbasis/cli/ingest.py, which calls `register_evm(ingest_app)`.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from costbasis.cli.common import store_from

HELP = """Ingest an EVM chain (Ethereum or any EVM chain) from a JSON-RPC node into the store.

Writes blocks, transactions (status, gas fee), native_transfers (top-level and internal
ETH transfers from trace_block / debug_traceBlockByNumber) and erc20_transfers (Transfer
logs) under <cache>/<chain>/, one file per block range. Resumes from the stored tip, writes
only blocks at least --confirmations deep, and rolls back a reorganised range.

Example: costbasis ingest evm --rpc-url http://127.0.0.1:8545 --chain ethereum --confirmations 12
"""


def evm_command(
    ctx: typer.Context,
    rpc_url: str = typer.Option(..., "--rpc-url", envvar="COSTBASIS_EVM_RPC", help="Node JSON-RPC URL (http/https)."),
    chain: str = typer.Option("ethereum", "--chain", help="Store chain name (ethereum or any EVM chain name)."),
    start: Optional[int] = typer.Option(None, "--start", min=0, help="First block when the store is empty (default 0)."),
    end: Optional[int] = typer.Option(None, "--end", min=0, help="Last block (default: node head - confirmations)."),
    confirmations: int = typer.Option(12, "--confirmations", min=0, help="Only write blocks this deep below the head."),
    tokens: Optional[str] = typer.Option(None, "--tokens", help="Comma-separated ERC-20 contract addresses (default: all)."),
    batch_size: int = typer.Option(100, "--batch-size", min=1, help="Max requests per JSON-RPC batch (adapts down)."),
    workers: int = typer.Option(4, "--workers", min=1, help="Concurrent JSON-RPC batches."),
    blocks_per_file: int = typer.Option(1000, "--blocks-per-file", min=1, help="Block range per Parquet file."),
    traces: str = typer.Option("auto", "--traces", help="Internal transfers: auto|parity (trace_block)|geth (callTracer)|none."),
):
    from costbasis.evm.ingest import ingest_evm

    store = store_from(ctx)
    token_list = [t.strip() for t in tokens.split(",") if t.strip()] if tokens else None
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]ingest evm[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(chain, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        res = ingest_evm(store, rpc_url, chain=chain, start=start, end=end, confirmations=confirmations,
                         tokens=token_list, batch_size=batch_size, workers=workers,
                         blocks_per_file=blocks_per_file, traces=traces, progress=progress)
    if res.rolled_back_to is not None:
        typer.echo(f"reorg: rolled {chain} back to block {res.rolled_back_to}")
    if res.blocks == 0:
        tip = store.chain(chain).tip()
        typer.echo(f"{chain}: up to date at block {tip[0] if tip else 'none'} (node head {res.head}, "
                   f"{confirmations} confirmations)")
        return
    rows = ", ".join(f"{k} {v}" for k, v in res.rows.items())
    typer.echo(f"{chain}: blocks {res.first}-{res.last} ({res.blocks} blocks; {rows}; traces {res.trace_mode}) "
               f"in {res.seconds:.1f}s")


def register_evm(ingest_app: typer.Typer) -> None:
    ingest_app.command("evm", help=HELP)(evm_command)
