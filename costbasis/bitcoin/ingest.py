"""Ingest orchestration: source batches -> store commits, resumable and reorg-safe.

Each batch is committed atomically by the store (range files, then the manifest), so a
process killed at any point resumes from the last committed block with no gap and no
duplicate. On start the stored tip is checked against the source's active chain; if it
was orphaned, the store rolls back to the fork point before continuing.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

from costbasis.bitcoin import schema
from costbasis.bitcoin.source import BitcoinSource
from costbasis.errors import CostbasisError
from costbasis.store import ChainStore, Store

DEFAULT_BATCH_BLOCKS = 1000


@dataclass
class IngestSummary:
    chain: str
    network: str
    first: int | None          # first height written in this run (None: nothing to do)
    last: int | None           # stored tip after the run
    blocks: int
    txs: int
    rows: int                  # inputs + outputs written
    seconds: float
    rolled_back: int           # blocks removed because of a reorg
    rpc_blocks: int = 0        # blocks a datadir source fetched with `getblock 3` (not on disk yet, or a check failed)
    best: int | None = None    # the source's tip height when the run started

    def as_dict(self) -> dict:
        return asdict(self)


def find_fork(chain: ChainStore, source: BitcoinSource) -> int | None:
    """Highest stored height whose hash is still on the source's active chain (-1: none in common)."""
    for h in chain.recent_heights():  # descending
        stored = chain.hash_at(h)
        if stored is not None and source.hash_at(h) == stored:
            return h
    return None


def check_reorg(chain: ChainStore, source: BitcoinSource) -> int:
    """Roll back an orphaned stored range; returns the number of blocks removed."""
    tip = chain.tip()
    if tip is None:
        return 0
    height, stored_hash = tip
    if source.hash_at(height) == stored_hash:
        return 0
    best = source.best_height()
    if best < height and chain.hash_at(best) is not None and source.hash_at(best) == chain.hash_at(best):
        return 0  # the node is behind the store on the same chain: nothing to roll back
    fork = find_fork(chain, source)
    if fork is None:
        raise CostbasisError(f"stored tip {height} ({stored_hash[:16]}…) is not on the source's active chain and no "
                             f"fork point was found in the last {len(chain.recent_heights())} stored blocks; "
                             f"delete {chain.path} and ingest again")
    chain.rollback(fork)
    return height - fork


def ingest(source: BitcoinSource, store: Store, start: int | None = None, end: int | None = None,
           confirmations: int = 0, batch_blocks: int = DEFAULT_BATCH_BLOCKS, progress: bool = True,
           should_stop: Callable[[], bool] | None = None) -> IngestSummary:
    """Write blocks [resume point .. min(end, tip - confirmations + 1)] of `source` into `store`.

    `should_stop` is asked after every committed batch (costbasis follow: SIGTERM stops between commits)."""
    if batch_blocks < 1:
        raise CostbasisError("--batch-blocks must be >= 1")
    if confirmations < 0:
        raise CostbasisError("--confirmations must be >= 0")
    if start is not None and start < 0:
        raise CostbasisError("--start must be >= 0")
    if end is not None and end < 0:
        raise CostbasisError("--end must be >= 0")
    if start is not None and end is not None and end < start:
        raise CostbasisError(f"--end {end} is below --start {start}")
    name = schema.NETWORK_CHAIN[source.network]
    chain = store.chain(name)
    t0 = time.monotonic()
    with chain.writer_lock():
        stored_net = chain.meta.get("network")
        if stored_net is not None and stored_net != source.network:
            raise CostbasisError(f"store {chain.path} holds network {stored_net}, source is {source.network}")
        rolled_back = check_reorg(chain, source)
        tip = chain.tip()
        if tip is not None:
            nxt = tip[0] + 1
            if start is not None and start > nxt:
                raise CostbasisError(f"--start {start} would leave a gap: the store ends at block {tip[0]}")
        else:
            nxt = start or 0
        best = source.best_height()
        if tip is None and start is not None and start > best:
            raise CostbasisError(f"--start {start} is beyond the source's tip (block {best})")
        last = best - max(confirmations, 1) + 1
        if end is not None:
            last = min(last, end)
        summary = IngestSummary(name, source.network, None, tip[0] if tip else None, 0, 0, 0, 0.0, rolled_back,
                                best=best)
        if nxt > last:
            summary.seconds = time.monotonic() - t0
            return summary
        if not chain.exists() or chain.meta.get("network") != source.network:
            chain.set_meta(network=source.network, family="bitcoin")
        summary.first = nxt
        try:
            with _Progress(progress, nxt, last) as bar:
                for batch in source.read(nxt, last, batch_blocks):
                    chain.commit(batch.first, batch.last, batch.tables, batch.tip_hash, batch.hashes, schema.KEYS)
                    summary.last = batch.last
                    summary.blocks += batch.last - batch.first + 1
                    summary.txs += batch.tx_count
                    summary.rows += batch.io_count
                    summary.rpc_blocks += batch.rpc_blocks
                    bar.advance(batch.last - batch.first + 1, batch.tx_count, batch.last, summary.rpc_blocks)
                    if should_stop is not None and should_stop():
                        break
        except BaseException:
            # Ctrl-C or an error inside a commit: delete the files of the unfinished batch now (still under the
            # writer lock) instead of leaving them for the next run; a fresh ChainStore reads the manifest on disk
            store.chain(name).remove_uncommitted()
            raise
        summary.seconds = time.monotonic() - t0
        return summary


class _Progress:
    """rich progress bar: blocks done / total, current height, tx/s, ETA (on stderr)."""

    def __init__(self, enabled: bool, first: int, last: int):
        self.enabled = enabled
        self.total = last - first + 1
        self.txs = 0
        self.t0 = time.monotonic()

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.p = Progress(TextColumn("[bold]ingest[/] {task.fields[height]}"), BarColumn(), MofNCompleteColumn(),
                              TextColumn("blocks  {task.fields[tps]} tx/s{task.fields[rpc]}"), TimeElapsedColumn(),
                              TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            self.p.__enter__()
            self.task = self.p.add_task("ingest", total=self.total, height="", tps="-", rpc="")
        return self

    def advance(self, blocks: int, txs: int, height: int, rpc_blocks: int = 0) -> None:
        if not self.enabled:
            return
        self.txs += txs
        dt = max(time.monotonic() - self.t0, 1e-9)
        rpc = f"  {rpc_blocks:,} via getblock" if rpc_blocks else ""   # datadir source beside a running node
        self.p.update(self.task, advance=blocks, height=f"#{height}", tps=f"{self.txs / dt:,.0f}", rpc=rpc)

    def __exit__(self, *exc):
        if self.enabled:
            self.p.__exit__(*exc)
        return False
