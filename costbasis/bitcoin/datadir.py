"""BitcoinSource over a Bitcoin Core datadir.

libbitcoinkernel (py-bitcoinkernel) validates the datadir, detects the lock and locates
the active chain (height -> hash). Block and undo bytes are then read directly from the
blk/rev files (positions from the LevelDB block index) and parsed in bulk by
costbasis.bitcoin.parser: walking kernel objects runs at ~12k tx/s, the direct read far faster.
The kernel and the LevelDB reader are never open at the same time (one writer per database).
"""

from __future__ import annotations

import fcntl
import gc
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from costbasis.bitcoin.blockfiles import BlockFiles, BlockIndex
from costbasis.bitcoin.consensus import median_time_past, params
from costbasis.bitcoin.parser import BlockColumns, parse_block, sha256d
from costbasis.bitcoin.source import BlockBatch
from costbasis.bitcoin.tables import ScriptCache, make_batch
from costbasis.errors import CostbasisError

# Upper bound on transactions per batch whatever --batch-blocks says: rows live in Python lists
# until the batch is committed, so this bounds peak RSS (~1 GB at 250k mainnet-like txs).
MAX_BATCH_TXS = 100_000

CHAIN_TYPES = {"main": "MAINNET", "testnet": "TESTNET", "testnet4": "TESTNET_4", "signet": "SIGNET",
               "regtest": "REGTEST"}


def resolve_datadir(datadir: Path, network: str) -> Path:
    """The directory holding blocks/ and chainstate/ (Core puts non-main networks in a subdirectory)."""
    datadir = Path(datadir).expanduser()
    if not datadir.is_dir():
        raise CostbasisError(f"datadir {datadir} does not exist or is not a directory")
    sub = params(network).datadir_subdir
    candidates = [datadir / sub, datadir] if sub else [datadir]
    for d in candidates:
        if (d / "blocks" / "index").is_dir() and (d / "chainstate").is_dir():
            return d
    raise CostbasisError(f"{datadir} is not a Bitcoin Core datadir for network {network} "
                         f"(no blocks/index and chainstate{' in ' + sub if sub else ''})")


