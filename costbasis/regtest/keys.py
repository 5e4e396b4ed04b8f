"""Deterministic keys, hashes and signatures for the regtest generator.

Keys come from sha256(seed, wallet name, index), so a chain built twice from the
same inputs is byte-identical. ECDSA signing uses libsecp256k1's RFC6979 nonces
(low-S, DER); Schnorr signing passes fixed all-zero aux randomness for the same reason.
"""

from __future__ import annotations

import hashlib

import coincurve

CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def hash160(b: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest()


def tagged_hash(tag: str, msg: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


class Key:
    """One secp256k1 key pair with the encodings the script templates need."""

    __slots__ = ("secret", "priv", "pub", "pkh", "_tap")

    def __init__(self, secret: int):
        self.secret = secret
        self.priv = coincurve.PrivateKey.from_int(secret)
        self.pub = self.priv.public_key.format(compressed=True)   # 33 bytes
        self.pkh = hash160(self.pub)
        self._tap = None

    def sign_ecdsa(self, digest: bytes, hashtype: int = 1) -> bytes:
        """DER signature (RFC6979 nonce, low-S) with the sighash byte appended."""
        return self.priv.sign(digest, hasher=None) + bytes([hashtype])

    # BIP341 key-path only (no script tree): output key Q = P + H_TapTweak(P)·G.
    def _taproot(self) -> tuple[bytes, coincurve.PrivateKey]:
        if self._tap is None:
            d = self.secret if self.pub[0] == 2 else CURVE_N - self.secret   # even-y internal key
            xonly = self.pub[1:]
            t = int.from_bytes(tagged_hash("TapTweak", xonly), "big")
            tweaked = coincurve.PrivateKey.from_int((d + t) % CURVE_N)
            self._tap = (tweaked.public_key.format(compressed=True)[1:], tweaked)
        return self._tap

    @property
    def taproot_output_key(self) -> bytes:
        return self._taproot()[0]

    def sign_taproot(self, digest: bytes) -> bytes:
        """64-byte BIP340 signature (SIGHASH_DEFAULT) by the tweaked key, deterministic aux."""
        return self._taproot()[1].sign_schnorr(digest, aux_randomness=b"\0" * 32)


def derive_key(seed: bytes, name: str, index: int) -> Key:
    counter = 0
    while True:
        h = sha256(b"costbasis-regtest-key" + seed + b"\0" + name.encode() + b"\0"
                   + index.to_bytes(4, "big") + counter.to_bytes(4, "big"))
        secret = int.from_bytes(h, "big")
        if 0 < secret < CURVE_N:
            return Key(secret)
        counter += 1
