"""Classify a scriptPubKey into the script types of the `outputs.script_type` column.

Templates follow Bitcoin Core's Solver (script/solver.cpp); a pure function of the
bytes so the datadir and RPC sources give identical rows.
"""

from __future__ import annotations

P2PKH, P2SH, P2WPKH, P2WSH, P2TR = "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"
P2PK, MULTISIG, OP_RETURN, WITNESS_UNKNOWN, NONSTANDARD = "p2pk", "multisig", "op_return", "witness_unknown", "nonstandard"
SCRIPT_TYPES = (P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR, MULTISIG, OP_RETURN, WITNESS_UNKNOWN, NONSTANDARD)
# Types whose address column is filled (bech32/bech32m or base58).
ADDRESS_TYPES = frozenset((P2PKH, P2SH, P2WPKH, P2WSH, P2TR, WITNESS_UNKNOWN))

MAX_SCRIPT_SIZE = 10_000


def _is_pubkey(b: bytes) -> bool:
    n = len(b)
    return (n == 33 and b[0] in (2, 3)) or (n == 65 and b[0] in (4, 6, 7))


def _multisig(s: bytes) -> bool:
    # OP_m <pubkey>... OP_n OP_CHECKMULTISIG, 1 <= m <= n <= 16
    n = len(s)
    if n < 37 or s[-1] != 0xAE:
        return False
    m_op, n_op = s[0], s[-2]
    if not (0x51 <= m_op <= 0x60 and 0x51 <= n_op <= 0x60):
        return False
    i, keys = 1, 0
    end = n - 2
    while i < end:
        k = s[i]
        if k not in (33, 65) or i + 1 + k > end or not _is_pubkey(s[i + 1:i + 1 + k]):
            return False
        i += 1 + k
        keys += 1
    return i == end and keys == n_op - 0x50 and m_op <= n_op


def classify(s: bytes) -> str:
    n = len(s)
    if n == 25 and s[0] == 0x76 and s[1] == 0xA9 and s[2] == 0x14 and s[23] == 0x88 and s[24] == 0xAC:
        return P2PKH
    if n == 23 and s[0] == 0xA9 and s[1] == 0x14 and s[22] == 0x87:
        return P2SH
    if 4 <= n <= 42 and (s[0] == 0 or 0x51 <= s[0] <= 0x60) and s[1] + 2 == n:
        # witness program (BIP141): version byte then one 2..40 byte push
        if s[0] == 0:
            if n == 22:
                return P2WPKH
            if n == 34:
                return P2WSH
            return NONSTANDARD
        if s[0] == 0x51 and n == 34:
            return P2TR
        return WITNESS_UNKNOWN
    if n and s[0] == 0x6A:
        return OP_RETURN
    if (n == 35 and s[0] == 33 and s[34] == 0xAC and _is_pubkey(s[1:34])) or \
       (n == 67 and s[0] == 65 and s[66] == 0xAC and _is_pubkey(s[1:66])):
        return P2PK
    if _multisig(s):
        return MULTISIG
    return NONSTANDARD


def is_unspendable(s: bytes) -> bool:
    """Bitcoin Core's CScript::IsUnspendable: never enters the UTXO set."""
    return (len(s) > 0 and s[0] == 0x6A) or len(s) > MAX_SCRIPT_SIZE
