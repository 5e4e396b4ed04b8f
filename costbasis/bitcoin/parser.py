"""Raw block bytes + raw undo bytes -> source columns (see tables.OUTPUT_COLS / INPUT_COLS).

The hot path of the datadir source: a plain-Python walk of the serialization with
struct.unpack_from and hashlib, appending to column lists; no per-row objects.
Undo data (rev*.dat, CBlockUndo) gives each spent coin's creation height, coinbase
flag, value and script in Bitcoin Core's compressed form (compressor.cpp).
"""

from __future__ import annotations

import hashlib
from struct import Struct
from struct import error as StructError

from costbasis.bitcoin.blockfiles import read_varint as _varint  # Core VARINT, shared with the index reader
from costbasis.bitcoin.outpoints import tx_key
from costbasis.errors import CostbasisError

_U16, _U32, _I64 = Struct("<H"), Struct("<I"), Struct("<q")
_sha256 = hashlib.sha256


class ParseError(CostbasisError):
    pass


def sha256d(b) -> bytes:
    return _sha256(_sha256(b).digest()).digest()


def block_hash(header: bytes) -> str:
    return sha256d(header[:80])[::-1].hex()


def decompress_amount(x: int) -> int:
    """Bitcoin Core DecompressAmount (compressor.cpp)."""
    if x == 0:
        return 0
    x -= 1
    e = x % 10
    x //= 10
    if e < 9:
        d = x % 9 + 1
        x //= 9
        n = x * 10 + d
    else:
        n = x + 1
    return n * 10 ** e


_pubkey_cache: dict[bytes, bytes] = {}


def _uncompressed_pubkey(prefix_x: bytes) -> bytes:
    r = _pubkey_cache.get(prefix_x)
    if r is None:
        from coincurve import PublicKey
        try:
            r = PublicKey(prefix_x).format(compressed=False)
        except ValueError:
            raise ParseError("corrupt undo data: compressed pubkey is not on the curve") from None
        if len(_pubkey_cache) > 100_000:
            _pubkey_cache.clear()
        _pubkey_cache[prefix_x] = r
    return r




def parse_undo(u: bytes) -> list[list[tuple[int, bool, int, bytes]]]:
    """CBlockUndo -> per non-coinbase tx, per input: (created_height, is_coinbase, value, script)."""
    try:
        return _parse_undo(u)
    except (IndexError, ValueError, OverflowError, StructError) as e:  # a length field pointing past the end
        raise ParseError(f"corrupt undo data ({e})") from None


def _parse_undo(u: bytes):
    out = []
    n_tx, i = _compact(u, 0)
    for _ in range(n_tx):
        n_in, i = _compact(u, i)
        coins = []
        for _ in range(n_in):
            code, i = _varint(u, i)
            h = code >> 1
            if h > 0:
                _, i = _varint(u, i)  # legacy tx version, always 0
            amt, i = _varint(u, i)
            nsize, i = _varint(u, i)
            if nsize == 0:
                script = b"\x76\xa9\x14" + u[i:i + 20] + b"\x88\xac"
                i += 20
            elif nsize == 1:
                script = b"\xa9\x14" + u[i:i + 20] + b"\x87"
                i += 20
            elif nsize < 4:
                script = b"\x21" + bytes((nsize,)) + u[i:i + 32] + b"\xac"
                i += 32
            elif nsize < 6:
                script = b"\x41" + _uncompressed_pubkey(bytes((nsize - 2,)) + u[i:i + 32]) + b"\xac"
                i += 32
            else:
                nsize -= 6
                script = u[i:i + nsize]
                i += nsize
                if len(script) != nsize:
                    raise IndexError("script runs past end")
                if nsize > 10_000:  # Core stores oversize scripts but restores them as OP_RETURN
                    script = b"\x6a"
            coins.append((h, bool(code & 1), decompress_amount(amt), script))
        out.append(coins)
    if i != len(u):
        raise ParseError(f"corrupt undo data ({len(u) - i} trailing bytes)")
    return out


def _compact(b, i):
    n = b[i]
    if n < 0xFD:
        return n, i + 1
    if n == 0xFD:
        return _U16.unpack_from(b, i + 1)[0], i + 3
    if n == 0xFE:
        return _U32.unpack_from(b, i + 1)[0], i + 5
    return int.from_bytes(b[i + 1:i + 9], "little"), i + 9


class BlockColumns:
    """Column lists for one batch (names as in tables.BLOCK_COLS / OUTPUT_COLS / INPUT_COLS)."""

    def __init__(self):
        self.blocks = {k: [] for k in ("height", "hash", "prev_hash", "time", "median_time", "tx_count",
                                       "size", "weight", "fees")}
        self.outputs = {k: [] for k in ("height", "tx_index", "txid", "vout", "value", "script", "is_coinbase")}
        self.inputs = {k: [] for k in ("height", "tx_index", "vin", "prev_tx_key", "prev_vout",
                                       "created_height", "value", "script", "is_coinbase")}
        self.tx_count = 0


def parse_block(raw: bytes, height: int, undo: bytes | None, cols: BlockColumns, median_time: int) -> str:
    """Append one block's rows to `cols`; returns the block hash.

    `undo` is the block's CBlockUndo; None for genesis, or for a lone raw block whose spent
    coins are unknown (then no input rows are written and fees is null)."""
    try:
        return _parse_block(raw, height, undo, cols, median_time)
    except (IndexError, ValueError, OverflowError, StructError) as e:  # a length field pointing past the end
        raise ParseError(f"corrupt block data at height {height} ({e})") from None


