"""Bulk script classification / address encoding (numba) against the reference codec and BIP vectors,
and the OpenSSL-from-numba SHA-256 against hashlib."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pyarrow as pa
import pytest

from costbasis.bitcoin import address as ref
from costbasis.bitcoin.bulk_address import types_and_addresses
from costbasis.bitcoin.openssl import sha256d_many
from costbasis.bitcoin.script import ADDRESS_TYPES, MAX_SCRIPT_SIZE, classify
from costbasis.bitcoin.tables import types_and_addresses_py


def _random_scripts(n: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        k = rnd.random()
        if k < 0.15:   # p2pkh, with leading zero bytes in the hash (base58 '1' padding)
            out.append(b"\x76\xa9\x14" + bytes(rnd.randint(0, 20)).ljust(20, b"\x01")[:20] + b"\x88\xac")
        elif k < 0.25:
            out.append(b"\x76\xa9\x14" + rnd.randbytes(20) + b"\x88\xac")
        elif k < 0.35:
            out.append(b"\xa9\x14" + rnd.randbytes(20) + b"\x87")
        elif k < 0.55:  # witness programs of every version and length 2..40 (and some malformed)
            ln = rnd.randint(1, 41)
            out.append(bytes([rnd.choice([0] + list(range(0x51, 0x61)))]) + bytes([ln]) + rnd.randbytes(ln))
        elif k < 0.65:
            m = rnd.randint(1, 3)
            keys = [bytes([33, rnd.choice([2, 3])]) + rnd.randbytes(32) if rnd.random() < 0.7 else
                    bytes([65, rnd.choice([4, 6, 7, 5])]) + rnd.randbytes(64) for _ in range(m)]
            out.append(bytes([0x50 + rnd.randint(1, m + 1)]) + b"".join(keys) + bytes([0x50 + m, 0xAE]))
        elif k < 0.75:
            out.append(bytes([33, rnd.choice([2, 3, 4])]) + rnd.randbytes(32) + b"\xac")
        elif k < 0.8:
            out.append(bytes([65, rnd.choice([4, 6, 7, 2])]) + rnd.randbytes(64) + b"\xac")
        elif k < 0.85:
            out.append(b"\x6a" + rnd.randbytes(rnd.randint(0, 80)))
        else:
            out.append(rnd.randbytes(rnd.randint(0, 70)))
    return out + [b"", b"\x6a", b"\x51", b"\x00\x14" + bytes(20), b"\x6a" * (MAX_SCRIPT_SIZE + 1),
                  b"\x51" * (MAX_SCRIPT_SIZE + 1)]


@pytest.mark.parametrize("network", ["main", "testnet", "regtest"])
def test_bulk_equals_reference_codec(network):
    scripts = _random_scripts(6000, seed=len(network))
    types, addrs, unspendable = types_and_addresses(scripts, network)
    got_t, got_a = types.to_pylist(), addrs.to_pylist()
    for s, t, a, u in zip(scripts, got_t, got_a, unspendable.tolist()):
        want = classify(s)
        assert t == want, s.hex()
        assert a == (ref.script_to_address(want, s, network) if want in ADDRESS_TYPES else None), s.hex()
        assert u == ((len(s) > 0 and s[0] == 0x6A) or len(s) > MAX_SCRIPT_SIZE)
    assert {"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "witness_unknown", "multisig", "p2pk", "op_return",
            "nonstandard"} <= set(got_t)
    # the plain-Python fallback gives the same columns
    py_t, py_a, py_u = types_and_addresses_py(pa.array(scripts, pa.binary()), network)
    assert py_t.to_pylist() == got_t and py_a.to_pylist() == got_a and py_u.tolist() == unspendable.tolist()


def test_bip_vectors_and_known_addresses():
    scripts = [
        bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6"),                       # BIP173
        bytes.fromhex("00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"),  # BIP173
        bytes.fromhex("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),  # BIP350
        bytes.fromhex("5210751e76e8199196d454941c45d1b3a323"),                                    # BIP350 v2
        bytes.fromhex("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"),                    # 1A1zP1 (genesis)
        bytes.fromhex("a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"),                        # en.bitcoin.it P2SH
        bytes.fromhex("76a914" + "00" * 20 + "88ac"),
    ]
    _, addrs, _ = types_and_addresses(pa.array(scripts, pa.binary()), "main")
    assert addrs.to_pylist() == [
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "1111111111111111111114oLvT2",
    ]


def test_empty_and_sliced_columns():
    t, a, u = types_and_addresses([], "main")
    assert len(t) == len(a) == len(u) == 0
    col = pa.array([b"\x6a", bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6"), b""], pa.binary())
    t, a, _ = types_and_addresses(col.slice(1, 2), "main")
    assert t.to_pylist() == ["p2wpkh", "nonstandard"]
    assert a.to_pylist() == ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", None]


def test_openssl_sha256d_equals_hashlib():
    rnd = random.Random(3)
    msgs = [rnd.randbytes(rnd.randint(0, 300)) for _ in range(500)]
    offs = np.cumsum([0] + [len(m) for m in msgs]).astype(np.int64)
    got = sha256d_many(np.frombuffer(b"".join(msgs), np.uint8), offs)
    assert [g.tobytes() for g in got] == [hashlib.sha256(hashlib.sha256(m).digest()).digest() for m in msgs]
