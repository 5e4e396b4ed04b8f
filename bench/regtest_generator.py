"""How fast the regtest generator builds consensus-valid chains (signing + kernel validation).

Run: .venv/bin/python bench/regtest_generator.py [blocks] [txs_per_block]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from costbasis.regtest import ChainBuilder

TYPES = ["p2pkh", "p2wpkh", "p2sh", "p2wsh", "p2tr", "p2pk", "multisig"]


def main(blocks: int = 300, per_block: int = 20) -> None:
    d = Path(tempfile.mkdtemp(prefix="regtest-bench-"))
    try:
        t0 = time.perf_counter()
        cb = ChainBuilder(d, start_time=1_700_000_000, seed="bench")
        ws = [cb.wallet(f"w{i}", TYPES[i % len(TYPES)]) for i in range(28)]
        cb.mine(110)
        cb.send(cb.miner, [(w, 50_000_000) for w in ws], fee=5_000)
        cb.mine(1)
        t1 = time.perf_counter()
        ntx = nin = 0
        for b in range(blocks):
            for j in range(per_block):
                src, dst = ws[(b * 7 + j) % len(ws)], ws[(b * 3 + j * 5 + 1) % len(ws)]
                cb.send(src, [(dst, 10_000 + j)], fee=200, select="oldest" if j % 2 else "newest")
                ntx += 1
                nin += len(cb.mempool[-1].tx.vin)
            cb.mine(1)
        t2 = time.perf_counter()
        cb.close()
        dt = t2 - t1
        print(f"setup (111 blocks, funding): {t1 - t0:.2f}s")
        print(f"{blocks} blocks, {ntx} txs, {nin} signed inputs in {dt:.2f}s: "
              f"{blocks / dt:,.0f} blocks/s, {ntx / dt:,.0f} tx/s, {nin / dt:,.0f} inputs/s (signing + libbitcoinkernel)")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
