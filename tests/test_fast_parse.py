"""The numba bulk parser (fastparse) gives exactly the rows of the plain-Python reference parser (parser.py).

parser.py is itself checked against libbitcoinkernel (test_parser_raw, test_parser_kernel); here the two
implementations are compared table for table on real mainnet blocks (with and without undo data), on a
hand-built segwit block with every undo compression kind, and on randomly damaged blocks (both must
reject, or both must give the same rows).
"""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from costbasis.bitcoin import fastparse
from costbasis.bitcoin.parser import BlockColumns, ParseError, parse_block
from costbasis.bitcoin.tables import make_batch

RAW = ["mainnet_block_169482.raw", "mainnet_block_227835.raw", "mainnet_block_227836.raw",
       "mainnet_block_363703.raw", "mainnet_block_481815.raw"]


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def reference(raws, undos, heights, medians, network="main"):
    cols = BlockColumns()
    hashes = {}
    for raw, undo, h, mt in zip(raws, undos, heights, medians):
        hashes[h] = parse_block(raw, h, undo, cols, mt)
    return make_batch(network, heights[0], heights[-1], hashes, cols.blocks, cols.outputs, cols.inputs)


def fast(raws, undos, heights, medians, network="main"):
    blocks, outputs, inputs = fastparse.parse_blocks(raws, undos, heights, medians)
    hashes = dict(zip(heights, blocks["hash"].to_pylist()))
    return make_batch(network, heights[0], heights[-1], hashes, blocks, outputs, inputs)


def assert_same(a, b):
    assert a.hashes == b.hashes and a.tx_count == b.tx_count and a.io_count == b.io_count
    for name in ("blocks", "outputs", "inputs", "coin_flows"):
        ta, tb = a.tables[name], b.tables[name]
        assert ta.schema == tb.schema, name
        assert ta.num_rows == tb.num_rows, name
        for col in ta.column_names:
            assert ta[col].to_pylist() == tb[col].to_pylist(), (name, col)


def test_raw_mainnet_blocks_one_by_one_and_as_one_batch(shared_data):
    raws = [(shared_data / "btc_blocks" / f).read_bytes() for f in RAW]
    heights = [int(f.split("_")[2].split(".")[0]) for f in RAW]
    for raw, h in zip(raws, heights):
        assert_same(fast([raw], [None], [h], [h]), reference([raw], [None], [h], [h]))
    both = fast(raws, [None] * len(raws), heights, heights)
    assert_same(both, reference(raws, [None] * len(raws), heights, heights))
    assert both.tables["outputs"].num_rows > 5_000


def test_mainnet_datadir_blocks_with_undo(mainnet_datadir):
    """Blocks 0-255 with their rev*.dat undo records: P2PK coinbase spends (uncompressed-key undo)."""
    from costbasis.bitcoin.blockfiles import BlockFiles, BlockIndex
    from costbasis.bitcoin.consensus import params
    from costbasis.bitcoin.datadir import DatadirSource

    src = DatadirSource(mainnet_datadir, "main")
    try:
        src._load_hashes()
        index = BlockIndex(src.dir / "blocks")
        files = BlockFiles(src.dir / "blocks", params("main").magic)
        raws, undos = [], []
        for h in range(256):
            e = src._entry(index, h)
            raws.append(files.block(e.file, e.data_pos))
            undos.append(files.undo(e.file, e.undo_pos, e.prev) if h > 0 else None)
        files.close()
        index.close()
    finally:
        src.close()
    heights = list(range(256))
    got = fast(raws, undos, heights, heights)
    assert_same(got, reference(raws, undos, heights, heights))
    ins = got.tables["inputs"]
    assert ins.num_rows > 0 and "p2pk" in ins["script_type"].to_pylist()
    # split batches give the same rows as one
    a = fast(raws[:100], undos[:100], heights[:100], heights[:100])
    assert a.tables["inputs"].num_rows + fast(raws[100:], undos[100:], heights[100:], heights[100:]) \
        .tables["inputs"].num_rows == ins.num_rows


