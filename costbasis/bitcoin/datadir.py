"""BitcoinSource over a Bitcoin Core datadir.

libbitcoinkernel (py-bitcoinkernel) validates the datadir, detects the lock and locates
the active chain (height -> hash). Block and undo bytes are then read directly from the
blk/rev files (positions from the LevelDB block index) and parsed in bulk by
costbasis.bitcoin.fastparse (numba, a whole batch per call; parser.py is the plain-Python
reference and the fallback without numba/libcrypto): walking kernel objects runs at ~12k tx/s.
The next batch is parsed on a background thread while the current one is written.
The kernel and the LevelDB reader are never open at the same time (one writer per database).
"""

from __future__ import annotations

import fcntl
import gc
import os
import queue
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from costbasis.bitcoin.blockfiles import BlockFiles, BlockIndex, read_xor_key
from costbasis.bitcoin.consensus import median_time_past, params
from costbasis.bitcoin.parser import BlockColumns, parse_block, sha256d
from costbasis.bitcoin.source import BlockBatch
from costbasis.bitcoin.tables import ScriptCache, make_batch

try:  # numba + OpenSSL bulk parser; the plain-Python parser gives the same rows, slower
    from costbasis.bitcoin import fastparse
except Exception:  # pragma: no cover - no numba, no usable libcrypto, or numba cannot set up its cache
    fastparse = None
from costbasis.errors import CostbasisError

# Upper bound on transactions per batch whatever --batch-blocks says: a batch's block bytes, column
# arrays and Arrow tables stay in memory until it is committed (and one more is parsed meanwhile),
# so this bounds peak RSS whatever the chain length.
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
    hint = ""
    for other in CHAIN_TYPES:
        osub = params(other).datadir_subdir
        if other != network and osub and (datadir / osub / "blocks" / "index").is_dir():
            hint = f"; it holds {osub}/, use --network {other}"
            break
    raise CostbasisError(f"{datadir} is not a Bitcoin Core datadir for network {network} "
                         f"(no blocks/index and chainstate{' in ' + sub if sub else ''}){hint}")


