"""Wallets: deterministic receive scripts of one type, the coins they own, input signing."""

from __future__ import annotations

from dataclasses import dataclass

from costbasis.bitcoin.address import script_to_address

from . import scripts as S
from .keys import Key, derive_key, hash160, sha256
from .tx import SegwitSighash, Tx, sighash_legacy

# Output types a wallet can receive to and spend from. "p2sh" is P2SH-wrapped P2WPKH;
# "p2wsh" and "multisig" are 1-of-2 CHECKMULTISIG over two of the wallet's keys.
SCRIPT_TYPES = ("p2pkh", "p2wpkh", "p2sh", "p2sh-p2wpkh", "p2wsh", "p2tr", "p2pk", "multisig")


@dataclass(slots=True)
class Coin:
    txid: bytes              # internal byte order
    vout: int
    value: int
    script: bytes
    height: int | None       # None while the creating tx is in the mempool
    coinbase: bool

    @property
    def outpoint(self) -> tuple[bytes, int]:
        return (self.txid, self.vout)

    @property
    def txid_hex(self) -> str:
        return self.txid[::-1].hex()


@dataclass(slots=True)
class Entry:
    """What the wallet needs to spend one of its scripts."""
    kind: str
    keys: tuple[Key, ...]
    redeem_script: bytes = b""    # P2SH redeem script, or the P2WSH/bare witness script


def _entry(kind: str, keys: tuple[Key, ...]) -> tuple[bytes, Entry]:
    k = keys[0]
    if kind == "p2pkh":
        return S.p2pkh(k.pkh), Entry(kind, keys)
    if kind == "p2wpkh":
        return S.p2wpkh(k.pkh), Entry(kind, keys)
    if kind == "p2sh":
        redeem = S.p2wpkh(k.pkh)
        return S.p2sh(hash160(redeem)), Entry(kind, keys, redeem)
    if kind == "p2wsh":
        ws = S.multisig(1, [k.pub, keys[1].pub])
        return S.p2wsh(sha256(ws)), Entry(kind, keys, ws)
    if kind == "p2tr":
        return S.p2tr(k.taproot_output_key), Entry(kind, keys)
    if kind == "p2pk":
        return S.p2pk(k.pub), Entry(kind, keys)
    if kind == "multisig":
        ms = S.multisig(1, [k.pub, keys[1].pub])
        return ms, Entry(kind, keys, ms)
    raise ValueError(f"unknown script type {kind!r}; expected one of {', '.join(SCRIPT_TYPES)}")


class Wallet:
    """Deterministic keys of one output type. `script`/`address` is the current receive
    destination (sending to a Wallet pays it); `new_address()` rotates to a fresh key."""

    def __init__(self, name: str, script_type: str, seed: bytes, network: str = "regtest"):
        if script_type == "p2sh-p2wpkh":
            script_type = "p2sh"
        if script_type not in SCRIPT_TYPES:
            raise ValueError(f"unknown script type {script_type!r}; expected one of {', '.join(SCRIPT_TYPES)}")
        self.name, self.script_type, self.network = name, script_type, network
        self._seed = seed
        self.entries: dict[bytes, Entry] = {}
        self.scripts: list[bytes] = []
        self.coins: dict[tuple[bytes, int], Coin] = {}     # insertion order = creation order
        self.new_script()

    def __repr__(self) -> str:
        return f"<Wallet {self.name} {self.script_type} coins={len(self.coins)}>"

    def new_script(self) -> bytes:
        i = len(self.scripts)
        keys = (derive_key(self._seed, self.name, i),)
        if self.script_type in ("p2wsh", "multisig"):
            keys += (derive_key(self._seed, self.name + "/cosigner", i),)
        script, entry = _entry(self.script_type, keys)
        self.entries[script] = entry
        self.scripts.append(script)
        return script

    def new_address(self) -> str | None:
        """Rotate to a fresh receive script; its address (None for p2pk/multisig)."""
        self.new_script()
        return self.address

    @property
    def script(self) -> bytes:
        return self.scripts[-1]

    @property
    def key(self) -> Key:
        """Key of the current receive script (e.g. `p2pk(w.key.pub)` for a P2PK output)."""
        return self.entries[self.scripts[-1]].keys[0]

    @property
    def address(self) -> str | None:
        return self.address_of(self.scripts[-1])

    @property
    def addresses(self) -> list[str]:
        """Every address this wallet has handed out (for labels)."""
        return [a for a in (self.address_of(s) for s in self.scripts) if a]

    def address_of(self, script: bytes) -> str | None:
        kind = {"p2sh": "p2sh", "p2pkh": "p2pkh", "p2wpkh": "p2wpkh", "p2wsh": "p2wsh", "p2tr": "p2tr"}.get(self.script_type)
        return script_to_address(kind, script, self.network) if kind else None

    def owns(self, script: bytes) -> bool:
        return script in self.entries

    def balance(self, include_mempool: bool = False) -> int:
        return sum(c.value for c in self.coins.values() if include_mempool or c.height is not None)

    def sign(self, tx: Tx, spent: list[Coin]) -> None:
        """Fill scriptSig/witness of every input (all spend this wallet's coins), SIGHASH_ALL/DEFAULT."""
        seg = None
        if any(self.entries[c.script].kind in ("p2wpkh", "p2sh", "p2wsh", "p2tr") for c in spent):
            seg = SegwitSighash(tx, [c.value for c in spent], [c.script for c in spent])
        for i, coin in enumerate(spent):
            e = self.entries[coin.script]
            k, inp = e.keys[0], tx.vin[i]
            if e.kind == "p2pkh":
                inp.script_sig = S.push(k.sign_ecdsa(sighash_legacy(tx, i, coin.script))) + S.push(k.pub)
            elif e.kind == "p2pk":
                inp.script_sig = S.push(k.sign_ecdsa(sighash_legacy(tx, i, coin.script)))
            elif e.kind == "multisig":
                inp.script_sig = b"\x00" + S.push(k.sign_ecdsa(sighash_legacy(tx, i, coin.script)))
            elif e.kind in ("p2wpkh", "p2sh"):
                sig = k.sign_ecdsa(seg.bip143(i, S.p2pkh(k.pkh)))
                inp.witness = [sig, k.pub]
                if e.kind == "p2sh":
                    inp.script_sig = S.push(e.redeem_script)
            elif e.kind == "p2wsh":
                inp.witness = [b"", k.sign_ecdsa(seg.bip143(i, e.redeem_script)), e.redeem_script]
            elif e.kind == "p2tr":
                inp.witness = [k.sign_taproot(seg.bip341(i))]