def _cs(n: int) -> bytes:
    return bytes([n]) if n < 0xFD else b"\xfd" + struct.pack("<H", n)


def _tx(version, ins, outs, witness=None) -> bytes:
    body = _cs(len(ins)) + b"".join(ins) + _cs(len(outs)) + b"".join(struct.pack("<q", v) + _cs(len(s)) + s
                                                                      for v, s in outs)
    if witness:
        wit = b"".join(_cs(len(st)) + b"".join(_cs(len(x)) + x for x in st) for st in witness)
        return struct.pack("<i", version) + b"\x00\x01" + body + wit + b"\0\0\0\0"
    return struct.pack("<i", version) + body + b"\0\0\0\0"


def _core_varint(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        n -= 1
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def _block(txs: list[bytes]) -> bytes:
    level = [sha256d(_nonwitness(t) if t[4] == 0 and t[5] == 1 else t) for t in txs]
    while len(level) > 1:
        if len(level) % 2:
            level = level + [level[-1]]
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    header = struct.pack("<i", 0x20000000) + b"\x22" * 32 + level[0] + struct.pack("<III", 1_700_000_000, 2, 3)
    return header + _cs(len(txs)) + b"".join(txs)


def _nonwitness(tx: bytes) -> bytes:
    i = 6
    n, i = tx[i], i + 1
    for _ in range(n):
        i += 36
        i += 1 + tx[i] + 4
    n, i = tx[i], i + 1
    for _ in range(n):
        i += 8
        i += 1 + tx[i]
    return tx[:4] + tx[6:i] + tx[-4:]


def test_segwit_block_with_every_undo_compression_kind():
    x = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")   # generator G
    h20 = bytes(range(20))
    coins = [(b"\x00", h20), (b"\x01", h20), (b"\x02", x), (b"\x03", x), (b"\x04", x), (b"\x05", x),
             (_core_varint(6 + 3), b"\x51\x52\x53"), (_core_varint(6 + 10_001), b"\x6a" * 10_001)]
    undo = _cs(1) + _cs(len(coins))
    for k, (code, payload) in enumerate(coins):
        height = 100 + k
        undo += _core_varint(height * 2 + (k & 1)) + b"\x00" + _core_varint(9 + 10 * k) + code + payload
    cb = _tx(1, [b"\0" * 32 + b"\xff" * 4 + b"\x03\x01\x02\x03" + b"\xff" * 4], [(50 * 10**8, b"\x00\x14" + h20)])
    ins = [bytes([k]) * 32 + struct.pack("<I", k) + b"\x00" + b"\xfe\xff\xff\xff" for k in range(len(coins))]
    outs = [(1_000, b"\x00\x14" + h20), (2_000, b"\x51\x20" + x), (0, b"\x6a\x04abcd"),
            (5, b"\x76\xa9\x14" + h20 + b"\x88\xac"), (6, b"\xa9\x14" + h20 + b"\x87"), (7, b"\x52\x02\x4e\x73")]
    spend = _tx(2, ins, outs, [[b"\x30" * 71, b"\x02" + b"\x11" * 32]] * len(ins))
    raw = _block([cb, spend])
    for net in ("main", "regtest"):
        got = fast([raw], [undo], [500_000], [7], net)
        assert_same(got, reference([raw], [undo], [500_000], [7], net))
    rows = got.tables["inputs"].to_pylist()
    assert [r["created_height"] for r in rows] == [100 + k for k in range(len(coins))]
    assert [r["script"][:1] for r in rows][4:6] == [b"\x41", b"\x41"] and rows[-1]["script"] == b"\x6a"
    assert got.tables["blocks"]["fees"].to_pylist()[0] == sum(r["value"] for r in rows) - sum(v for v, _ in outs)
    # coin count per tx must match the inputs
    bad_undo = _cs(1) + _cs(len(coins) - 1) + undo[2:]
    with pytest.raises(ParseError):
        fast([raw], [bad_undo], [500_000], [7])
    with pytest.raises(ParseError):
        fast([raw], [undo[:-1]], [500_000], [7])


def _outcome(fn, *args):
    try:
        batch = fn(*args)
    except ParseError:
        return "error"
    return {n: t.to_pylist() for n, t in batch.tables.items()}


def test_damaged_blocks_rejected_like_the_reference(shared_data):
    raw = (shared_data / "btc_blocks" / "mainnet_block_227836.raw").read_bytes()
    for bad in (raw[:-1], raw[: len(raw) // 2], raw + b"\0", raw[:50], b"",
                raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:]):
        with pytest.raises(ParseError):
            fast([bad], [None], [227836], [0])
    rnd = random.Random(5)
    small = (shared_data / "btc_blocks" / "mainnet_block_169482.raw").read_bytes()
    for _ in range(150):
        b = bytearray(small)
        for _ in range(rnd.randint(1, 3)):
            p = rnd.randrange(81, len(b))   # the merkle root covers the header's changes anyway
            b[p] = rnd.randrange(256)
        b = bytes(b)
        ref = _outcome(reference, [b], [None], [169482], [0])
        assert _outcome(fast, [b], [None], [169482], [0]) == ref


def test_empty_and_coinbase_only_blocks():
    cb = _tx(1, [b"\0" * 32 + b"\xff" * 4 + b"\x01\x51" + b"\xff" * 4], [(50 * 10**8, b"\x51")])
    raw = _block([cb])
    got = fast([raw, raw], [None, b"\x00"], [0, 1], [0, 0])
    assert_same(got, reference([raw, raw], [None, b"\x00"], [0, 1], [0, 0]))
    assert got.tables["blocks"]["fees"].to_pylist() == [0, 0]


def test_datadir_python_fallback_gives_the_same_rows(mainnet_datadir, mainnet_store, tmp_path, monkeypatch):
    """Without the numba parser (no numba / libcrypto) the datadir source falls back to parser.py."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from costbasis.bitcoin import datadir
    from costbasis.bitcoin.ingest import ingest
    from costbasis.store import Store

    monkeypatch.setattr(datadir, "fastparse", None)
    src = datadir.DatadirSource(mainnet_datadir, "main")
    try:
        ingest(src, Store(tmp_path), batch_blocks=100, progress=False)
    finally:
        src.close()
    for table in ("blocks", "outputs", "inputs", "coin_flows"):
        a, b = (pa.concat_tables([pq.read_table(p) for p in Store(r).chain("bitcoin").files(table)])
                for r in (tmp_path, mainnet_store))
        key = [("height" if "height" in a.column_names else "spent_height", "ascending")]
        if "tx_index" in a.column_names:
            key += [("tx_index", "ascending"), ("vout" if "vout" in a.column_names else "vin", "ascending")]
        elif "created_height" in a.column_names:
            key += [("created_height", "ascending")]
        assert a.sort_by(key).equals(b.sort_by(key)), table


def test_batches_of_blocks_with_odd_and_even_tx_counts():
    """Merkle levels of every parity in one batch (the kernel reuses its scratch level between blocks)."""
    rnd = random.Random(11)
    raws = []
    for n in (4, 5, 1, 3, 2, 7, 8, 9, 6, 5):
        cb = _tx(1, [b"\0" * 32 + b"\xff" * 4 + b"\x02" + bytes([len(raws), 1]) + b"\xff" * 4], [(50 * 10**8, b"\x51")])
        txs = [cb] + [_tx(2, [rnd.randbytes(32) + b"\0\0\0\0" + b"\x00" + b"\xff" * 4],
                          [(rnd.randrange(10**8), b"\x00\x14" + rnd.randbytes(20))]) for _ in range(n - 1)]
        raws.append(_block(txs))
    heights = list(range(1, len(raws) + 1))
    got = fast(raws, [None] * len(raws), heights, heights)
    assert_same(got, reference(raws, [None] * len(raws), heights, heights))
    assert got.tables["blocks"]["tx_count"].to_pylist() == [4, 5, 1, 3, 2, 7, 8, 9, 6, 5]
