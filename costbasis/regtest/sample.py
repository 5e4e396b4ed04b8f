"""A ready-made mixed chain for tests and benchmarks: every output type, spends of coins of
ages from 0 blocks (mempool parent) to the whole history, OP_RETURN burns, P2PK / bare
multisig / nonstandard outputs, sweeps, two regtest halvings."""

from __future__ import annotations

from pathlib import Path

from . import scripts as S
from .builder import ChainBuilder
from .wallet import SCRIPT_TYPES

TYPES = [t for t in SCRIPT_TYPES if t != "p2sh-p2wpkh"]


def build_sample_chain(datadir: str | Path, blocks: int = 330, txs_per_block: int = 12, seed: str = "sample",
                       start_time: int = 1_700_000_000, wallets: int = 21) -> ChainBuilder:
    """Build the chain and return the (still open) builder; call .close() when done."""
    cb = ChainBuilder(datadir, start_time=start_time, seed=seed)
    ws = [cb.wallet(f"w{i:02d}", TYPES[i % len(TYPES)]) for i in range(wallets)]
    hodler = cb.wallet("hodler", "p2pkh")
    cb.mine(101)
    # Early coinbases spread to many wallets (many coins per wallet so ages vary when spent).
    for rnd in range(3):
        cb.send(cb.miner, [(w, 40_000_000 + 1_000 * i + rnd) for i, w in enumerate(ws)] + [(hodler, 3_000_000_000)],
                fee=10_000 + rnd)
        cb.mine(1)
    key = ws[0].entries[ws[0].script].keys[0]
    b = 0
    while cb.height < blocks:
        b += 1
        for j in range(txs_per_block):
            src, dst = ws[(b * 5 + j) % wallets], ws[(b * 3 + j * 7 + 1) % wallets]
            select = ("oldest", "newest", "largest", "smallest")[(b + j) % 4]
            if src.balance(include_mempool=True) < 200_000:
                continue
            cb.send(src, [(dst, 20_000 + 37 * j + b)], fee=150 + j, select=select)
        if b % 10 == 0:       # chain of unconfirmed spends inside one block (age 0)
            a, c = ws[b % wallets], ws[(b + 1) % wallets]
            if a.balance(include_mempool=True) > 300_000:
                cb.send(a, [(c, 100_000)], fee=300, select="newest")
                cb.send(c, [(a, 50_000)], fee=300, select="newest")
        if b % 25 == 0:
            cb.send_op_return(ws[b % wallets], b"costbasis %d" % b, fee=200, value=1_000 + b)
            cb.send(ws[(b + 2) % wallets], [(S.p2pk(key.pub), 5_000), (S.multisig(1, [key.pub]), 6_000),
                                           (b"\x51", 7_000), (b"", 0)], fee=400)
        if b % 60 == 0:       # an old coin moves: long-held coins of many ages
            if hodler.coins:
                cb.sweep(hodler, ws[b % wallets], fee=1_000)
                hodler.new_address()
        if b % 45 == 0:
            cb.send(cb.miner, [(hodler, 100_000_000)], fee=2_000, select="oldest")
        cb.mine(1, to=ws[b % wallets] if b % 3 == 0 else None)
    return cb
