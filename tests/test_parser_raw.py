"""Parser on single raw mainnet blocks, a hand-built segwit block, undo compression, script classes."""

from __future__ import annotations

import hashlib
import struct

import pytest

from costbasis.bitcoin.bulk_address import types_and_addresses
from costbasis.bitcoin.parser import BlockColumns, ParseError, decompress_amount, parse_block, parse_undo
from costbasis.bitcoin.script import classify
from costbasis.bitcoin.tables import make_batch

RAW = {169482: "mainnet_block_169482.raw", 227835: "mainnet_block_227835.raw", 227836: "mainnet_block_227836.raw",
       363703: "mainnet_block_363703.raw", 481815: "mainnet_block_481815.raw"}


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def parse(raw: bytes, height: int, undo: bytes | None = None):
    cols = BlockColumns()
    bh = parse_block(raw, height, undo, cols, 0)
    return make_batch("main", height, height, {height: bh}, cols.blocks, cols.outputs, cols.inputs)


@pytest.mark.parametrize("height", sorted(RAW))
def test_raw_block_txids_merkle_and_outputs(shared_data, height):
    import pbk

    raw = (shared_data / "btc_blocks" / RAW[height]).read_bytes()
    batch = parse(raw, height)
    blk = batch.tables["blocks"].to_pylist()[0]
    # proof of work: the hash we computed is below the header's nBits target
    bits = struct.unpack_from("<I", raw, 72)[0]
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    assert int(blk["hash"], 16) <= target
    assert blk["size"] == len(raw)
    ref = pbk.Block(raw)  # libbitcoinkernel as the independent reference
    ref_txs = list(ref.transactions)
    assert blk["tx_count"] == len(ref_txs)
    outs = batch.tables["outputs"]
    txids = []
    for r in outs.to_pylist():
        if r["vout"] == 0:
            txids.append(r["txid"])
    assert txids == [str(t.txid) for t in ref_txs]
    # merkle root of our txids equals the header's
    level = [bytes.fromhex(t)[::-1] for t in txids]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    assert level[0] == raw[36:68]
    ref_sum = sum(o.amount for t in ref_txs for o in t.outputs)
    assert sum(outs["value"].to_pylist()) == ref_sum
    assert outs.num_rows == sum(len(t.outputs) for t in ref_txs)
    assert batch.tables["inputs"].num_rows == 0  # no undo data for a lone block


def test_block_481815(shared_data):
    raw = (shared_data / "btc_blocks" / RAW[481815]).read_bytes()
    blk = parse(raw, 481815).tables["blocks"].to_pylist()[0]
    assert blk["tx_count"] == 2097
    # mined 9 blocks before segwit activated (481824): no witness data, weight = 4 x size
    assert blk["weight"] == 4 * blk["size"] and blk["weight"] <= 4_000_000
    assert blk["subsidy"] == 1_250_000_000


def _tx(version: int, ins: list[bytes], outs: list[tuple[int, bytes]], witness: list[list[bytes]] | None) -> bytes:
    def cs(n):
        return bytes([n]) if n < 0xFD else b"\xfd" + struct.pack("<H", n)

    body = cs(len(ins)) + b"".join(ins) + cs(len(outs)) + b"".join(struct.pack("<q", v) + cs(len(s)) + s for v, s in outs)
    wit = b""
    if witness:
        wit = b"".join(cs(len(st)) + b"".join(cs(len(x)) + x for x in st) for st in witness)
        return struct.pack("<i", version) + b"\x00\x01" + body + wit + b"\0\0\0\0"
    return struct.pack("<i", version) + body + b"\0\0\0\0"


