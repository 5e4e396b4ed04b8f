"""Block assembly: coinbase (BIP34 height, witness commitment), merkle roots, header, regtest PoW."""

from __future__ import annotations

import struct

from . import scripts as S
from .keys import sha256d
from .tx import Tx, TxIn, TxOut, varint

REGTEST_BITS = 0x207FFFFF
REGTEST_TARGET = 0x7FFFFF << (8 * (0x20 - 3))
BLOCK_VERSION = 0x20000000
HALVING_INTERVAL = 150          # regtest
COIN = 100_000_000
WITNESS_RESERVED = b"\0" * 32


def subsidy(height: int) -> int:
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def merkle_root(hashes: list[bytes]) -> bytes:
    level = list(hashes)
    while len(level) > 1:
        if len(level) & 1:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def coinbase_tx(height: int, value: int, script: bytes, tag: bytes = b"costbasis") -> Tx:
    # BIP34: the scriptSig starts with CScript() << height; the tag keeps it >= 2 bytes.
    sig = S.script_num(height) + S.push(tag)
    return Tx([TxIn(b"\0" * 32, 0xFFFFFFFF, sig, 0xFFFFFFFF)], [TxOut(value, script)])


def add_witness_commitment(coinbase: Tx, txs: list[Tx]) -> None:
    """BIP141: commit to the wtxid merkle root (coinbase wtxid counts as zero)."""
    root = merkle_root([b"\0" * 32] + [t.wtxid_bytes() for t in txs])
    commitment = sha256d(root + WITNESS_RESERVED)
    coinbase.vout.append(TxOut(0, b"\x6a\x24\xaa\x21\xa9\xed" + commitment))
    coinbase.vin[0].witness = [WITNESS_RESERVED]


def header(prev_hash: bytes, merkle: bytes, time: int, nonce: int) -> bytes:
    return struct.pack("<i", BLOCK_VERSION) + prev_hash + merkle + struct.pack("<III", time, REGTEST_BITS, nonce)


def solve(prev_hash: bytes, merkle: bytes, time: int) -> tuple[bytes, bytes]:
    """Smallest nonce meeting the regtest target (about half of all nonces do). -> (header, hash)"""
    base = struct.pack("<i", BLOCK_VERSION) + prev_hash + merkle + struct.pack("<II", time, REGTEST_BITS)
    nonce = 0
    while True:
        h = base + struct.pack("<I", nonce)
        digest = sha256d(h)
        if int.from_bytes(digest, "little") <= REGTEST_TARGET:
            return h, digest
        nonce += 1


def assemble(prev_hash: bytes, height: int, time: int, txs: list[Tx], fees: int, pay_to: bytes
             ) -> tuple[bytes, bytes, Tx]:
    """Serialized block, its hash (internal order) and the coinbase tx."""
    cb = coinbase_tx(height, subsidy(height) + fees, pay_to)
    if any(t.has_witness() for t in txs):
        add_witness_commitment(cb, txs)
    all_txs = [cb] + txs
    raw_txs = [t.serialize() for t in all_txs]
    merkle = merkle_root([cb.txid_bytes()] + [t.txid_bytes() for t in txs])
    head, digest = solve(prev_hash, merkle, time)
    return head + varint(len(all_txs)) + b"".join(raw_txs), digest, cb
