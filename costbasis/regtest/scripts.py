"""scriptPubKey templates (and the pushes used to build scriptSigs and witnesses)."""

from __future__ import annotations

OP_0, OP_1, OP_RETURN, OP_CHECKSIG, OP_CHECKMULTISIG = 0x00, 0x51, 0x6A, 0xAC, 0xAE
OP_DUP, OP_HASH160, OP_EQUAL, OP_EQUALVERIFY = 0x76, 0xA9, 0x87, 0x88


def push(data: bytes) -> bytes:
    """Minimal push of `data` (the encoding the standardness rules prefer)."""
    n = len(data)
    if n < 0x4C:
        return bytes([n]) + data
    if n <= 0xFF:
        return b"\x4c" + bytes([n]) + data
    if n <= 0xFFFF:
        return b"\x4d" + n.to_bytes(2, "little") + data
    return b"\x4e" + n.to_bytes(4, "little") + data


def script_num(n: int) -> bytes:
    """CScript() << n: OP_0, OP_1..OP_16, or a minimal little-endian sign-magnitude push."""
    if n == 0:
        return bytes([OP_0])
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    neg, a = n < 0, abs(n)
    out = bytearray()
    while a:
        out.append(a & 0xFF)
        a >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if neg else 0)
    elif neg:
        out[-1] |= 0x80
    return push(bytes(out))


def p2pkh(pkh: bytes) -> bytes:
    return bytes([OP_DUP, OP_HASH160, 20]) + pkh + bytes([OP_EQUALVERIFY, OP_CHECKSIG])


def p2sh(script_hash: bytes) -> bytes:
    return bytes([OP_HASH160, 20]) + script_hash + bytes([OP_EQUAL])


def p2wpkh(pkh: bytes) -> bytes:
    return b"\x00\x14" + pkh


def p2wsh(witness_script_sha256: bytes) -> bytes:
    return b"\x00\x20" + witness_script_sha256


def p2tr(output_key: bytes) -> bytes:
    return b"\x51\x20" + output_key


def p2pk(pubkey: bytes) -> bytes:
    return push(pubkey) + bytes([OP_CHECKSIG])


def multisig(m: int, pubkeys: list[bytes]) -> bytes:
    """Bare m-of-n CHECKMULTISIG script (also used as a P2WSH witness script)."""
    return bytes([0x50 + m]) + b"".join(push(p) for p in pubkeys) + bytes([0x50 + len(pubkeys), OP_CHECKMULTISIG])


def op_return(data: bytes) -> bytes:
    return bytes([OP_RETURN]) + push(data) if data else bytes([OP_RETURN])