def _parse_block(raw, height, undo, cols, median_time):
    b = raw
    n = len(b)
    if n < 81:
        raise ParseError(f"corrupt block data at height {height} (only {n} bytes)")
    bhash = sha256d(b[:80])[::-1].hex()
    undo_txs = parse_undo(undo) if undo is not None else []
    u32, i64 = _U32.unpack_from, _I64.unpack_from

    o = cols.outputs
    o_h, o_ti, o_txid, o_vout, o_val, o_scr, o_cb = (o["height"], o["tx_index"], o["txid"], o["vout"], o["value"],
                                                      o["script"], o["is_coinbase"])
    ins = cols.inputs
    i_h, i_ti, i_vin, i_ptx, i_pv, i_ch, i_val, i_scr, i_cb = (
        ins["height"], ins["tx_index"], ins["vin"], ins["prev_tx_key"], ins["prev_vout"],
        ins["created_height"], ins["value"], ins["script"], ins["is_coinbase"])

    i = 80
    ntx = b[i]
    i += 1
    if ntx >= 0xFD:
        ntx, i = _compact(b, i - 1)
    witness_bytes = 0
    fees = 0
    have_undo = undo is not None
    if have_undo and len(undo_txs) != max(ntx - 1, 0):
        raise ParseError(f"undo data for height {height} covers {len(undo_txs)} txs, block has {ntx - 1}")
    merkle_leaves = []
    for t in range(ntx):
        start = i
        i += 4
        segwit = b[i] == 0 and b[i + 1] == 1
        if segwit:
            i += 2
        body_start = i
        nin = b[i]
        i += 1
        if nin >= 0xFD:
            nin, i = _compact(b, i - 1)
        prevs = []
        for _ in range(nin):
            pv = b[i:i + 32]
            vout = u32(b, i + 32)[0]
            i += 36
            sl = b[i]
            i += 1
            if sl >= 0xFD:
                sl, i = _compact(b, i - 1)
            i += sl + 4
            prevs.append((pv, vout))
        nout = b[i]
        i += 1
        if nout >= 0xFD:
            nout, i = _compact(b, i - 1)
        out_sum = 0
        for v in range(nout):
            val = i64(b, i)[0]
            i += 8
            sl = b[i]
            i += 1
            if sl >= 0xFD:
                sl, i = _compact(b, i - 1)
            o_val.append(val)
            o_scr.append(b[i:i + sl])
            i += sl
            out_sum += val
        body_end = i
        if segwit:
            for _ in range(nin):
                nitems = b[i]
                i += 1
                if nitems >= 0xFD:
                    nitems, i = _compact(b, i - 1)
                for _ in range(nitems):
                    sl = b[i]
                    i += 1
                    if sl >= 0xFD:
                        sl, i = _compact(b, i - 1)
                    i += sl
            witness_end = i
            i += 4
            if i > n:
                raise IndexError("transaction runs past end of block")
            witness_bytes += 2 + witness_end - body_end
            txh = sha256d(b[start:start + 4] + b[body_start:body_end] + b[witness_end:i])
        else:
            i += 4
            if i > n:
                raise IndexError("transaction runs past end of block")
            txh = sha256d(b[start:i])
        merkle_leaves.append(txh)
        txid = txh[::-1].hex()
        o_h.extend([height] * nout)
        o_ti.extend([t] * nout)
        o_txid.extend([txid] * nout)
        o_vout.extend(range(nout))
        o_cb.extend([t == 0] * nout)
        if t == 0 or not have_undo:
            continue
        coins = undo_txs[t - 1]
        if len(coins) != nin:
            raise ParseError(f"undo data for height {height} tx {t} has {len(coins)} coins, tx has {nin} inputs")
        in_sum = 0
        for k in range(nin):
            pv, vout = prevs[k]
            ch, cb, val, scr = coins[k]
            i_ptx.append(tx_key(pv[::-1].hex()))   # the txid is stored as its key (schema.py)
            i_pv.append(vout)
            i_ch.append(ch)
            i_cb.append(cb)
            i_val.append(val)
            i_scr.append(scr)
            in_sum += val
        i_h.extend([height] * nin)
        i_ti.extend([t] * nin)
        i_vin.extend(range(nin))
        fees += in_sum - out_sum
    if i != n:
        raise ParseError(f"corrupt block data at height {height} ({n - i} trailing bytes)")
    if merkle_root(merkle_leaves) != b[36:68]:
        raise ParseError(f"corrupt block data at height {height} (merkle root mismatch)")
    blk = cols.blocks
    blk["height"].append(height)
    blk["hash"].append(bhash)
    blk["prev_hash"].append(b[4:36][::-1].hex())
    blk["time"].append(u32(b, 68)[0])
    blk["median_time"].append(median_time)
    blk["tx_count"].append(ntx)
    blk["size"].append(n)
    blk["weight"].append(3 * (n - witness_bytes) + n)
    blk["fees"].append(fees if have_undo or ntx == 1 else None)
    cols.tx_count += ntx
    return bhash


def merkle_root(leaves: list[bytes]) -> bytes:
    """Merkle root of txids (internal byte order), duplicating the last node on odd levels."""
    level = leaves
    if not level:
        return b"\0" * 32
    while len(level) > 1:
        if len(level) & 1:
            level = level + [level[-1]]
        level = [sha256d(level[j] + level[j + 1]) for j in range(0, len(level), 2)]
    return level[0]
