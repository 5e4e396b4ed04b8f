"""The hot-path address formatter agrees with the reference encoder (address.py) and BIP vectors."""

import random

from costbasis.bitcoin import address as ref
from costbasis.bitcoin import addrfast
from costbasis.bitcoin.script import classify


def test_addrfast_equals_reference_encoder():
    r = random.Random(5)
    scripts = [b"\x76\xa9\x14" + b"\0" * 20 + b"\x88\xac", b"\xa9\x14" + b"\0" * 20 + b"\x87"]
    for _ in range(2000):
        scripts += [b"\x76\xa9\x14" + r.randbytes(20) + b"\x88\xac", b"\xa9\x14" + r.randbytes(20) + b"\x87",
                    b"\x00\x14" + r.randbytes(20), b"\x00\x20" + r.randbytes(32), b"\x51\x20" + r.randbytes(32),
                    bytes([0x52, 2]) + r.randbytes(2), bytes([0x60, 40]) + r.randbytes(40)]
    for net in ("main", "testnet", "regtest"):
        for s in scripts:
            t = classify(s)
            assert addrfast.script_to_address(t, s, net) == ref.script_to_address(t, s, net)


def test_known_addresses():
    # the genesis output key hash (well-known address) and the BIP173 P2WSH vector
    assert addrfast.script_to_address("p2pkh", bytes.fromhex("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac")) \
        == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert addrfast.script_to_address("p2wsh", bytes.fromhex(
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")) == \
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"