def test_segwit_block_txid_weight_and_bech32():
    import pbk

    p2wpkh = bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6")           # BIP173 vector
    p2tr = bytes.fromhex("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")  # BIP350 vector
    coinbase = _tx(1, [b"\0" * 32 + b"\xff" * 4 + b"\x04\x03\x01\x02\x03" + b"\xff" * 4], [(50 * 10**8, p2wpkh)], None)
    spend_in = bytes(range(32)) + struct.pack("<I", 1) + b"\x00" + b"\xfe\xff\xff\xff"
    wit = [[b"\x30" * 71, b"\x02" + b"\x11" * 32]]
    seg = _tx(2, [spend_in], [(1_000, p2wpkh), (2_000, p2tr), (0, b"\x6a\x04abcd")], wit)
    ids = [bytes.fromhex(str(pbk.Transaction(t).txid))[::-1] for t in (coinbase, seg)]
    header = struct.pack("<i", 0x20000000) + b"\x11" * 32 + sha256d(ids[0] + ids[1]) + struct.pack("<III", 1, 2, 3)
    raw = header + b"\x02" + coinbase + seg
    batch = parse(raw, 500_000)
    blk = batch.tables["blocks"].to_pylist()[0]
    witness_bytes = 2 + 1 + 1 + 71 + 1 + 33   # marker+flag, item count, two items with length prefixes
    assert blk["size"] == len(raw)
    assert blk["weight"] == 4 * (len(raw) - witness_bytes) + witness_bytes
    assert blk["fees"] is None  # spent coins unknown without undo data
    outs = batch.tables["outputs"].to_pylist()
    assert [o["txid"] for o in outs] == [str(pbk.Transaction(coinbase).txid)] + [str(pbk.Transaction(seg).txid)] * 3
    assert outs[1]["txid"] != sha256d(seg)[::-1].hex()   # txid excludes the witness
    # addresses are not stored: formatted from the scripts in bulk where shown
    addrs = types_and_addresses(batch.tables["outputs"]["script"], "main")[1].to_pylist()
    assert "address" not in batch.tables["outputs"].column_names
    assert [(o["script_type"], a, o["spendable"]) for o, a in zip(outs, addrs)] == [
        ("p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", True),
        ("p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", True),
        ("p2tr", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", True),
        ("op_return", None, False)]


def test_corrupt_blocks_raise_parse_error(shared_data):
    raw = (shared_data / "btc_blocks" / RAW[227836]).read_bytes()
    for bad in (raw[:-1], raw[: len(raw) // 2], raw + b"\0", raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:], raw[:50]):
        with pytest.raises(ParseError):
            parse(bad, 227836)


def test_decompress_amount_core_vectors():
    # Bitcoin Core src/test/compress_tests.cpp
    assert decompress_amount(0x0) == 0
    assert decompress_amount(0x1) == 1
    assert decompress_amount(0x7) == 1_000_000
    assert decompress_amount(0x9) == 100_000_000
    assert decompress_amount(0x32) == 50 * 100_000_000
    assert decompress_amount(0x1406F40) == 21_000_000 * 100_000_000


def test_undo_special_scripts():
    x = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")  # generator point G
    h20 = bytes(range(20))
    # one tx undo with 5 coins: p2pkh, p2sh, compressed p2pk, uncompressed p2pk (even y), raw script
    coins = [(b"\x00", h20), (b"\x01", h20), (b"\x02", x), (b"\x04", x), (bytes([6 + 3]), b"\x51\x52\x53")]
    body = b"\x01\x05"
    for code, payload in coins:
        body += b"\x14" + b"\x00" + b"\x09" + code + payload   # height 10, not coinbase; 1 BTC
    undo = parse_undo(body)
    assert len(undo) == 1 and [c[:3] for c in undo[0]] == [(10, False, 100_000_000)] * 5
    scripts = [c[3] for c in undo[0]]
    assert scripts[0] == b"\x76\xa9\x14" + h20 + b"\x88\xac"
    assert scripts[1] == b"\xa9\x14" + h20 + b"\x87"
    assert scripts[2] == b"\x21\x02" + x + b"\xac"
    gy = bytes.fromhex("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
    assert scripts[3] == b"\x41\x04" + x + gy + b"\xac"
    assert scripts[4] == b"\x51\x52\x53"
    with pytest.raises(ParseError):
        parse_undo(body[:-1])


@pytest.mark.parametrize("script,kind", [
    ("76a914" + "00" * 20 + "88ac", "p2pkh"), ("a914" + "00" * 20 + "87", "p2sh"),
    ("0014" + "00" * 20, "p2wpkh"), ("0020" + "00" * 32, "p2wsh"), ("5120" + "00" * 32, "p2tr"),
    ("5202" + "4e73", "witness_unknown"), ("0015" + "00" * 21, "nonstandard"),
    ("21" + "02" + "00" * 32 + "ac", "p2pk"), ("41" + "04" + "00" * 64 + "ac", "p2pk"),
    ("51" + "21" + "02" + "00" * 32 + "21" + "03" + "00" * 32 + "52ae", "multisig"),
    ("52" + "21" + "02" + "00" * 32 + "51ae", "nonstandard"),   # m > n
    ("6a0461626364", "op_return"), ("6a", "op_return"), ("51", "nonstandard"), ("", "nonstandard"),
])
def test_classify(script, kind):
    assert classify(bytes.fromhex(script)) == kind
