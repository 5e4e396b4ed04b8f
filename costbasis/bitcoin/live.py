"""BitcoinSource over the datadir of a *running* Bitcoin Core node.

bitcoind holds the datadir's locks, so libbitcoinkernel cannot open it. The node's JSON-RPC gives
the active chain instead (block hashes by height, in JSON-RPC batches), and the block and undo
bytes are read straight from blk*.dat / rev*.dat (XOR key) and parsed in bulk, exactly as the
stopped-node path does (costbasis/bitcoin/datadir.py). Positions come from a private snapshot of
the LevelDB block index (blockfiles.BlockIndex; the node's files are never opened for writing).

Every block read from disk is checked: its header hashes to the hash the node reports for that
height, it links to the previous block, and its undo record's checksum commits to the previous
block's hash (so an undo record can only be matched to its own block). A block the snapshot does
not know yet (bitcoind writes its block index lazily), whose bytes are still being written, or that
fails a check is fetched with `getblock <hash> 3` instead; BlockBatch.rpc_blocks counts them.
Rows are identical either way (tests/test_datadir_live.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator


from costbasis.bitcoin.blockfiles import BLOCK_FAILED_MASK, BlockFiles, BlockIndex, IndexEntry
from costbasis.bitcoin.consensus import median_time_past, params
from costbasis.bitcoin.datadir import MAX_BATCH_TXS, check_block_files, parse_batch, pipelined, resolve_datadir
from costbasis.bitcoin.parser import sha256d
from costbasis.bitcoin.rpc import DEFAULT_PORTS, RpcSource, _block_rows, _expect
from costbasis.bitcoin.source import BlockBatch
from costbasis.bitcoin.tables import BatchBuilder, ScriptCache, make_batch
from costbasis.errors import CostbasisError

RPC_RUN = 50              # blocks per batch fetched with getblock 3 (bounds memory on full blocks)
SNAPSHOT_ATTEMPTS = 5      # bitcoind may compact its index while we copy it: take the snapshot again


def default_rpc_url(network: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[network]}"


class LiveDatadirSource:
    """Blocks of the active chain of the node running on `datadir`, as BlockBatch es."""

    def __init__(self, datadir: Path | str, network: str | None = None, rpc_url: str | None = None,
                 rpc_user: str | None = None, rpc_password: str | None = None, rpc_cookie: str | Path | None = None,
                 timeout: float | None = None, retries: int | None = None):
        url = rpc_url or default_rpc_url(network or "main")
        # the node first: it names the network (when --network is absent) and so the datadir subfolder
        self.rpc = RpcSource(url, user=rpc_user, password=rpc_password, cookie=rpc_cookie, network=network,
                             datadir=datadir, timeout=timeout, retries=retries)
        try:
            self.network = self.rpc.network
            self.params = params(self.network)
            self.dir = resolve_datadir(Path(datadir), self.network)
            check_block_files(self.dir, self.params.magic, self.network, writable=False)
            if self.rpc.hash_at(0) != self.params.genesis_hash:
                raise CostbasisError(f"the node at {self.rpc.client.url} is not on the {self.network} chain "
                                     f"(genesis mismatch)")
        except BaseException:
            self.rpc.close()
            raise

    def __repr__(self) -> str:
        return f"LiveDatadirSource(dir={str(self.dir)!r}, rpc={self.rpc!r})"

    # ----------------------------------------------------------- protocol
    def best_height(self) -> int:
        return self.rpc.best_height()

    def hash_at(self, height: int) -> str | None:
        return self.rpc.hash_at(height)

    def read(self, start: int, end: int, batch_blocks: int = 500) -> Iterator[BlockBatch]:
        """Batches in height order, parsed one ahead on a background thread (datadir.pipelined). A batch
        is cut where blocks switch between disk and RPC, so each one is built by a single parser."""
        end = min(end, self.best_height())
        if start > end:
            return
        yield from pipelined(self._batches(start, end, batch_blocks))

    def close(self) -> None:
        self.rpc.close()

    # ----------------------------------------------------------- internals
    def _open_index(self) -> BlockIndex:
        for attempt in range(SNAPSHOT_ATTEMPTS):
            try:
                return BlockIndex(self.dir / "blocks")
            except (OSError, CostbasisError) as e:   # a table file compacted away while we linked/copied
                if attempt == SNAPSHOT_ATTEMPTS - 1:
                    raise CostbasisError(f"cannot snapshot the block index of {self.dir} while the node runs: "
                                         f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def _batches(self, start: int, end: int, batch_blocks: int) -> Iterator[BlockBatch]:
        index = self._open_index()
        files = BlockFiles(self.dir / "blocks", self.params.magic)
        try:
            r = _Reader(self, index, files)
            r.prime(start)
            first = start
            while first <= end:
                last = min(first + batch_blocks - 1, end)
                hashes = [bytes.fromhex(x)[::-1] for x in self.rpc._hashes(first, last)]
                yield from r.batches(first, hashes)
                first = last + 1
        finally:
            files.close()
            index.close()


class _Reader:
    """Reads consecutive blocks, from disk when they check out, else through `getblock 3`."""

    def __init__(self, src: LiveDatadirSource, index: BlockIndex, files: BlockFiles):
        self.src, self.index, self.files = src, index, files
        self.cache = ScriptCache(src.network)
        self.bb = BatchBuilder(src.network)
        self.times: list[int] = []            # header times of the previous (up to) 10 blocks, for mediantime
        self.prev: bytes | None = None        # hash of the block before the next one (internal byte order)

    def prime(self, start: int) -> None:
        if start == 0:
            return
        lo = max(0, start - 10)
        for h, hx in zip(range(lo, start), self.src.rpc._hashes(lo, start - 1)):
            e = self.index.get(bytes.fromhex(hx)[::-1])
            if e is not None and e.height == h:
                self.times.append(e.time)
            else:
                head = _expect(self.src.rpc.client.call("getblockheader", hx), dict, "getblockheader",
                               self.src.rpc.client.url)
                self.times.append(_expect(head.get("time"), int, "getblockheader time", self.src.rpc.client.url))
            self.prev = bytes.fromhex(hx)[::-1]

    def batches(self, first: int, hashes: list[bytes]) -> Iterator[BlockBatch]:
        """BlockBatch es for heights first.. : one per run of disk blocks (<= MAX_BATCH_TXS txs) or of
        RPC blocks (<= RPC_RUN blocks), in height order."""
        disk: list[tuple[int, bytes, bytes, bytes | None, int]] = []   # (height, hash, raw, undo, time)
        rpc: list[tuple[int, bytes]] = []
        n_tx = 0
        prev = self.prev
        for k, bh in enumerate(hashes):
            h = first + k
            got = self._from_disk(h, bh, prev)
            prev = bh
            if disk and (got is None or n_tx >= MAX_BATCH_TXS):
                yield from self._flush_disk(disk)
                disk, n_tx = [], 0
            if rpc and (got is not None or len(rpc) >= RPC_RUN):
                yield self._rpc_batch(rpc)
                rpc = []
            if got is None:
                rpc.append((h, bh))
            else:
                raw, undo, t, ntx = got
                disk.append((h, bh, raw, undo, t))
                n_tx += ntx
        if disk:
            yield from self._flush_disk(disk)
        if rpc:
            yield self._rpc_batch(rpc)

    def _flush_disk(self, run) -> Iterator[BlockBatch]:
        """The run as one batch; when it does not parse, its halves (bisection: a damaged block costs
        a few more batches, not the whole run through RPC), a single bad block through RPC."""
        batch = self._disk_batch(run)
        if batch is not None:
            yield batch
        elif len(run) == 1:
            yield self._rpc_batch([(run[0][0], run[0][1])])
        else:
            mid = len(run) // 2
            yield from self._flush_disk(run[:mid])
            yield from self._flush_disk(run[mid:])

    def _from_disk(self, h: int, bh: bytes, prev: bytes | None) -> tuple[bytes, bytes | None, int, int] | None:
        """(raw block, undo, header time, tx count) when the block is on disk and every check holds."""
        e: IndexEntry | None = self.index.get(bh)
        if e is None or e.height != h or e.status & BLOCK_FAILED_MASK or e.data_pos < 0 or (h > 0 and e.undo_pos < 0):
            return None
        if prev is not None and e.prev != prev:
            return None                      # not linked to the block before: let RPC say what the chain is
        try:
            raw = self.files.block(e.file, e.data_pos)
            if len(raw) < 80 or sha256d(raw[:80]) != bh or raw[4:36] != e.prev:
                return None
            undo = self.files.undo(e.file, e.undo_pos, e.prev) if h > 0 else None   # checksum: prev hash
        except CostbasisError:               # truncated (still being written), bad magic, bad checksum
            return None
        return raw, undo, e.time, e.n_tx

    def _disk_batch(self, run) -> BlockBatch | None:
        heights = [x[0] for x in run]
        raws = [x[2] for x in run]
        undos = [x[3] for x in run]
        times = list(self.times)
        medians = []
        for x in run:
            times.append(x[4])
            medians.append(median_time_past(times))
        try:
            blocks, outputs, inputs, tx_count = parse_batch(raws, undos, heights, medians)
        except CostbasisError:
            return None                      # a block that does not parse (merkle root, sizes): use RPC
        hashes = {x[0]: x[1][::-1].hex() for x in run}
        parsed = blocks["hash"]
        parsed = parsed.to_pylist() if hasattr(parsed, "to_pylist") else list(parsed)
        if [hashes[h] for h in heights] != parsed:
            return None
        self.times = times[-10:]
        self.prev = run[-1][1]
        return make_batch(self.src.network, heights[0], heights[-1], hashes, blocks, outputs, inputs,
                          tx_count=tx_count, cache=self.cache)

    def _rpc_batch(self, blocks: list[tuple[int, bytes]]) -> BlockBatch:
        rpc = self.src.rpc
        step = rpc.blocks_per_request
        tx_count = 0
        n = 0
        for j in range(0, len(blocks), step):
            chunk = blocks[j:j + step]
            _, answers = rpc._fetch(chunk[0][0], [bh[::-1].hex() for _, bh in chunk])
            for (h, bh), b in zip(chunk, answers):
                if b.get("height") != h or b.get("hash") != bh[::-1].hex():
                    raise CostbasisError(f"node returned block {str(b.get('hash'))[:64]} at height "
                                         f"{str(b.get('height'))[:20]}, expected {h}")
                want_prev = self.prev[::-1].hex() if self.prev is not None else None
                if want_prev is not None and b.get("previousblockhash") != want_prev:
                    raise CostbasisError(f"the node's chain changed during ingest at height {h} (reorg); "
                                         f"run ingest again")
                try:
                    tx_count += _block_rows(b, h, self.bb)
                except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
                    raise CostbasisError(f"{rpc.client.url} sent a malformed getblock answer for block {h} "
                                         f"({type(e).__name__}: {str(e)[:80]})") from None
                self.times = (self.times + [_expect(b.get("time"), int, "getblock time", rpc.client.url)])[-10:]
                self.prev = bh
                n += 1
        batch = self.bb.build()
        batch.tx_count = tx_count
        batch.rpc_blocks = n
        return batch


def _holds_blocks(datadir: Path) -> bool:
    """Whether `datadir` (or one of Core's per-network subfolders) holds a block index, not just a cookie."""
    d = Path(datadir).expanduser()
    subs = [""] + [params(n).datadir_subdir for n in DEFAULT_PORTS if params(n).datadir_subdir]
    return any((d / s / "blocks" / "index").is_dir() for s in subs)


def open_source(datadir: Path | None = None, network: str | None = None, rpc_url: str | None = None,
                rpc_user: str | None = None, rpc_password: str | None = None, rpc_cookie: Path | None = None,
                workers: int = 4, timeout: float | None = None, retries: int | None = None):
    """(source, mode) for `ingest bitcoin` / `follow`; mode is "datadir" (bitcoind stopped: libbitcoinkernel),
    "live" (the datadir of a running node: blk/rev files + RPC for the chain) or "rpc" (getblock 3 only).

    --datadir alone: the kernel when the datadir is free, the live reader (RPC on the network's default
    local port, the datadir's cookie) when bitcoind holds it. --datadir with --rpc-url: the live reader
    when the datadir holds blocks, else it only names the cookie's folder."""
    from costbasis.bitcoin.datadir import DatadirSource, locked_by
    from costbasis.bitcoin.rpc import rpc_source_from_options

    if datadir is not None and rpc_url is None:
        d = resolve_datadir(Path(datadir), network or "main")
        if locked_by(d) is None:
            return DatadirSource(datadir, network or "main"), "datadir"
    if datadir is not None and _holds_blocks(Path(datadir)):
        return LiveDatadirSource(datadir, network, rpc_url, rpc_user, rpc_password, rpc_cookie, timeout=timeout,
                                 retries=retries), "live"
    if rpc_url is None:
        raise CostbasisError("give --datadir PATH (read the files) or --rpc-url URL (ask a running node)")
    return rpc_source_from_options(rpc_url, rpc_user, rpc_password, rpc_cookie, workers=workers, network=network,
                                   datadir=datadir, timeout=timeout, retries=retries), "rpc"
