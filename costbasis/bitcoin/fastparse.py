"""Bulk parser: the raw blocks and undo records of a whole batch -> source columns as Arrow arrays.

The datadir hot path. numba kernels walk all blocks of a batch in one call (a counting pass,
then a filling pass into exactly-sized numpy arrays: tx / input / output offsets, values,
script offsets), hash txids, block hashes and merkle roots with OpenSSL from inside the kernel,
decode the undo records (Bitcoin Core's compressed coins) and gather the string / binary
columns straight into Arrow buffers. No Python object per row. parser.py is the plain-Python
reference with the same rows (tests compare the two); the only per-row Python work left here is
decompressing uncompressed-P2PK pubkeys from undo data (coincurve), which only early blocks hold.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from costbasis.bitcoin.bulk_address import string_array
from costbasis.bitcoin.openssl import ctx_new, sha256d3
from costbasis.bitcoin.parser import ParseError, _uncompressed_pubkey

ERR_SHORT, ERR_PAST, ERR_TRAILING, ERR_MERKLE = 1, 2, 3, 4
_ERRORS = {ERR_SHORT: "block shorter than a header", ERR_PAST: "data runs past the end of the block",
           ERR_TRAILING: "trailing bytes after the last transaction", ERR_MERKLE: "merkle root mismatch"}
_HEX = np.frombuffer(b"".join(b"%02x" % b for b in range(256)), np.uint16).copy()   # byte -> 2 hex chars


@njit(nogil=True, cache=True)
def _compact(b, i, end):
    """CompactSize at b[i]; (-1, i) when it runs past `end`."""
    if i >= end:
        return np.int64(-1), i
    n = np.int64(b[i])
    if n < 0xFD:
        return n, i + 1
    w = 2 if n == 0xFD else (4 if n == 0xFE else 8)
    if i + 1 + w > end:
        return np.int64(-1), i
    v = np.uint64(0)
    for k in range(w):
        v |= np.uint64(b[i + 1 + k]) << np.uint64(8 * k)
    if v > np.uint64(1 << 62):
        return np.int64(-1), i
    return np.int64(v), i + 1 + w


@njit(nogil=True, cache=True)
def _walk(buf, boff, blen, fill, counts, blk_ntx, blk_wbytes,
          tx_start, tx_bstart, tx_bend, tx_wend, tx_end, tx_nin, tx_nout,
          in_prev, in_vout, out_val, out_soff, out_slen, err):
    """Walk every transaction of every block. fill=False only counts (txs, inputs, outputs);
    fill=True also writes the per-tx / per-input / per-output arrays sized from the count.
    err = [code, block index] of the first malformed block (code 0: none)."""
    T = 0
    I = 0
    O = 0
    for j in range(boff.size):
        p = boff[j]
        end = p + blen[j]
        if blen[j] < 81:
            err[0] = ERR_SHORT
            err[1] = j
            return
        i = p + 80
        ntx, i = _compact(buf, i, end)
        if ntx < 0 or ntx > end - i:
            err[0] = ERR_PAST
            err[1] = j
            return
        wbytes = 0
        for _t in range(ntx):
            start = i
            i += 4
            if i + 2 > end:
                err[0] = ERR_PAST
                err[1] = j
                return
            segwit = buf[i] == 0 and buf[i + 1] == 1
            if segwit:
                i += 2
            bstart = i
            nin, i = _compact(buf, i, end)
            if nin < 0 or nin > end - i:
                err[0] = ERR_PAST
                err[1] = j
                return
            for k in range(nin):
                if i + 37 > end:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                if fill:
                    in_prev[I + k] = i
                    in_vout[I + k] = (np.int64(buf[i + 32]) | (np.int64(buf[i + 33]) << 8) |
                                      (np.int64(buf[i + 34]) << 16) | (np.int64(buf[i + 35]) << 24))
                i += 36
                sl, i = _compact(buf, i, end)
                if sl < 0 or sl + 4 > end - i:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                i += sl + 4
            nout, i = _compact(buf, i, end)
            if nout < 0 or nout > end - i:
                err[0] = ERR_PAST
                err[1] = j
                return
            for k in range(nout):
                if i + 9 > end:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                if fill:
                    v = np.uint64(0)
                    for q in range(8):
                        v |= np.uint64(buf[i + q]) << np.uint64(8 * q)
                    out_val[O + k] = np.int64(v)
                i += 8
                sl, i = _compact(buf, i, end)
                if sl < 0 or sl > end - i:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                if fill:
                    out_soff[O + k] = i
                    out_slen[O + k] = sl
                i += sl
            bend = i
            if segwit:
                for _k in range(nin):
                    nitems, i = _compact(buf, i, end)
                    if nitems < 0 or nitems > end - i:
                        err[0] = ERR_PAST
                        err[1] = j
                        return
                    for _q in range(nitems):
                        sl, i = _compact(buf, i, end)
                        if sl < 0 or sl > end - i:
                            err[0] = ERR_PAST
                            err[1] = j
                            return
                        i += sl
            wend = i
            i += 4
            if i > end:
                err[0] = ERR_PAST
                err[1] = j
                return
            if segwit:
                wbytes += 2 + wend - bend
            if fill:
                tx_start[T] = start
                tx_bstart[T] = bstart if segwit else start
                tx_bend[T] = bend if segwit else i
                tx_wend[T] = wend if segwit else i
                tx_end[T] = i
                tx_nin[T] = nin
                tx_nout[T] = nout
            T += 1
            I += nin
            O += nout
        if i != end:
            err[0] = ERR_TRAILING
            err[1] = j
            return
        if fill:
            blk_ntx[j] = ntx
            blk_wbytes[j] = wbytes
    counts[0] = T
    counts[1] = I
    counts[2] = O


@njit(nogil=True, cache=True)
def _hash(buf, boff, blk_ntx, tx_start, tx_bstart, tx_bend, tx_wend, tx_end, txids, bhash, err):
    """txids (internal order; segwit txs hash version || body || locktime, without the witness),
    block hashes, and the merkle root check against each header."""
    ctx = ctx_new()
    base = buf.ctypes.data
    for t in range(tx_start.size):
        s = tx_start[t]
        if tx_bstart[t] == s:
            sha256d3(ctx, base + s, tx_end[t] - s, 0, 0, 0, 0, txids[t])
        else:
            sha256d3(ctx, base + s, 4, base + tx_bstart[t], tx_bend[t] - tx_bstart[t],
                     base + tx_wend[t], 4, txids[t])
    level = np.empty((1, 32), np.uint8)
    t0 = 0
    for j in range(boff.size):
        sha256d3(ctx, base + boff[j], 80, 0, 0, 0, 0, bhash[j])
        n = blk_ntx[j]
        if n + 1 > level.shape[0]:   # room for the duplicated last node of an odd level
            level = np.empty((n + 1, 32), np.uint8)
        level[:n] = txids[t0:t0 + n]
        while n > 1:
            if n & 1:
                level[n] = level[n - 1]
                n += 1
            for k in range(n // 2):
                sha256d3(ctx, level[2 * k].ctypes.data, 64, 0, 0, 0, 0, level[k])
            n //= 2
        root_ok = True
        if blk_ntx[j] == 0:
            for k in range(32):
                if buf[boff[j] + 36 + k] != 0:
                    root_ok = False
        else:
            for k in range(32):
                if level[0, k] != buf[boff[j] + 36 + k]:
                    root_ok = False
        if not root_ok and err[0] == 0:
            err[0] = ERR_MERKLE
            err[1] = j
        t0 += blk_ntx[j]


@njit(nogil=True, cache=True)
def _varint(b, i, end):
    """Bitcoin Core VARINT; (-1, i) when malformed or past `end`."""
    n = np.int64(0)
    for _ in range(10):
        if i >= end:
            return np.int64(-1), i
        ch = np.int64(b[i])
        i += 1
        n = (n << 7) | (ch & 0x7F)
        if ch & 0x80:
            n += 1
        else:
            return n, i
    return np.int64(-1), i


@njit(nogil=True, cache=True)
def _decompress_amount(x):
    if x == 0:
        return np.int64(0)
    x -= 1
    e = x % 10
    x //= 10
    if e < 9:
        d = x % 9 + 1
        x //= 9
        n = x * 10 + d
    else:
        n = x + 1
    for _ in range(e):
        n *= 10
    return n


@njit(nogil=True, cache=True)
def _walk_undo(u, uoff, ulen, fill, counts, ublk_ntx, utx_nin, coin_h, coin_cb, coin_val, coin_soff,
               sbuf, fix_coin, fix_src, err):
    """CBlockUndo records -> per coin (height, coinbase flag, value, script appended to sbuf).
    Uncompressed P2PK coins get a 67-byte placeholder; fix_coin / fix_src list them for the caller."""
    T = 0
    C = 0
    S = 0
    F = 0
    for j in range(uoff.size):
        i = uoff[j]
        end = i + ulen[j]
        ntx, i = _compact(u, i, end)
        if ntx < 0 or ntx > end - i:
            err[0] = ERR_PAST
            err[1] = j
            return
        if fill:
            ublk_ntx[j] = ntx
        for _t in range(ntx):
            nin, i = _compact(u, i, end)
            if nin < 0 or nin > end - i:
                err[0] = ERR_PAST
                err[1] = j
                return
            if fill:
                utx_nin[T] = nin
            T += 1
            for _k in range(nin):
                code, i = _varint(u, i, end)
                if code < 0:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                h = code >> 1
                if h > 0:
                    _v, i = _varint(u, i, end)          # legacy tx version, always 0
                    if _v < 0:
                        err[0] = ERR_PAST
                        err[1] = j
                        return
                amt, i = _varint(u, i, end)
                nsize, i = _varint(u, i, end)
                if amt < 0 or nsize < 0:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                if nsize < 2:
                    need = 20
                    slen = 25 if nsize == 0 else 23
                elif nsize < 6:
                    need = 32
                    slen = 35 if nsize < 4 else 67
                else:
                    need = nsize - 6
                    slen = need if need <= 10000 else 1   # Core restores oversize scripts as OP_RETURN
                if need > end - i:
                    err[0] = ERR_PAST
                    err[1] = j
                    return
                if fill:
                    coin_h[C] = h
                    coin_cb[C] = (code & 1) == 1
                    coin_val[C] = _decompress_amount(amt)
                    coin_soff[C] = S
                    if nsize == 0:
                        sbuf[S] = 0x76
                        sbuf[S + 1] = 0xA9
                        sbuf[S + 2] = 0x14
                        sbuf[S + 3:S + 23] = u[i:i + 20]
                        sbuf[S + 23] = 0x88
                        sbuf[S + 24] = 0xAC
                    elif nsize == 1:
                        sbuf[S] = 0xA9
                        sbuf[S + 1] = 0x14
                        sbuf[S + 2:S + 22] = u[i:i + 20]
                        sbuf[S + 22] = 0x87
                    elif nsize < 4:
                        sbuf[S] = 0x21
                        sbuf[S + 1] = nsize
                        sbuf[S + 2:S + 34] = u[i:i + 32]
                        sbuf[S + 34] = 0xAC
                    elif nsize < 6:
                        fix_coin[F] = C
                        fix_src[F] = i
                    elif slen == 1 and need > 10000:
                        sbuf[S] = 0x6A
                    else:
                        sbuf[S:S + need] = u[i:i + need]
                if 4 <= nsize < 6:
                    F += 1
                i += need
                S += slen
                C += 1
        if i != end:
            err[0] = ERR_TRAILING
            err[1] = j
            return
    counts[0] = T
    counts[1] = C
    counts[2] = S
    counts[3] = F


@njit(nogil=True, cache=True)
def _gather(src, off, ln, dst_off):
    """Concatenate src[off[k]:off[k]+ln[k]]; dst_off (n+1) receives the offsets."""
    n = off.size
    dst_off[0] = 0
    for k in range(n):
        dst_off[k + 1] = dst_off[k] + ln[k]
    out = np.empty(dst_off[n], np.uint8)
    for k in range(n):
        out[dst_off[k]:dst_off[k + 1]] = src[off[k]:off[k] + ln[k]]
    return out


@njit(nogil=True, cache=True)
def _hex_rows(src, rows, hex2):
    """64-char lower-case hex (display = reversed byte order) of src[rows[k]] (32-byte rows).
    hex2[b] holds both characters of byte b as one little-endian uint16: one store per byte."""
    out = np.empty(rows.size * 32, np.uint16)
    for k in range(rows.size):
        d = src[rows[k]]
        o = k * 32
        for q in range(32):
            out[o + q] = hex2[d[31 - q]]
    return out.view(np.uint8)


@njit(nogil=True, cache=True)
def _hex_at(buf, pos, hex2):
    """64-char display hex of the 32 bytes at buf[pos[k]] (hashes straight from the block bytes)."""
    out = np.empty(pos.size * 32, np.uint16)
    for k in range(pos.size):
        p = pos[k] + 31
        o = k * 32
        for q in range(32):
            out[o + q] = hex2[buf[p - q]]
    return out.view(np.uint8)


@njit(nogil=True, cache=True)
def _key_at(buf, pos):
    """outpoints.tx_key of the txid at buf[pos[k]] (internal byte order): the display order's first 8
    bytes are the last 8 internal bytes reversed, so big-endian over those = little-endian over these."""
    out = np.empty(pos.size, np.uint64)
    for k in range(pos.size):
        p = pos[k] + 24
        v = np.uint64(0)
        for q in range(8):
            v |= np.uint64(buf[p + q]) << np.uint64(8 * q)
        out[k] = v
    return out.view(np.int64)


@njit(nogil=True, cache=True)
def _rows(blk_ntx, blk_height, has_undo, tx_nin, tx_nout, utx_nin, out_val, coin_val,
          o_h, o_ti, o_tx, o_vout, o_cb, in_sel, i_h, i_ti, i_tx, i_vin, fees, err):
    """Row index columns for outputs and inputs (inputs only for non-coinbase txs of blocks with
    undo data, matched one to one with the undo coins), fees per block; err on a count mismatch."""
    t = 0
    o = 0
    ii = 0       # all inputs
    r = 0        # input rows written
    ut = 0       # undo tx cursor
    for j in range(blk_ntx.size):
        h = blk_height[j]
        f = np.int64(0)
        for ti in range(blk_ntx[j]):
            out_sum = np.int64(0)
            for v in range(tx_nout[t]):
                o_h[o] = h
                o_ti[o] = ti
                o_tx[o] = t
                o_vout[o] = v
                o_cb[o] = ti == 0
                out_sum += out_val[o]
                o += 1
            if ti > 0 and has_undo[j]:
                if utx_nin[ut] != tx_nin[t]:
                    err[0] = 1
                    err[1] = j
                    err[2] = ti
                    err[3] = utx_nin[ut]
                    return
                ut += 1
                in_sum = np.int64(0)
                for k in range(tx_nin[t]):
                    in_sel[r] = ii + k
                    i_h[r] = h
                    i_ti[r] = ti
                    i_tx[r] = t
                    i_vin[r] = k
                    in_sum += coin_val[r]
                    r += 1
                f += in_sum - out_sum
            ii += tx_nin[t]
            t += 1
        fees[j] = f
    err[4] = r


def _check(err: np.ndarray, heights, what: str = "block") -> None:
    if err[0]:
        raise ParseError(f"corrupt {what} data at height {heights[int(err[1])]} ({_ERRORS[int(err[0])]})")


def _concat(parts: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lens = np.fromiter((len(p) for p in parts), np.int64, len(parts))
    offs = np.zeros(len(parts), np.int64)
    if len(parts) > 1:
        np.cumsum(lens[:-1], out=offs[1:])
    buf = np.frombuffer(b"".join(parts), np.uint8) if parts else np.empty(0, np.uint8)
    return buf, offs, lens


def _fixed(data: np.ndarray, n: int, width: int) -> pa.Array:
    return string_array(data, np.arange(n + 1, dtype=np.int64) * width)


def _binary(data: np.ndarray, offs: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.binary(), offs.size - 1, [None, pa.py_buffer(offs.astype(np.int32)),
                                                              pa.py_buffer(data)])


def parse_blocks(raws: list[bytes], undos: list[bytes | None], heights: list[int],
                 median_times: list[int]) -> tuple[dict, dict, dict]:
    """(blocks, outputs, inputs) source columns (tables.BLOCK_COLS / OUTPUT_COLS / INPUT_COLS) of
    consecutive blocks; undos[k] is block k's CBlockUndo or None (genesis, or a lone block whose
    spent coins are unknown: no input rows, fees null unless the block has only a coinbase)."""
    nb = len(raws)
    heights = list(heights)
    buf, boff, blen = _concat(raws)
    if buf.size == 0:
        buf = np.zeros(1, np.uint8)
    err = np.zeros(5, np.int64)
    counts = np.zeros(4, np.int64)
    z = np.empty(0, np.int64)
    _walk(buf, boff, blen, False, counts, z, z, z, z, z, z, z, z, z, z, z, z, z, z, err)
    _check(err, heights)
    T, I, O = (int(x) for x in counts[:3])
    blk_ntx, blk_wb = np.empty(nb, np.int64), np.empty(nb, np.int64)
    tx = [np.empty(T, np.int64) for _ in range(7)]
    in_prev, in_vout = np.empty(I, np.int64), np.empty(I, np.int64)
    out_val, out_soff, out_slen = np.empty(O, np.int64), np.empty(O, np.int64), np.empty(O, np.int64)
    _walk(buf, boff, blen, True, counts, blk_ntx, blk_wb, *tx, in_prev, in_vout, out_val, out_soff, out_slen, err)
    tx_start, tx_bstart, tx_bend, tx_wend, tx_end, tx_nin, tx_nout = tx
    txids = np.empty((T, 32), np.uint8)
    bhash = np.empty((nb, 32), np.uint8)
    _hash(buf, boff, blk_ntx, tx_start, tx_bstart, tx_bend, tx_wend, tx_end, txids, bhash, err)
    _check(err, heights)

    # undo records of the blocks that have them
    has_undo = np.array([u is not None for u in undos], np.bool_)
    uparts = [u for u in undos if u is not None]
    ubuf, uoff, ulen = _concat(uparts)
    if ubuf.size == 0:
        ubuf = np.zeros(1, np.uint8)
    uheights = [h for h, u in zip(heights, undos) if u is not None]
    _walk_undo(ubuf, uoff, ulen, False, counts, z, z, z, z, z, z, np.empty(0, np.uint8), z, z, err)
    _check(err, uheights, "undo")
    UT, C, S, F = (int(x) for x in counts)
    ublk_ntx, utx_nin = np.empty(len(uparts), np.int64), np.empty(UT, np.int64)
    coin_h, coin_cb, coin_val, coin_soff = (np.empty(C, np.int64), np.empty(C, np.bool_), np.empty(C, np.int64),
                                            np.empty(C + 1, np.int64))
    sbuf = np.empty(S, np.uint8)
    fix_coin, fix_src = np.empty(F, np.int64), np.empty(F, np.int64)
    _walk_undo(ubuf, uoff, ulen, True, counts, ublk_ntx, utx_nin, coin_h, coin_cb, coin_val, coin_soff, sbuf,
               fix_coin, fix_src, err)
    coin_soff[C] = S
    for c, src in zip(fix_coin.tolist(), fix_src.tolist()):
        nsize = int(ubuf[src - 1])   # the nSize varint (4 or 5) is the byte before the x coordinate
        key = _uncompressed_pubkey(bytes((nsize - 2,)) + ubuf[src:src + 32].tobytes())
        p = int(coin_soff[c])
        sbuf[p] = 0x41
        sbuf[p + 1:p + 66] = np.frombuffer(key, np.uint8)
        sbuf[p + 66] = 0xAC
    for k, j in enumerate(np.flatnonzero(has_undo).tolist()):
        if int(ublk_ntx[k]) != max(int(blk_ntx[j]) - 1, 0):
            raise ParseError(f"undo data for height {heights[j]} covers {int(ublk_ntx[k])} txs, "
                             f"block has {int(blk_ntx[j]) - 1}")

    # row columns
    rerr = np.zeros(5, np.int64)
    o_h, o_ti, o_tx, o_vout = (np.empty(O, np.int32), np.empty(O, np.int32), np.empty(O, np.int64),
                               np.empty(O, np.int32))
    o_cb = np.empty(O, np.bool_)
    i_sel, i_h, i_ti, i_tx, i_vin = (np.empty(C, np.int64), np.empty(C, np.int32), np.empty(C, np.int32),
                                     np.empty(C, np.int64), np.empty(C, np.int32))
    fees = np.empty(nb, np.int64)
    _rows(blk_ntx, np.asarray(heights, np.int64), has_undo, tx_nin, tx_nout, utx_nin, out_val, coin_val,
          o_h, o_ti, o_tx, o_vout, o_cb, i_sel, i_h, i_ti, i_tx, i_vin, fees, rerr)
    if rerr[0]:
        j = int(rerr[1])
        raise ParseError(f"undo data for height {heights[j]} tx {int(rerr[2])} has {int(rerr[3])} coins, "
                         f"tx has a different number of inputs")
    if int(rerr[4]) != C:
        raise ParseError(f"undo data covers {C} coins, blocks have {int(rerr[4])} inputs")

    soff = np.empty(O + 1, np.int64)
    sdata = _gather(buf, out_soff, out_slen, soff)
    outputs = {"height": o_h, "tx_index": o_ti, "txid": _fixed(_hex_rows(txids, o_tx, _HEX), O, 64),
               "vout": o_vout, "value": out_val, "script": _binary(sdata, soff), "is_coinbase": o_cb}
    inputs = {"height": i_h, "tx_index": i_ti, "vin": i_vin,   # no txid: outputs.txid at (height, tx_index)
              "prev_tx_key": _key_at(buf, in_prev[i_sel]),   # the spent txid's key (schema.py)
              "prev_vout": in_vout[i_sel].astype(np.int32), "created_height": coin_h.astype(np.int32),
              "value": coin_val, "script": _binary(sbuf, coin_soff), "is_coinbase": coin_cb}
    hashes = _hex_rows(bhash, np.arange(nb, dtype=np.int64), _HEX)
    prev = _hex_at(buf, boff + 4, _HEX)
    hdr = buf[boff[:, None] + np.arange(80)] if nb else np.empty((0, 80), np.uint8)
    times = hdr[:, 68:72].copy().view("<u4").ravel().astype(np.int64) if nb else np.empty(0, np.int64)
    fees_col = pa.array(fees, pa.int64(), mask=~(has_undo | (blk_ntx == 1)))
    blocks = {"height": np.asarray(heights, np.int32), "hash": _fixed(hashes, nb, 64),
              "prev_hash": _fixed(prev, nb, 64), "time": times, "median_time": np.asarray(median_times, np.int64),
              "tx_count": blk_ntx.astype(np.int32), "size": blen.astype(np.int32),
              "weight": (3 * (blen - blk_wb) + blen).astype(np.int32), "fees": fees_col}
    return blocks, outputs, inputs