def locked_by(d: Path) -> Path | None:
    """The first lock file of the datadir that another process (bitcoind, a kernel) holds, else None.

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
            return p
        finally:
            os.close(fd)
    return None


def check_unlocked(d: Path) -> None:
    """Fail in one line if bitcoind or another kernel holds the datadir."""
    p = locked_by(d)
    if p is not None:
        raise CostbasisError(f"datadir {d} is locked by a running bitcoind (or another process using it, "
                             f"{p.relative_to(d)}); stop it and retry")


def check_block_files(d: Path, magic: bytes, network: str, writable: bool = True) -> None:
    """Precise one-line errors for damage the kernel only reports as "Failed to create ChainstateManager".

    Run before the kernel opens the datadir: given a missing blocks/xor.dat next to obfuscated
    files, the kernel would write an all-zero key there, leaving the datadir unreadable by Bitcoin Core.
    writable=False (beside a running node, costbasis/bitcoin/live.py): the files are only read."""
    blocks = d / "blocks"
    for folder in ((d, blocks, blocks / "index", d / "chainstate") if writable else ()):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CostbasisError(f"no write access to {folder}: libbitcoinkernel locks and opens the datadir "
                                 f"read-write; run as its owner or ingest a copy")
    key = read_xor_key(blocks)   # errors on a xor.dat that is not 8 bytes
    blks = sorted(blocks.glob("blk[0-9][0-9][0-9][0-9][0-9].dat"))
    # a running node creates blkN.dat a moment before revN.dat: only the newest may lack its rev file
    for blk in (blks if writable else blks[:-1]):
        rev = blk.with_name("rev" + blk.name[3:])
        if not rev.is_file():
            raise CostbasisError(f"{rev} is missing (the undo data of {blk.name}); the datadir is damaged")
    if not blks:
        return
    with open(blks[0], "rb") as f:
        head = f.read(4)
    found = bytes(a ^ b for a, b in zip(head, key))
    if len(head) == 4 and found != magic:
        other = [n for n in CHAIN_TYPES if params(n).magic == found]
        if other:
            why = f"it holds a {other[0]} chain; use --network {other[0]}"
        elif not (blocks / "xor.dat").is_file() and any(head):
            why = "blocks/xor.dat is missing but the block files are obfuscated"
        else:
            why = f"wrong --network (not {network}), a wrong blocks/xor.dat, or a damaged file"
        raise CostbasisError(f"{blks[0]} does not start with the {network} block magic: {why}")



def parse_batch(raws, undos, heights, medians):
    """(blocks, outputs, inputs, tx_count) of raw blocks and their undo records: the numba kernels,
    or the plain-Python reference parser where numba or libcrypto is missing (same rows)."""
    if fastparse is not None:
        blocks, outputs, inputs = fastparse.parse_blocks(raws, undos, heights, medians)
        return blocks, outputs, inputs, int(np.sum(blocks["tx_count"], dtype=np.int64))
    cols = BlockColumns()
    for raw, undo, h, mt in zip(raws, undos, heights, medians):
        parse_block(raw, h, undo, cols, mt)
    return cols.blocks, cols.outputs, cols.inputs, cols.tx_count

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
        check_block_files(self.dir, self.params.magic, network)
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
        """Batches in height order. The next batch is read and parsed on a background thread while the
        caller commits the current one: the numba kernels and Arrow release the GIL, as does the Parquet
        writer, so on two cores parsing and writing overlap. At most two batches are alive at a time
        (the one being committed and the next one), so RSS stays flat."""
        end = min(end, self._tip)
        if start > end:
            return
        self._load_hashes()
        yield from pipelined(self._batches(start, end, batch_blocks))

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

    def _batches(self, start: int, end: int, batch_blocks: int) -> Iterator[BlockBatch]:
        index = BlockIndex(self.dir / "blocks")
        files = BlockFiles(self.dir / "blocks", self.params.magic)
        try:
            cache = ScriptCache(self.network)
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

    def _entry(self, index: BlockIndex, h: int):
        bh = self._hashes[h].tobytes()
        e = index.get(bh)
        if e is None or e.height != h:
            raise CostbasisError(f"block {bh[::-1].hex()} (height {h}) missing from the block index")
        return e

    def _read_batch(self, index, files, cache, first, last, times) -> BlockBatch:
        raws, undos, heights, medians, hashes = [], [], [], [], {}
        n_tx = 0
        for h in range(first, last + 1):
            if n_tx >= MAX_BATCH_TXS:
                break  # keep memory flat on full blocks: cut the batch early, the next one resumes here
            e = self._entry(index, h)
            if e.data_pos < 0 or (h > 0 and e.undo_pos < 0):
                raise CostbasisError(f"block {h} has no {'data' if e.data_pos < 0 else 'undo data'} in the "
                                     f"datadir (pruned or not yet validated)")
            raw = files.block(e.file, e.data_pos)
            if sha256d(raw[:80]) != e.hash:
                raise CostbasisError(f"corrupt block data at height {h} in blk{e.file:05d}.dat "
                                     f"(header hash differs from the block index)")
            raws.append(raw)
            undos.append(files.undo(e.file, e.undo_pos, e.prev) if h > 0 else None)
            times.append(e.time)
            heights.append(h)
            medians.append(median_time_past(times))
            hashes[h] = e.hash[::-1].hex()   # checked against the parsed header hash below
            n_tx += e.n_tx
        blocks, outputs, inputs, tx_count = parse_batch(raws, undos, heights, medians)
        for h, bh in zip(heights, _as_list(blocks["hash"])):
            if bh != hashes[h]:
                raise CostbasisError(f"corrupt block data at height {h}: hash {bh} != index {hashes[h]}")
        return make_batch(self.network, first, heights[-1], hashes, blocks, outputs, inputs,
                          tx_count=tx_count, cache=cache)


def pipelined(batches: Iterator[BlockBatch]) -> Iterator[BlockBatch]:
    """Run the `batches` generator on a background thread, one batch ahead of the consumer.

    The numba kernels and Arrow release the GIL, as does the Parquet writer, so on two cores parsing
    and writing overlap. At most two batches are alive at a time (the one being committed and the
    next one), so RSS stays flat. Errors are re-raised in the consumer with their type and message."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    slots = threading.Semaphore(2)   # batches alive: taken before parsing one, freed once it is committed
    stop = threading.Event()

    def take_slot() -> bool:
        while not stop.is_set():
            if slots.acquire(timeout=0.1):
                return True
        return False

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            while take_slot():
                batch = next(batches, _DONE)
                if not hand_over(batch) or batch is _DONE:
                    return
        except BaseException as e:  # re-raised in the consumer, with its type and message
            hand_over(_Failed(e))
        finally:
            batches.close()      # the generator's own cleanup (files, index snapshot) on this thread

    worker = threading.Thread(target=produce, name="datadir-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                break
            if isinstance(item, _Failed):
                raise item.exc
            yield item
            del item
            slots.release()
    finally:
        stop.set()
        worker.join()


_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def _as_list(col) -> list:
    return col.to_pylist() if hasattr(col, "to_pylist") else list(col)
