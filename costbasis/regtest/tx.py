"""Transactions: serialization, txid/wtxid, and the three signature hashes
(legacy, BIP143 segwit v0, BIP341 taproot key path), all for SIGHASH_ALL/DEFAULT.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .keys import sha256, sha256d, tagged_hash

SIGHASH_ALL = 1


def varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def var_bytes(b: bytes) -> bytes:
    return varint(len(b)) + b


@dataclass(slots=True)
class TxIn:
    prev_txid: bytes          # 32 bytes, internal (little-endian) order
    prev_vout: int
    script_sig: bytes = b""
    sequence: int = 0xFFFFFFFF
    witness: list[bytes] = field(default_factory=list)

    def outpoint(self) -> bytes:
        return self.prev_txid + struct.pack("<I", self.prev_vout)


@dataclass(slots=True)
class TxOut:
    value: int
    script: bytes

    def serialize(self) -> bytes:
        return struct.pack("<q", self.value) + var_bytes(self.script)


@dataclass(slots=True)
class Tx:
    vin: list[TxIn]
    vout: list[TxOut]
    version: int = 2
    locktime: int = 0

    def has_witness(self) -> bool:
        return any(i.witness for i in self.vin)

    def _body(self, script_sigs: list[bytes] | None = None) -> tuple[bytes, bytes]:
        ins = [varint(len(self.vin))]
        for k, i in enumerate(self.vin):
            ss = i.script_sig if script_sigs is None else script_sigs[k]
            ins.append(i.outpoint() + var_bytes(ss) + struct.pack("<I", i.sequence))
        outs = [varint(len(self.vout))] + [o.serialize() for o in self.vout]
        return b"".join(ins), b"".join(outs)

    def serialize(self, witness: bool = True) -> bytes:
        ins, outs = self._body()
        ver, lock = struct.pack("<i", self.version), struct.pack("<I", self.locktime)
        if witness and self.has_witness():
            wit = b"".join(varint(len(i.witness)) + b"".join(var_bytes(w) for w in i.witness) for i in self.vin)
            return ver + b"\x00\x01" + ins + outs + wit + lock
        return ver + ins + outs + lock

    def txid_bytes(self) -> bytes:
        """Internal byte order (as used in outpoints and the merkle tree)."""
        return sha256d(self.serialize(witness=False))

    def wtxid_bytes(self) -> bytes:
        return sha256d(self.serialize(witness=True))

    def txid(self) -> str:
        return self.txid_bytes()[::-1].hex()

    def weight(self) -> int:
        base = len(self.serialize(witness=False))
        return base * 3 + len(self.serialize(witness=True))


def sighash_legacy(tx: Tx, index: int, script_code: bytes, hashtype: int = SIGHASH_ALL) -> bytes:
    """Original sighash: every scriptSig emptied except the signed input's (= script_code)."""
    sigs = [b""] * len(tx.vin)
    sigs[index] = script_code
    ins, outs = tx._body(sigs)
    return sha256d(struct.pack("<i", tx.version) + ins + outs + struct.pack("<I", tx.locktime)
                   + struct.pack("<I", hashtype))


class SegwitSighash:
    """BIP143 and BIP341 digests for one transaction (shared midstate hashes computed once)."""

    def __init__(self, tx: Tx, amounts: list[int], scripts: list[bytes]):
        self.tx = tx
        self.amounts, self.scripts = amounts, scripts
        prevouts = b"".join(i.outpoint() for i in tx.vin)
        seqs = b"".join(struct.pack("<I", i.sequence) for i in tx.vin)
        outs = b"".join(o.serialize() for o in tx.vout)
        self.v0 = (sha256d(prevouts), sha256d(seqs), sha256d(outs))
        self._v1 = None
        self._raw = (prevouts, seqs, outs)

    def bip143(self, index: int, script_code: bytes, hashtype: int = SIGHASH_ALL) -> bytes:
        tx, i = self.tx, self.tx.vin[index]
        hp, hs, ho = self.v0
        return sha256d(struct.pack("<i", tx.version) + hp + hs + i.outpoint() + var_bytes(script_code)
                       + struct.pack("<qI", self.amounts[index], i.sequence) + ho
                       + struct.pack("<II", tx.locktime, hashtype))

    def bip341(self, index: int) -> bytes:
        """Key-path spend, SIGHASH_DEFAULT (0x00), no annex."""
        if self._v1 is None:
            prevouts, seqs, outs = self._raw
            self._v1 = (sha256(prevouts), sha256(b"".join(struct.pack("<q", a) for a in self.amounts)),
                        sha256(b"".join(var_bytes(s) for s in self.scripts)), sha256(seqs), sha256(outs))
        sp, sa, ss, sq, so = self._v1
        msg = (b"\x00\x00" + struct.pack("<iI", self.tx.version, self.tx.locktime) + sp + sa + ss + sq + so
               + b"\x00" + struct.pack("<I", index))
        return tagged_hash("TapSighash", msg)
