"""`costbasis ingest evm`: EVM chain blocks, transactions, ETH and ERC-20 transfers from a JSON-RPC node.

The `ingest` group lives in costbasis/cli/ingest.py, which calls `register_evm(ingest_app)`.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from costbasis.cli.common import store_from
from costbasis.errors import UsageError
from costbasis.rpc_http import MAX_TIMEOUT, env_number

HELP = """Ingest an EVM chain (Ethereum or any EVM chain) from a JSON-RPC node into the store.

Writes blocks, transactions (status, gas fee), native_transfers (top-level and internal
ETH transfers from trace_block / debug_traceBlockByNumber) and erc20_transfers (Transfer
logs) under <cache>/<chain>/, one file per block range. Resumes from the stored tip, writes
only blocks at least --confirmations deep, and rolls back a reorganised range.

A URL with credentials or an API key is visible to other users in `ps` when given on the
command line: put it in $COSTBASIS_EVM_RPC instead. Messages never show it unredacted.

Example: costbasis ingest evm --rpc-url http://127.0.0.1:8545 --chain ethereum --confirmations 12
"""


def evm_command(
    ctx: typer.Context,
    rpc_url: str = typer.Option(..., "--rpc-url", envvar="COSTBASIS_EVM_RPC",
                                help="Node JSON-RPC URL (http/https). Prefer the environment variable when it holds "
                                     "user:password or an API key (command lines are visible in ps)."),
    chain: str = typer.Option("ethereum", "--chain",
                              help="Store chain name: lower-case letters, digits and '-' (ethereum, polygon, ...)."),
    start: Optional[int] = typer.Option(None, "--start", min=0, help="First block when the store is empty (default 0)."),
    end: Optional[int] = typer.Option(None, "--end", min=0, help="Last block (default: node head - confirmations)."),
    confirmations: int = typer.Option(12, "--confirmations", min=0, help="Only write blocks this deep below the head."),
    tokens: Optional[str] = typer.Option(None, "--tokens", help="Comma-separated ERC-20 contract addresses (default: all)."),
    batch_size: int = typer.Option(100, "--batch-size", min=1, help="Max requests per JSON-RPC batch (adapts down)."),
    workers: int = typer.Option(4, "--workers", min=1, help="Concurrent JSON-RPC batches."),
    blocks_per_file: int = typer.Option(1000, "--blocks-per-file", min=1, help="Block range per Parquet file."),
    traces: str = typer.Option("auto", "--traces", help="Internal transfers: auto|parity (trace_block)|geth (callTracer)|none."),
    rpc_timeout: Optional[float] = typer.Option(None, "--rpc-timeout",
                                                help="Seconds per JSON-RPC request in total, however slowly the node "
                                                     "answers (default $COSTBASIS_RPC_TIMEOUT or 60)."),
    rpc_retries: Optional[int] = typer.Option(None, "--rpc-retries",
                                              help="Retries with backoff per request (default $COSTBASIS_RPC_RETRIES or 5)."),
):
    from costbasis.evm.ingest import check_tokens, ingest_evm
    from costbasis.store.names import validate_chain_name

    # every option is checked before the store or the node is touched
    validate_chain_name(chain)
    if start is not None and end is not None and start > end:
        raise UsageError(f"--start {start} is after --end {end}; nothing to ingest")
    token_list = check_tokens([t for t in tokens.split(",") if t.strip()]) if tokens is not None else None
    timeout = env_number("COSTBASIS_RPC_TIMEOUT", 60.0) if rpc_timeout is None else rpc_timeout
    retries = env_number("COSTBASIS_RPC_RETRIES", 5, integer=True) if rpc_retries is None else rpc_retries
    if not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError(f"--rpc-timeout must be > 0 and <= {MAX_TIMEOUT} seconds, got {timeout:g}")
    if not 0 <= retries <= 100:
        raise UsageError(f"--rpc-retries must be >= 0 and <= 100, got {retries}")
    store = store_from(ctx)
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]ingest evm[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(chain, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        res = ingest_evm(store, rpc_url, chain=chain, start=start, end=end, confirmations=confirmations,
                         tokens=token_list, batch_size=batch_size, workers=workers,
                         blocks_per_file=blocks_per_file, traces=traces, progress=progress,
                         timeout=timeout, retries=retries)
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
