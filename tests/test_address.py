import csv

import pytest

from costbasis.bitcoin.address import InvalidAddress, address_to_script, script_to_address


def _type(script: bytes) -> str:
    if script[0] == 0x76:
        return "p2pkh"
    if script[0] == 0xA9:
        return "p2sh"
    if script[0] == 0:
        return "p2wpkh" if len(script) == 22 else "p2wsh"
    return "p2tr"


# BIP173/BIP350 and well-known vectors (independent of this code)
VECTORS = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", "main"),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87", "main"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6", "main"),
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", "main"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "main"),
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "0014751e76e8199196d454941c45d1b3a323f1433bd6", "regtest"),
]


@pytest.mark.parametrize("addr,script_hex,net", VECTORS)
def test_known_vectors_roundtrip(addr, script_hex, net):
    script = bytes.fromhex(script_hex)
    assert address_to_script(addr, net) == script
    assert script_to_address(_type(script), script, net) == addr


@pytest.mark.parametrize("bad", [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",             # base58 checksum
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",     # bech32 checksum
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1",  # bech32m checksum
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",     # wrong network
    "not-an-address",
])
def test_invalid_addresses_raise(bad):
    with pytest.raises(InvalidAddress):
        address_to_script(bad, "main")


def test_real_exchange_labels_decode(shared_data):
    n = 0
    for r in csv.DictReader(open(shared_data / "labels" / "exchange_address_labels.csv")):
        if r["chain"] != "bitcoin":
            continue
        s = address_to_script(r["address"])
        want = r["address"].lower() if r["address"].lower().startswith("bc1") else r["address"]
        assert script_to_address(_type(s), s) == want
        n += 1
    assert n > 1000
