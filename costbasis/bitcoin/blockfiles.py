"""Bitcoin Core's on-disk block storage: XOR-obfuscated blk/rev files and the block index.

blk?????.dat / rev?????.dat hold records `[magic 4][size u32 le][payload]`; since
Bitcoin Core 28 every byte at file offset i is XORed with xor.dat[i % 8]. The block
index (blocks/index, LevelDB, not obfuscated) maps b'b' + block hash (internal byte
order) to a CDiskBlockIndex (src/chain.h), serialized as Core VARINTs:
version, height, status, nTx, [nFile], [nDataPos], [nUndoPos], then the 80-byte header.
nDataPos / nUndoPos point just past the 8-byte record header.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from costbasis.errors import CostbasisError

BLOCK_HAVE_DATA = 8
BLOCK_HAVE_UNDO = 16
BLOCK_FAILED_MASK = 32 | 64
UNDO_CHECKSUM = 32  # uint256 after each CBlockUndo


def read_varint(b, i: int) -> tuple[int, int]:
    """Bitcoin Core VARINT (serialize.h ReadVarInt): MSB base-128 with +1 per continuation byte."""
    n = 0
    while True:
        ch = b[i]
        i += 1
        n = (n << 7) | (ch & 0x7F)
        if ch & 0x80:
            n += 1
        else:
            return n, i


@dataclass(frozen=True)
class IndexEntry:
    hash: bytes          # internal byte order (reverse of display)
    height: int
    status: int
    n_tx: int
    file: int            # -1 when neither data nor undo is stored
    data_pos: int        # -1 when missing
    undo_pos: int        # -1 when missing
    header: bytes        # 80 bytes

    @property
    def prev(self) -> bytes:
        return self.header[4:36]

    @property
    def time(self) -> int:
        return int.from_bytes(self.header[68:72], "little")


def decode_index_value(key_hash: bytes, v: bytes) -> IndexEntry:
    i = 0
    _version, i = read_varint(v, i)
    height, i = read_varint(v, i)
    status, i = read_varint(v, i)
    n_tx, i = read_varint(v, i)
    nfile = data_pos = undo_pos = -1
    if status & (BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO):
        nfile, i = read_varint(v, i)
    if status & BLOCK_HAVE_DATA:
        data_pos, i = read_varint(v, i)
    if status & BLOCK_HAVE_UNDO:
        undo_pos, i = read_varint(v, i)
    header = bytes(v[i:i + 80])
    if len(header) != 80:
        raise CostbasisError("corrupt block index entry (short header)")
    return IndexEntry(key_hash, height, status, n_tx, nfile, data_pos, undo_pos, header)


SNAPSHOT_PREFIX = "costbasis-index-"


def sweep_stale_snapshots() -> None:
    """Delete snapshots left by killed runs (their hard links would keep deleted index files on disk).

    Snapshot folders are named after the creating process; a folder whose process is gone is stale."""
    for d in Path(tempfile.gettempdir()).glob(SNAPSHOT_PREFIX + "*-*"):
        pid = d.name[len(SNAPSHOT_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue                      # still running
        except ProcessLookupError:
            pass
        except OSError:
            continue                      # someone else's live process
        shutil.rmtree(d, ignore_errors=True)


def snapshot_leveldb(src: Path) -> Path:
    """Private copy of a LevelDB directory: table files hard-linked (they are immutable), the rest copied.

    Opening a LevelDB replays its log and may compact, i.e. writes. Doing that in the user's datadir
    with plyvel's LevelDB (snappy-compressed tables) leaves an index Bitcoin Core cannot open, so we
    only ever open a snapshot."""
    sweep_stale_snapshots()
    dst = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
    for f in src.iterdir():
        if f.name in ("LOCK", "LOG", "LOG.old") or not f.is_file():
            continue
        if f.suffix in (".ldb", ".sst"):
            try:
                os.link(f, dst / f.name)
                continue
            except OSError:
                pass
        shutil.copy2(f, dst / f.name)
    return dst


class BlockIndex:
    """Read-only view of blocks/index (through a snapshot, see snapshot_leveldb)."""

    def __init__(self, blocks_dir: Path):
        import plyvel

        path = Path(blocks_dir) / "index"
        if not (path / "CURRENT").is_file():
            raise CostbasisError(f"no block index at {path}")
        self.snapshot = snapshot_leveldb(path)
        try:
            self.db = plyvel.DB(str(self.snapshot), create_if_missing=False, compression=None)
        except plyvel.Error as e:
            shutil.rmtree(self.snapshot, ignore_errors=True)
            raise CostbasisError(f"cannot open block index {path}: {str(e).splitlines()[0]}") from None

    def get(self, block_hash: bytes) -> IndexEntry | None:
        v = self.db.get(b"b" + block_hash)
        return None if v is None else decode_index_value(block_hash, v)

    def chain_to(self, tip_hash: bytes, start: int) -> list[IndexEntry]:
        """Entries from height `start` up to the tip, following prev hashes down from the tip."""
        out = []
        h = tip_hash
        while True:
            e = self.get(h)
            if e is None:
                raise CostbasisError(f"block {h[::-1].hex()} missing from the block index")
            if e.height < start:
                break
            out.append(e)
            if e.height == start:
                break
            h = e.prev
        out.reverse()
        return out

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.snapshot, ignore_errors=True)


def read_xor_key(blocks_dir: Path) -> bytes:
    p = Path(blocks_dir) / "xor.dat"
    if not p.is_file():
        return b"\0" * 8  # pre-28 datadirs are not obfuscated
    key = p.read_bytes()
    if len(key) != 8:
        raise CostbasisError(f"{p} is {len(key)} bytes, expected 8")
    return key


class BlockFiles:
    """Reads byte ranges of blk/rev files, undoing the XOR obfuscation. Keeps one file open per kind."""

    def __init__(self, blocks_dir: Path, magic: bytes):
        self.dir = Path(blocks_dir)
        self.magic = magic
        self.key = np.frombuffer(read_xor_key(self.dir), dtype=np.uint8)
        self.plain = not self.key.any()
        self._open: dict[str, tuple[int, object]] = {}

    def _file(self, kind: str, n: int):
        cur = self._open.get(kind)
        if cur and cur[0] == n:
            return cur[1]
        if cur:
            cur[1].close()
        path = self.dir / f"{kind}{n:05d}.dat"
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise CostbasisError(f"missing block file {path}") from None
        self._open[kind] = (n, f)
        return f

    def read(self, kind: str, n: int, offset: int, size: int) -> bytes:
        f = self._file(kind, n)
        f.seek(offset)
        data = f.read(size)
        if len(data) != size:
            raise CostbasisError(f"truncated block file {kind}{n:05d}.dat: wanted {size} bytes at {offset}, got {len(data)}")
        if self.plain:
            return data
        arr = np.frombuffer(data, dtype=np.uint8)
        k = np.roll(self.key, -(offset % 8))
        reps = -(-size // 8)
        return (arr ^ np.tile(k, reps)[:size]).tobytes()

    def record(self, kind: str, n: int, pos: int, extra: int = 0) -> bytes:
        """Payload of the record whose payload starts at `pos` (header is the 8 bytes before it)."""
        if pos < 8:
            raise CostbasisError(f"bad {kind} position {pos} in block index")
        head = self.read(kind, n, pos - 8, 8)
        if head[:4] != self.magic:
            raise CostbasisError(f"corrupt {kind}{n:05d}.dat at {pos - 8}: bad magic {head[:4].hex()} "
                                 f"(wrong --network or damaged file)")
        size = int.from_bytes(head[4:], "little")
        return self.read(kind, n, pos, size + extra)

    def block(self, n: int, pos: int) -> bytes:
        return self.record("blk", n, pos)

    def undo(self, n: int, pos: int, prev_hash: bytes) -> bytes:
        """CBlockUndo payload, checked against its trailing checksum sha256d(prev block hash || undo)."""
        data = self.record("rev", n, pos, UNDO_CHECKSUM)
        body, check = data[:-UNDO_CHECKSUM], data[-UNDO_CHECKSUM:]
        if hashlib.sha256(hashlib.sha256(prev_hash + body).digest()).digest() != check:
            raise CostbasisError(f"corrupt undo data in rev{n:05d}.dat at {pos} (checksum mismatch)")
        return body

    def close(self) -> None:
        for _, f in self._open.values():
            f.close()
        self._open.clear()


def is_datadir_blocks(path: Path) -> bool:
    return (path / "index").is_dir() and any(path.glob("blk*.dat"))


def file_size(path: Path) -> int:
    return os.stat(path).st_size
