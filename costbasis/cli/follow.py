"""`costbasis follow`: keep the store (and its derived state) at the node's tip. The loop is costbasis/follow/."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Optional

import typer

from costbasis.cli.common import store_from
from costbasis.errors import UsageError

NETWORKS = ("main", "testnet", "testnet4", "signet", "regtest")


def follow_cmd(
    ctx: typer.Context,
    chain: str = typer.Option("bitcoin", "--chain", help="bitcoin, or the store name of an EVM chain (e.g. ethereum)."),
    datadir: Optional[Path] = typer.Option(None, "--datadir", help="Bitcoin: the node's datadir (blocks read from its "
                                           "blk/rev files; cookie from it)."),
    network: Optional[str] = typer.Option(None, "--network", help="Bitcoin: main|testnet|testnet4|signet|regtest "
                                          "(default: asked from the node)."),
    rpc_url: Optional[str] = typer.Option(None, "--rpc-url", help="Node JSON-RPC URL (Bitcoin default with --datadir: "
                                          "127.0.0.1 on the network's port)."),
    rpc_user: Optional[str] = typer.Option(None, "--rpc-user", help="Bitcoin RPC user name."),
    rpc_password: Optional[str] = typer.Option(None, "--rpc-password", envvar="COSTBASIS_RPC_PASSWORD",
                                               help="Bitcoin RPC password (prefer the cookie or the environment)."),
    rpc_cookie: Optional[Path] = typer.Option(None, "--rpc-cookie", help="Bitcoin cookie file (re-read on reconnect)."),
    rpc_timeout: Optional[float] = typer.Option(None, "--rpc-timeout", help="Seconds per RPC request in total."),
    rpc_retries: Optional[int] = typer.Option(2, "--rpc-retries", help="Retries per request before the follower's "
                                              "own backoff takes over."),
    confirmations: Optional[int] = typer.Option(None, "--confirmations",
                                                help="Only store blocks with >= N confirmations (default 6 Bitcoin, 12 EVM)."),
    zmq: Optional[str] = typer.Option(None, "--zmq", help="Bitcoin Core -zmqpubhashblock endpoint, e.g. "
                                      "tcp://127.0.0.1:28332 (else polling)."),
    interval: float = typer.Option(10.0, "--interval", help="Seconds between polls (with --zmq: the fallback poll)."),
    once: bool = typer.Option(False, "--once", help="Catch up once and exit (for cron)."),
    expand_labels: bool = typer.Option(False, "--expand-labels", help="Bitcoin: rerun `labels expand` (clusters over "
                                       "the whole chain) after each batch."),
    max_blocks: int = typer.Option(2000, "--max-blocks", help="Blocks per cycle while catching up (derived state is "
                                   "refreshed and the writer lock released in between)."),
    batch_blocks: Optional[int] = typer.Option(None, "--batch-blocks", hidden=True, help="Blocks per committed file."),
):
    """Follow a node: ingest new blocks as they arrive (reorgs rolled back) and keep cohorts, flows and whale
    tables current so queries answer at once. One log line per batch on stderr; SIGTERM/SIGINT stop between
    commits (exit 0); an unreachable node is retried with backoff.

    Example: costbasis follow --datadir ~/.bitcoin --zmq tcp://127.0.0.1:28332

    Example: costbasis follow --chain ethereum --rpc-url http://127.0.0.1:8545 --interval 12

    Example (cron): costbasis follow --datadir ~/.bitcoin --once
    """
    from costbasis.follow import FollowOptions, follow
    from costbasis.follow.targets import BitcoinTarget, EvmTarget
    from costbasis.follow.wake import waker
    from costbasis.store.names import validate_chain_name

    if not (0 < interval <= 86_400):
        raise UsageError(f"--interval must be > 0 and <= 86400 seconds, got {interval:g}")
    if confirmations is not None and confirmations < 0:
        raise UsageError("--confirmations must be >= 0")
    if max_blocks < 1 or (batch_blocks is not None and batch_blocks < 1):
        raise UsageError("--max-blocks and --batch-blocks must be >= 1")
    if rpc_retries is not None and not 0 <= rpc_retries <= 100:
        raise UsageError(f"--rpc-retries must be >= 0 and <= 100, got {rpc_retries}")
    if network is not None and network not in NETWORKS:
        raise UsageError(f"unknown --network {network!r}; use one of {', '.join(NETWORKS)}")
    if chain in ("bitcoin", *[f"bitcoin-{n}" for n in NETWORKS]):
        if datadir is None and rpc_url is None:
            raise UsageError("give --datadir PATH (the node's datadir) and/or --rpc-url URL")
        target = BitcoinTarget(datadir, network, rpc_url, rpc_user, rpc_password, rpc_cookie,
                               6 if confirmations is None else confirmations, rpc_timeout, rpc_retries,
                               batch_blocks=batch_blocks or 1000)
    else:
        validate_chain_name(chain)
        if rpc_url is None:
            raise UsageError(f"--chain {chain} is an EVM chain: give --rpc-url URL")
        bad = [o for o, v in (("--datadir", datadir), ("--zmq", zmq), ("--rpc-cookie", rpc_cookie), ("--network", network),
                              ("--rpc-user", rpc_user), ("--expand-labels", expand_labels or None)) if v is not None]
        if bad:
            raise UsageError(f"{bad[0]} is for Bitcoin; an EVM chain needs only --rpc-url")
        target = EvmTarget(chain, rpc_url, 12 if confirmations is None else confirmations, rpc_timeout, rpc_retries)
    wake = waker(zmq, interval)
    store = store_from(ctx)
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        rc = follow(target, store, wake, stop, FollowOptions(once=once, max_blocks=max_blocks,
                                                              expand_labels=expand_labels))
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        wake.close()
    raise typer.Exit(rc)


def register(app: typer.Typer) -> None:
    app.command("follow")(follow_cmd)
