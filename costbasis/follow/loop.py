"""The follow loop: catch up, refresh derived state, log one line, wait for the next block.

Consistency: the ingest commits whole batches atomically and asks `stop` after each commit; the
derived state commits atomically too. A SIGTERM/SIGINT only sets `stop`, so the loop ends between
two commits (exit 0), and a kill -9 at any moment leaves the store as of the last commit, which
the next run resumes from (rows identical to an uninterrupted run).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from costbasis.errors import CostbasisError
from costbasis.follow.recovery import Backoff, is_transient
from costbasis.follow.refresh import refresh
from costbasis.follow.targets import Cycle
from costbasis.store import Store


@dataclass
class FollowOptions:
    once: bool = False               # one catch-up, then exit (cron)
    max_blocks: int = 2000           # per cycle while catching up: the writer lock is released in between
    expand_labels: bool = False
    backoff_first: float = 1.0
    backoff_cap: float = 60.0


def log_line(msg: str, out=None) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} {msg}", file=out or sys.stderr, flush=True)


def describe(c: Cycle, t_ingest: float, t_derived: float, parts: list[str]) -> str:
    if c.first is not None:
        what = f"blocks {c.first}..{c.last} ({c.blocks} blocks, {c.txs:,} txs"
        what += f", {c.rpc_blocks} via getblock)" if c.mode == "live" else ")"
    else:
        what = f"no new blocks (tip {c.last})"
    if c.rolled_back:
        what += f"; rolled back {c.rolled_back} orphaned blocks"
    lag = "" if c.lag is None else f"; node tip {c.node_tip}, lag {c.lag} blocks"
    derived = f", derived {t_derived:.2f}s ({', '.join(parts)})" if parts else ""
    return f"{c.chain}: {what}{lag}; ingest {t_ingest:.2f}s{derived}"


def follow(target, store: Store, wake, stop: threading.Event, opts: FollowOptions,
           log: Callable[[str], None] = log_line) -> int:
    """Run until `stop` is set (or after one catch-up with opts.once); returns the exit code."""
    backoff = Backoff(opts.backoff_first, opts.backoff_cap)
    log(f"follow {getattr(target, 'chain', None) or target.family}: started, {wake.describe}"
        + ("" if not opts.once else " (--once)"))
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            c = target.catch_up(store, opts.max_blocks, stop.is_set)
        except CostbasisError as e:
            if opts.once or not is_transient(e):
                raise
            delay = backoff.next()
            log(f"{target.chain or target.family}: node unavailable ({e}); retry {backoff.failures} in {delay:g}s")
            stop.wait(delay)
            continue
        if backoff.failures:
            log(f"{c.chain}: node reachable again after {backoff.failures} failed attempts")
            backoff.reset()
        t1 = time.perf_counter()
        parts: list[str] = []
        if (c.first is not None or c.rolled_back) and not stop.is_set():
            try:
                parts = refresh(store, c.chain, target.family, opts.expand_labels)
            except CostbasisError as e:       # the blocks are stored; the next cycle tries again
                parts = [f"failed: {e}"]
        t2 = time.perf_counter()
        if c.first is not None or c.rolled_back:
            log(describe(c, t1 - t0, t2 - t1, parts))
        behind = c.first is not None and c.blocks >= opts.max_blocks
        if behind:
            continue                           # more to catch up: no waiting
        if opts.once:
            if c.first is None and not c.rolled_back:
                log(describe(c, t1 - t0, 0.0, []))
            break
        wake.wait(stop)
    if stop.is_set():
        tip = store.chain(target.chain).tip() if getattr(target, "chain", None) else None
        log(f"follow: stopped; the store keeps blocks up to {tip[0] if tip else 'none'}")
    return 0