def check_unlocked(d: Path) -> None:
    """Fail in one line if bitcoind or another kernel holds the datadir.

    Probed before this process opens anything there: POSIX locks are per process, so probing
    a file we already hold through the kernel would silently release the kernel's lock."""
    for p in (d / ".lock", d / "blocks" / ".lock", d / "blocks" / "index" / "LOCK", d / "chainstate" / "LOCK"):
        if not p.exists():
            continue
        try:
            fd = os.open(p, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:
            raise CostbasisError(f"datadir {d} is locked by a running bitcoind (or another process using it, "
                                 f"{p.relative_to(d)}); stop it and retry") from None
        finally:
            os.close(fd)


class _Kernel:
    def __init__(self, d: Path, network: str):
        import pbk

        try:
            pbk.disable_log_category(pbk.LogCategory.ALL)
        except Exception:
            pass
        try:
            self.cm = pbk.load_chainman(str(d), getattr(pbk.ChainType, CHAIN_TYPES[network]))
        except Exception as e:
            raise CostbasisError(f"libbitcoinkernel cannot load datadir {d} as network {network} "
                                 f"({str(e) or type(e).__name__}): wrong --network, damaged block data, "
                                 f"or in use by another process") from None
        self.chain = self.cm.get_active_chain()

    def height(self) -> int:
        return self.chain.height

    def hash_bytes(self, h: int) -> bytes:
        return bytes(self.chain.block_tree_entries[h].block_hash)

    def close(self) -> None:
        self.chain = None
        cm, self.cm = self.cm, None
        if cm is not None:
            cm.__exit__(None, None, None)
        gc.collect()


class DatadirSource:
    """Blocks of a Bitcoin Core datadir's active chain, as BlockBatch es."""

    def __init__(self, datadir: Path | str, network: str = "main"):
        self.network = network
        self.params = params(network)
        self.dir = resolve_datadir(Path(datadir), network)
        check_unlocked(self.dir)
        self._kernel: _Kernel | None = _Kernel(self.dir, network)
        self._tip = self._kernel.height()
        self._hashes: np.ndarray | None = None   # (tip+1, 32) internal-order hashes, filled on first read
        if self._tip >= 0 and self._kernel.hash_bytes(0)[::-1].hex() != self.params.genesis_hash:
            self.close()
            raise CostbasisError(f"datadir {self.dir} is not a {network} chain (genesis mismatch)")

    # ----------------------------------------------------------- protocol
    def best_height(self) -> int:
        return self._tip

    def hash_at(self, height: int) -> str | None:
        if height < 0 or height > self._tip:
            return None
        if self._hashes is not None:
            return self._hashes[height].tobytes()[::-1].hex()
        return self._kernel.hash_bytes(height)[::-1].hex()

    def read(self, start: int, end: int, batch_blocks: int = 500) -> Iterator[BlockBatch]:
        end = min(end, self._tip)
        if start > end:
            return
        self._load_hashes()
        index = BlockIndex(self.dir / "blocks")
        files = BlockFiles(self.dir / "blocks", self.params.magic)
        cache = ScriptCache(self.network)
        try:
            times = [self._entry(index, h).time for h in range(max(0, start - 10), start)]
            first = start
            while first <= end:
                batch = self._read_batch(index, files, cache, first, min(first + batch_blocks - 1, end), times)
                yield batch
                first = batch.last + 1
                del times[:-10]
        finally:
            files.close()
            index.close()

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None

    # ----------------------------------------------------------- internals
    def _load_hashes(self) -> None:
        """Snapshot the active chain from the kernel, then release it (the LevelDB index is read next)."""
        if self._hashes is None:
            k = self._kernel
            arr = np.empty((self._tip + 1, 32), dtype=np.uint8)
            for h in range(self._tip + 1):
                arr[h] = np.frombuffer(k.hash_bytes(h), dtype=np.uint8)
            self._hashes = arr
        self.close()

    def _entry(self, index: BlockIndex, h: int):
        bh = self._hashes[h].tobytes()
        e = index.get(bh)
        if e is None or e.height != h:
            raise CostbasisError(f"block {bh[::-1].hex()} (height {h}) missing from the block index")
        return e

    def _read_batch(self, index, files, cache, first, last, times) -> BlockBatch:
        cols = BlockColumns()
        hashes = {}
        h_last = first
        for h in range(first, last + 1):
            if cols.tx_count >= MAX_BATCH_TXS:
                break  # keep memory flat on full blocks: cut the batch early, the next one resumes here
            h_last = h
            e = self._entry(index, h)
            if e.data_pos < 0 or (h > 0 and e.undo_pos < 0):
                raise CostbasisError(f"block {h} has no {'data' if e.data_pos < 0 else 'undo data'} in the "
                                     f"datadir (pruned or not yet validated)")
            raw = files.block(e.file, e.data_pos)
            if sha256d(raw[:80]) != e.hash:
                raise CostbasisError(f"corrupt block data at height {h} in blk{e.file:05d}.dat "
                                     f"(header hash differs from the block index)")
            undo = files.undo(e.file, e.undo_pos, e.prev) if h > 0 else None
            times.append(e.time)
            bhash = parse_block(raw, h, undo, cols, median_time_past(times))
            if bhash != e.hash[::-1].hex():
                raise CostbasisError(f"corrupt block data at height {h}: hash {bhash} != index {e.hash[::-1].hex()}")
            hashes[h] = bhash
        batch = make_batch(self.network, first, h_last, hashes, cols.blocks, cols.outputs, cols.inputs,
                           tx_count=cols.tx_count, cache=cache)
        cache.clear()
        return batch
