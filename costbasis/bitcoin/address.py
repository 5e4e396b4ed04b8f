"""Bitcoin address <-> scriptPubKey (base58check, bech32, bech32m), standard library only.

Encoding is used when rows are written (with a per-script cache on the hot path);
decoding turns label addresses into scripts once, so labels match outputs by script.
"""

from __future__ import annotations

import hashlib

from costbasis.errors import CostbasisError

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B58_INDEX = {c: i for i, c in enumerate(B58)}
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_INDEX = {c: i for i, c in enumerate(BECH32)}
BECH32_CONST, BECH32M_CONST = 1, 0x2BC830A3

# network -> (p2pkh version byte, p2sh version byte, bech32 hrp)
NETWORKS = {
    "main": (0x00, 0x05, "bc"),
    "testnet": (0x6F, 0xC4, "tb"),
    "testnet4": (0x6F, 0xC4, "tb"),
    "signet": (0x6F, 0xC4, "tb"),
    "regtest": (0x6F, 0xC4, "bcrt"),
}


class InvalidAddress(CostbasisError):
    pass


def _sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def b58check_encode(payload: bytes) -> str:
    data = payload + _sha256d(payload)[:4]
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58check_decode(s: str) -> bytes:
    n = 0
    for c in s:
        if c not in B58_INDEX:
            raise InvalidAddress(f"invalid base58 character {c!r}")
        n = n * 58 + B58_INDEX[c]
    pad = len(s) - len(s.lstrip("1"))
    raw = b"\0" * pad + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")
    if len(raw) < 5 or _sha256d(raw[:-4])[:4] != raw[-4:]:
        raise InvalidAddress("bad base58 checksum")
    return raw[:-4]


def _polymod(values) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data, frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def segwit_encode(hrp: str, witver: int, prog: bytes) -> str:
    const = BECH32_CONST if witver == 0 else BECH32M_CONST
    data = [witver] + _convertbits(prog, 8, 5, True)
    pm = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + checksum)


def segwit_decode(hrp: str, addr: str) -> tuple[int, bytes]:
    if addr.lower() != addr and addr.upper() != addr:
        raise InvalidAddress("mixed-case bech32 address")
    addr = addr.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr) or len(addr) > 90 or addr[:pos] != hrp:
        raise InvalidAddress("bad bech32 address")
    try:
        data = [BECH32_INDEX[c] for c in addr[pos + 1:]]
    except KeyError:
        raise InvalidAddress("invalid bech32 character") from None
    const = _polymod(_hrp_expand(hrp) + data)
    witver = data[0]
    if const != (BECH32_CONST if witver == 0 else BECH32M_CONST):
        raise InvalidAddress("bad bech32 checksum")
    prog = _convertbits(data[1:-6], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40 or witver > 16 or (witver == 0 and len(prog) not in (20, 32)):
        raise InvalidAddress("bad witness program")
    return witver, bytes(prog)


def script_to_address(script_type: str, script: bytes, network: str = "main") -> str | None:
    """Address of a classified scriptPubKey (None for types without one)."""
    pkh, sh, hrp = NETWORKS[network]
    if script_type == "p2pkh":
        return b58check_encode(bytes([pkh]) + script[3:23])
    if script_type == "p2sh":
        return b58check_encode(bytes([sh]) + script[2:22])
    if script_type in ("p2wpkh", "p2wsh", "p2tr", "witness_unknown"):
        op = script[0]
        ver = 0 if op == 0 else op - 0x50
        return segwit_encode(hrp, ver, script[2:])
    return None


def address_networks(addr: str) -> list[str]:
    """The networks whose encoding `addr` has: by bech32 prefix (checksum not checked) or by the
    version byte of a valid base58check address; [] when neither. For naming the network of an
    address given for another one, instead of a misleading base58 error on a bech32 address."""
    a = addr.strip().lower()
    nets = [n for n, (_, _, hrp) in NETWORKS.items() if a.startswith(hrp + "1")]
    if nets:
        return nets
    try:
        raw = b58check_decode(addr.strip())
    except InvalidAddress:
        return []
    return [n for n, (pkh, sh, _) in NETWORKS.items() if len(raw) == 21 and raw[0] in (pkh, sh)]


def address_to_script(addr: str, network: str = "main") -> bytes:
    """scriptPubKey for an address; raises InvalidAddress (bad checksum, wrong network...)."""
    pkh, sh, hrp = NETWORKS[network]
    addr = addr.strip()
    if addr.lower().startswith(hrp + "1"):
        ver, prog = segwit_decode(hrp, addr)
        return bytes([0 if ver == 0 else 0x50 + ver, len(prog)]) + prog
    others = address_networks(addr)
    if others and network not in others:
        kind = f"bech32 (prefix {NETWORKS[others[0]][2]}1)" if addr.lower().startswith(NETWORKS[others[0]][2] + "1") \
            else "base58"
        raise InvalidAddress(f"{kind} address of network {'/'.join(others)}, not {network}")
    raw = b58check_decode(addr)
    if len(raw) != 21:
        raise InvalidAddress("bad base58 address length")
    if raw[0] == pkh:
        return b"\x76\xa9\x14" + raw[1:] + b"\x88\xac"
    if raw[0] == sh:
        return b"\xa9\x14" + raw[1:] + b"\x87"
    raise InvalidAddress(f"address version byte {raw[0]} is not for network {network}")
