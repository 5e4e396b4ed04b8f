"""What every Bitcoin source yields: block-range batches of Arrow tables.

A source knows nothing about Parquet or the store; the orchestrator
(costbasis.bitcoin.ingest) commits each batch atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol, runtime_checkable

import pyarrow as pa


@dataclass
class BlockBatch:
    """Blocks first..last (inclusive) of the active chain, as one table per schema.TABLES entry."""

    first: int
    last: int
    tables: dict[str, pa.Table]      # blocks, outputs, inputs, coin_flows — exactly schema.TABLES
    hashes: dict[int, str]           # height -> block hash for every block in the batch
    tx_count: int                    # for progress (tx/s)
    io_count: int                    # inputs + outputs in the batch
    rpc_blocks: int = 0              # blocks of the batch fetched with `getblock 3` by a datadir source

    @property
    def tip_hash(self) -> str:
        return self.hashes[self.last]


@runtime_checkable
class BitcoinSource(Protocol):
    network: str                     # main|testnet|testnet4|signet|regtest

    def best_height(self) -> int:
        """Height of the source's active-chain tip."""
        ...

    def hash_at(self, height: int) -> str | None:
        """Active-chain block hash at `height`, None beyond the tip."""
        ...

    def read(self, start: int, end: int, batch_blocks: int) -> Iterator[BlockBatch]:
        """Batches covering start..end inclusive, in height order, each <= batch_blocks blocks."""
        ...

    def close(self) -> None:
        ...
