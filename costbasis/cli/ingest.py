"""`costbasis ingest bitcoin` (datadir or RPC); `ingest evm` is registered by cli/ingest_evm.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import store_from
from costbasis.errors import CostbasisError, UsageError

ingest_app = typer.Typer(help="Ingest blocks into the Parquet store (resumable, reorg-safe).\n\n"
                              "Example: costbasis ingest bitcoin --datadir ~/.bitcoin",
                         no_args_is_help=True)

NETWORKS = ("main", "testnet", "testnet4", "signet", "regtest")


@ingest_app.command("bitcoin")
def bitcoin_cmd(
    ctx: typer.Context,
    datadir: Optional[Path] = typer.Option(None, "--datadir",
                                           help="Bitcoin Core datadir. Stopped node: read with libbitcoinkernel. Running node (datadir "
                                                "locked, or with --rpc-url): blocks read from its blk/rev files, the "
                                                "chain and the cookie from the node."),
    network: Optional[str] = typer.Option(None, "--network",
                                          help="main|testnet|testnet4|signet|regtest (datadir default main; RPC: asked from the node)."),
    rpc_url: Optional[str] = typer.Option(None, "--rpc-url", help="Bitcoin Core JSON-RPC URL, e.g. http://127.0.0.1:8332 "
                                                                 "(user:password@ in it is visible in ps too)."),
    rpc_user: Optional[str] = typer.Option(None, "--rpc-user", help="RPC user name."),
    rpc_password: Optional[str] = typer.Option(None, "--rpc-password", envvar="COSTBASIS_RPC_PASSWORD",
                                               help="RPC password (never printed). On the command line it is visible "
                                                    "to other users in `ps`: prefer --rpc-cookie (or --datadir, whose "
                                                    "cookie is used) or the environment variable."),
    rpc_cookie: Optional[Path] = typer.Option(None, "--rpc-cookie",
                                              help="Cookie file written by the node: the safest authentication."),
    workers: int = typer.Option(4, "--workers", help="Concurrent RPC requests."),
    rpc_timeout: Optional[float] = typer.Option(None, "--rpc-timeout", help="Seconds per RPC request in total, however slowly the node "
                                                     "answers (default $COSTBASIS_RPC_TIMEOUT or 30)."),
    rpc_retries: Optional[int] = typer.Option(None, "--rpc-retries", help="Retries with backoff per request (default 5)."),
    start: Optional[int] = typer.Option(None, "--start", help="First height (only for an empty store)."),
    end: Optional[int] = typer.Option(None, "--end", help="Last height to ingest (default: the tip)."),
    confirmations: Optional[int] = typer.Option(None, "--confirmations",
                                                help="Only write blocks with >= N confirmations (default 6 beside a running node or for RPC, "
                                                     "0 for a stopped node's datadir)."),
    batch_blocks: Optional[int] = typer.Option(None, "--batch-blocks", hidden=True, help="Blocks per committed file."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
):
    """Ingest Bitcoin blocks from a Bitcoin Core datadir (node stopped or running) or from a node's JSON-RPC.

    Example: costbasis ingest bitcoin --datadir ~/.bitcoin --end 200000

    Example (bitcoind running): costbasis ingest bitcoin --datadir ~/.bitcoin --confirmations 6

    Example: costbasis ingest bitcoin --rpc-url http://127.0.0.1:8332 --datadir ~/.bitcoin --confirmations 6
    """
    from costbasis.bitcoin.ingest import DEFAULT_BATCH_BLOCKS, ingest

    if network is not None and network not in NETWORKS:
        raise UsageError(f"unknown --network {network!r}; use one of {', '.join(NETWORKS)}")
    if datadir is None and rpc_url is None:
        raise UsageError("give --datadir PATH (read the files) or --rpc-url URL (ask a running node)")
    from costbasis.bitcoin.live import open_source

    # a datadir bitcoind holds is read beside it: the chain from RPC, the blocks from blk/rev files
    source, mode = open_source(datadir, network, rpc_url, rpc_user, rpc_password, rpc_cookie, workers=workers,
                               timeout=rpc_timeout, retries=rpc_retries)
    conf = (0 if mode == "datadir" else 6) if confirmations is None else confirmations
    store = store_from(ctx)
    try:
        s = ingest(source, store, start=start, end=end, confirmations=conf,
                   batch_blocks=batch_blocks or DEFAULT_BATCH_BLOCKS, progress=progress and sys.stderr.isatty())
    except KeyboardInterrupt:
        # every committed batch is whole (atomic files + manifest): say where a rerun resumes
        from costbasis.bitcoin.schema import NETWORK_CHAIN

        tip = store.chain(NETWORK_CHAIN[source.network]).tip()
        kept = f"the store keeps blocks up to {tip[0]}" if tip else "nothing was stored"
        raise CostbasisError(f"interrupted; {kept}; rerun the same command to resume", exit_code=130) from None
    finally:
        source.close()
    if s.first is None:
        msg = f"{s.chain}: up to date at block {s.last}" if s.last is not None else f"{s.chain}: no blocks to ingest"
    else:
        rate = s.txs / s.seconds if s.seconds > 0 else 0.0
        msg = (f"{s.chain}: blocks {s.first}..{s.last} ({s.blocks} blocks, {s.txs} txs, {s.rows} inputs+outputs) "
               f"in {s.seconds:.1f}s, {rate:,.0f} tx/s")
        if mode == "live":
            msg += f"; {s.rpc_blocks} blocks via getblock (not on disk yet or failed a check)"
    if s.rolled_back:
        msg += f"; rolled back {s.rolled_back} orphaned blocks"
    typer.echo(msg)


def register(app: typer.Typer) -> None:
    from costbasis.cli.ingest_evm import register_evm

    register_evm(ingest_app)
    app.add_typer(ingest_app, name="ingest")
