"""One catch-up of a chain: what the loop calls each cycle, whatever the chain family.

A fresh source per cycle: a restarted bitcoind writes a new cookie and the live datadir reader takes
a new snapshot of the block index, so nothing stale survives a cycle. The store's writer lock is
taken inside the ingest call and released when it returns: queries never wait for the follower.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from costbasis.store import Store


@dataclass
class Cycle:
    chain: str
    first: int | None = None      # first height written (None: nothing new)
    last: int | None = None       # store tip after the cycle
    blocks: int = 0
    txs: int = 0
    rpc_blocks: int = 0           # Bitcoin beside a node: blocks that came through getblock 3
    rolled_back: int = 0
    node_tip: int | None = None
    mode: str = ""

    @property
    def lag(self) -> int | None:
        if self.node_tip is None:
            return None
        return self.node_tip - (self.last if self.last is not None else -1)


@dataclass
class BitcoinTarget:
    datadir: Path | None
    network: str | None
    rpc_url: str | None
    rpc_user: str | None
    rpc_password: str | None
    rpc_cookie: Path | None
    confirmations: int
    timeout: float | None
    retries: int | None
    workers: int = 4
    batch_blocks: int = 1000
    family: str = "bitcoin"
    chain: str | None = None      # known after the first contact with the node (network -> store chain)

    def catch_up(self, store: Store, max_blocks: int, should_stop: Callable[[], bool]) -> Cycle:
        from costbasis.bitcoin.ingest import ingest
        from costbasis.bitcoin.live import open_source
        from costbasis.bitcoin.schema import NETWORK_CHAIN

        source, mode = open_source(self.datadir, self.network, self.rpc_url, self.rpc_user, self.rpc_password,
                                   self.rpc_cookie, workers=self.workers, timeout=self.timeout, retries=self.retries)
        try:
            self.chain = NETWORK_CHAIN[source.network]
            self.network = source.network        # later cycles must find the same network
            tip = store.chain(self.chain).tip()
            end = (tip[0] if tip else -1) + max_blocks
            s = ingest(source, store, end=end, confirmations=self.confirmations, batch_blocks=self.batch_blocks,
                       progress=False, should_stop=should_stop)
        finally:
            source.close()
        return Cycle(self.chain, s.first, s.last, s.blocks, s.txs, s.rpc_blocks, s.rolled_back, s.best, mode)


@dataclass
class EvmTarget:
    chain: str
    rpc_url: str
    confirmations: int
    timeout: float | None
    retries: int | None
    tokens: list[str] | None = None
    traces: str = "auto"
    family: str = "evm"

    def catch_up(self, store: Store, max_blocks: int, should_stop: Callable[[], bool]) -> Cycle:
        from costbasis.evm.ingest import ingest_evm

        cs = store.chain(self.chain)
        before = cs.tip()
        end = (before[0] if before else -1) + max_blocks
        kw = {k: v for k, v in (("timeout", self.timeout), ("retries", self.retries)) if v is not None}
        r = ingest_evm(store, self.rpc_url, chain=self.chain, end=end, confirmations=self.confirmations,
                       tokens=self.tokens, traces=self.traces, should_stop=should_stop, **kw)
        after = store.chain(self.chain).tip()
        rolled = 0
        if r.rolled_back_to is not None and before is not None:
            rolled = before[0] - r.rolled_back_to
        return Cycle(self.chain, r.first, after[0] if after else None, r.blocks, r.rows.get("transactions", 0), 0,
                     rolled, r.head, "rpc")
