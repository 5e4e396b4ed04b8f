"""Datadir ingest throughput: blocks/s, tx/s, inputs+outputs/s end to end into Parquet.

Builds (once, cached in --workdir) a regtest datadir through libbitcoinkernel's process_block
with mainnet-like transaction shapes: ~2,000 txs per block, 1-3 inputs (P2WSH / P2SH spends
with unique scripts), k change outputs + one payment to a fresh P2PKH / P2WPKH / P2TR, an
occasional OP_RETURN. Scripts are unique, as on mainnet, so per-script caches do not flatter.
Then times `costbasis.bitcoin.ingest.ingest` (DatadirSource -> ChainStore) and projects the
time for full mainnet (~1.15 billion transactions).

    .venv/bin/python bench/ingest.py [--blocks 100] [--txs 2000] [--repeat 3] [--workdir /tmp/costbasis-bench]
    .venv/bin/python bench/ingest.py --live     # also beside a running node: ratio live / stopped

Default chain: 302 blocks, ~200k txs, ~950k inputs+outputs. Peak RSS includes the kernel open.
--live: the project's Bitcoin-Core-like RPC server (tests/support/bitcoind_rpc_server.py) holds the datadir
open through libbitcoinkernel, as bitcoind does, and serves the chain's hashes; the live reader
(costbasis/bitcoin/live.py) takes the chain from it and reads blk/rev files. Runs alternate.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAINNET_TXS = 1_150_000_000
TARGET_TPS = 73_000


def build_chain(datadir: Path, blocks: int, txs_per_block: int, seed: int = 7) -> dict:
    import pbk

    from costbasis.regtest import scripts as S
    from costbasis.regtest.builder import _kernel_block
    from costbasis.regtest.miner import assemble
    from costbasis.regtest.tx import Tx, TxIn, TxOut

    rnd = random.Random(seed)
    cm = pbk.load_chainman(str(datadir / "regtest"), pbk.ChainType.REGTEST)
    t = 1_700_000_000
    prev = bytes.fromhex("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206")[::-1]
    height = 0
    ntx = 0

    def op_true_script(kind: str):
        ws = S.push(rnd.randbytes(8)) + b"\x75\x51"          # <nonce> OP_DROP OP_TRUE: unique, no signature
        if kind == "p2wsh":
            return S.p2wsh(hashlib.sha256(ws).digest()), ws
        h160 = hashlib.new("ripemd160", hashlib.sha256(ws).digest()).digest()
        return S.p2sh(h160), ws

    def payment_script():
        r = rnd.random()
        if r < 0.45:
            return S.p2pkh(rnd.randbytes(20))
        if r < 0.85:
            return S.p2wpkh(rnd.randbytes(20))
        return S.p2tr(rnd.randbytes(32))

    def mine(txs, fees, pay_to):
        nonlocal prev, height, t, ntx
        height += 1
        t += 600
        raw, digest, cb = assemble(prev, height, t, txs, fees, pay_to)
        cm.process_block(_kernel_block(raw))
        chain = cm.get_active_chain()
        if chain.height != height or bytes(chain.block_tree_entries[height].block_hash) != digest:
            raise RuntimeError(f"block {height} rejected by libbitcoinkernel")
        prev = digest
        ntx += len(txs) + 1
        return cb

    # coinbases we can spend later, then 100 blocks for maturity
    pool = []
    for _ in range(101):
        spk, ws = op_true_script("p2wsh")
        cb = mine([], 0, spk)
        pool.append((cb.txid_bytes(), 0, cb.vout[0].value, spk, ws))
    mature = pool[:1]
    pool = pool[1:]
    for _ in range(100 - 1):
        mine([], 0, payment_script())
    # fan out: each coinbase into 100 coins
    fan = []
    new_pool = []
    for (txid, vout, value, spk, ws) in mature + pool[:100]:
        outs, meta = [], []
        for k in range(100):
            s2, w2 = op_true_script("p2wsh" if k % 3 else "p2sh")
            outs.append(TxOut((value - 10_000) // 100, s2))
            meta.append((s2, w2))
        tx = Tx([TxIn(txid, vout, b"", 0xFFFFFFFF, [ws])], outs)
        fan.append(tx)
        tid = tx.txid_bytes()
        new_pool += [(tid, k, outs[k].value, meta[k][0], meta[k][1]) for k in range(100)]
    mine(fan, 10_000 * len(fan), payment_script())
    pool = new_pool
    built_from = height + 1
    for b in range(blocks):
        rnd.shuffle(pool)
        txs, fees, created = [], 0, []
        for j in range(txs_per_block):
            k = rnd.choice((1, 1, 2, 2, 2, 3))
            if len(pool) < k:
                break
            ins = [pool.pop() for _ in range(k)]
            vin = []
            for (txid, vout, value, spk, ws) in ins:
                if spk[0] == 0:                                  # p2wsh: witness = [witness script]
                    vin.append(TxIn(txid, vout, b"", 0xFFFFFFFF, [ws]))
                else:                                            # p2sh: scriptSig = push(redeem script)
                    vin.append(TxIn(txid, vout, S.push(ws), 0xFFFFFFFF))
            total = sum(c[2] for c in ins)
            fee = 200 + 50 * k
            pay = min(10_000, total // 10)
            outs, meta = [], []
            change = (total - fee - pay) // k
            for i in range(k):
                s2, w2 = op_true_script("p2wsh" if rnd.random() < 0.6 else "p2sh")
                outs.append(TxOut(change, s2))
                meta.append((s2, w2))
            outs.append(TxOut(pay, payment_script()))
            if j % 50 == 0:
                outs.append(TxOut(0, S.op_return(rnd.randbytes(20))))
            fees += total - sum(o.value for o in outs)
            tx = Tx(vin, outs)
            txs.append(tx)
            tid = tx.txid_bytes()
            created += [(tid, i, change, meta[i][0], meta[i][1]) for i in range(k)]
        mine(txs, fees, payment_script())
        pool += created
        print(f"\r  built block {height} ({len(txs)} txs)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    cm.__exit__(None, None, None)
    return {"blocks": height + 1, "txs": ntx, "bench_from": built_from}


def run_once(datadir: Path, cache: Path, batch_blocks: int, profile: bool, node=None) -> dict:
    """One timed ingest; `node` (a BitcoindRpcServer holding the datadir): beside a running node."""
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    from costbasis.bitcoin.live import LiveDatadirSource
    from costbasis.store import Store

    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    if node is None:
        src = DatadirSource(datadir, "regtest")
    else:
        src = LiveDatadirSource(datadir, "regtest", rpc_url=node.url, rpc_user="user", rpc_password="pass")
    t_open = time.perf_counter() - t0
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if profile:
        import cProfile
        import pstats
        pr = cProfile.Profile()
        pr.enable()
    c1, t1 = time.process_time(), time.perf_counter()
    s = ingest(src, Store(cache), batch_blocks=batch_blocks, progress=False)
    dt, cpu = time.perf_counter() - t1, time.process_time() - c1
    if profile:
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(18)
    src.close()
    size = sum(f.stat().st_size for f in cache.rglob("*.parquet"))
    return {"s": s, "dt": dt, "cpu": cpu, "open": t_open, "size": size, "rss_open": rss_open}


def bench_live(datadir: Path, cache: Path, batch_blocks: int, repeat: int) -> None:
    """Stopped-node vs live-node ingest of the same chain, runs alternating (the machine is shared)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.bitcoind_rpc_server import BitcoindRpcServer, ChainData

    res = {"stopped": [], "live": []}
    for k in range(max(repeat, 1)):
        res["stopped"].append(run_once(datadir, cache, batch_blocks, False))
        data = ChainData(datadir, "regtest", keep_open=True, hashes_only=True)   # the datadir is locked now
        try:
            with BitcoindRpcServer(data=data) as node:
                r = run_once(datadir, cache, batch_blocks, False, node)
                r["calls"] = dict(node.calls)
        finally:
            data.close()
        if r["s"].rpc_blocks:
            raise SystemExit(f"live run fetched {r['s'].rpc_blocks} blocks through getblock: not a disk benchmark")
        res["live"].append(r)
        print(f"  run {k + 1}: stopped {res['stopped'][-1]['dt']:.2f}s, live {r['dt']:.2f}s "
              f"(RPC calls {r['calls']})")
    s = res["stopped"][0]["s"]
    med = {m: sorted(v, key=lambda r: r["dt"])[len(v) // 2]["dt"] for m, v in res.items()}
    for m in ("stopped", "live"):
        print(f"{m:>8}: median {med[m]:.2f}s  {s.txs / med[m]:,.0f} tx/s  {s.rows / med[m]:,.0f} inputs+outputs/s")
    print(f"live / stopped wall time: {med['live'] / med['stopped']:.2f}x (target <= 2x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=100, help="full blocks after the 202 setup blocks")
    ap.add_argument("--txs", type=int, default=2000, help="transactions per full block")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/costbasis-bench"))
    ap.add_argument("--batch-blocks", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (the machine is shared: best and median)")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the ingest, print the top functions")
    ap.add_argument("--python-parser", action="store_true",
                    help="use the plain-Python reference parser (parser.py) instead of the numba one")
    ap.add_argument("--live", action="store_true",
                    help="compare with the live-node reader (datadir locked by a running node, chain from RPC)")
    ap.add_argument("--zstd-level", type=int, default=None,
                    help="experiment: override the store's Parquet zstd level in this process only")
    a = ap.parse_args()

    from costbasis.bitcoin import datadir as datadir_mod

    if a.python_parser:
        datadir_mod.fastparse = None
    if a.zstd_level is not None:
        from costbasis.store import atomic
        atomic.PARQUET_OPTS["compression_level"] = a.zstd_level
    datadir = a.workdir / f"datadir-{a.blocks}x{a.txs}"
    if a.rebuild and datadir.exists():
        shutil.rmtree(datadir)
    if not (datadir / "regtest" / "blocks" / "index").is_dir():
        t0 = time.perf_counter()
        print(f"building chain in {datadir} ...", file=sys.stderr)
        tmp = datadir.with_name(datadir.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        info = build_chain(tmp, a.blocks, a.txs)
        tmp.rename(datadir)
        print(f"  built {info['blocks']} blocks, {info['txs']} txs in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    parser = "plain Python (parser.py)" if datadir_mod.fastparse is None else "numba bulk (fastparse.py)"
    from costbasis.store.atomic import PARQUET_OPTS
    print(f"parser: {parser}; Parquet {PARQUET_OPTS['compression']} level {PARQUET_OPTS.get('compression_level')}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    warm = run_once(datadir, a.workdir / "cache", a.batch_blocks, False)   # warm-up: numba cache, page cache
    if a.live:
        bench_live(datadir, a.workdir / "cache", a.batch_blocks, a.repeat)
        return
    runs = []
    for k in range(max(a.repeat, 1)):
        r = run_once(datadir, a.workdir / "cache", a.batch_blocks, a.profile and k == 0)
        s = r["s"]
        runs.append(r)
        print(f"  run {k + 1}: {r['dt']:.2f}s wall, {r['cpu']:.2f}s CPU, {s.txs / r['dt']:,.0f} tx/s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = min(runs, key=lambda r: r["dt"])
    med = sorted(runs, key=lambda r: r["dt"])[len(runs) // 2]
    s = best["s"]
    print(f"chain: {s.blocks} blocks, {s.txs:,} txs, {s.rows:,} inputs+outputs; kernel open {best['open']:.2f}s; "
          f"{best['size'] / 1e6:.1f} MB parquet")
    print(f"peak RSS {rss:,.0f} MB (of which {warm['rss_open']:,.0f} MB reached before ingest: imports + kernel open)")
    for label, r in (("best", best), ("median", med)):
        dt = r["dt"]
        tps = s.txs / dt
        print(f"{label:>6}: {dt:.2f}s  {s.blocks / dt:,.0f} blocks/s  {tps:,.0f} tx/s  "
              f"{s.rows / dt:,.0f} inputs+outputs/s  ({r['cpu']:.2f}s CPU = {s.txs / r['cpu']:,.0f} tx per CPU-second)")
        print(f"        projected full mainnet ({MAINNET_TXS / 1e9:.2f}B txs): {MAINNET_TXS / tps / 3600:,.1f} h; "
              f"target {TARGET_TPS:,} tx/s ({MAINNET_TXS / TARGET_TPS / 3600:.1f} h): ratio {tps / TARGET_TPS:.2f}x")


if __name__ == "__main__":
    main()
