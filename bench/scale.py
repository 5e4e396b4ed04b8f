"""Benchmark (issue 12): mainnet-shaped stores at sizes doubling, each user command in a child process.

Per size and command: wall time and peak RSS of the `costbasis` child (RUSAGE_CHILDREN of a fresh
wrapper process, so only that child counts), then the store's bytes per transaction per table, the
growth per doubling, and a projection to mainnet (~1.2 B transactions, ~6,500 days) from the
growth between the two largest sizes.

One function per family builds its stores and lists its commands (`FAMILIES`); `run_family` is the
common runner. Families: cohorts (bench/cohorts.py's synthetic chain, 6,000 days, the issue's age
mix: 95 % spent, 50 % ~30 d / 30 % ~1 y / 20 % uniform over the rest of the chain); flows
(bench/flows.py's mainnet-shaped chain, 300 tx/block, inputs spending real earlier outputs: the
flow tables cold and extended by a day, warm flows and whales, labels expand cold and after one more day).
A "transaction" of the synthetic cohort chain is one coin (one output, spent by one input).

Usage: .venv/bin/python bench/scale.py [--family cohorts] [--sizes 10,20,40,80] [--memory-limit 4GB]
       [--threads 2] [--keep DIR] [--fabricated DIR]      (sizes in millions of coins / transactions)
--fabricated keeps each freshly fabricated flows store there (before any command ran) and copies it on
later runs: the 40 M chain takes ~37 min to fabricate, the commands measured far less.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAINNET_TXS = 1.2e9
# what a family's size counts, at mainnet: cohorts count coins (outputs), ~3.3 B on mainnet
MAINNET_UNITS = {"cohorts": 3.3e9}
WRAPPER = ("import json, resource, subprocess, sys, time\n"
           "t = time.perf_counter()\n"
           "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
           "print(json.dumps({'rc': p.returncode, 'err': p.stderr.decode()[-500:], 's': time.perf_counter() - t,\n"
           "                  'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n")


@dataclass
class Command:
    label: str
    args: list[str]
    warm: bool = False       # a query on up-to-date state (target < 2 s at the largest size)
    before: object = None    # called with the cache before the command (e.g. the chain grows)


def run_cli(cache: Path, args: list[str], memory_limit: str, threads: int) -> dict:
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "costbasis", "--cache", str(cache),
           "--memory-limit", memory_limit, "--threads", str(threads), *args]
    res = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
    if res["rc"] != 0:
        raise SystemExit(f"costbasis {' '.join(args)} failed: {res['err']}")
    return res


def store_bytes(cache: Path) -> dict[str, int]:
    """Bytes per table of every chain (derived state under `derived:<name>`), plus the store-wide
    datasets a command writes (`dataset:clusters`, `dataset:labels`, `dataset:prices`)."""
    out: dict[str, int] = {}
    for name in ("clusters", "labels", "prices"):
        d = cache / name
        if d.is_dir():
            out[f"dataset:{name}"] = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    for chain in (p for p in cache.iterdir() if (p / "_manifest.json").is_file()):
        for d in chain.iterdir():
            if d.is_dir() and d.name == "_derived":
                for sub in d.iterdir():
                    out[f"derived:{sub.name}"] = sum(f.stat().st_size for f in sub.rglob("*") if f.is_file())
            elif d.is_dir():
                out[d.name] = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    return out


# ---------------------------------------------------------------- families
def cohorts_family(size_m: int, root: Path, days: int = 6000):
    """Builds the cohort store of `size_m` million coins; returns (cache, n_txs, commands)."""
    from cohorts import add_prices, synth, write_store
    import numpy as np

    btime, c_h, value, s_h = synth(size_m * 1_000_000, days, mix=True)
    cache = root / f"cohorts-{size_m}m"
    store = write_store(cache, btime, c_h, value, s_h, len(btime) - 1)
    add_prices(store, days, root)
    last = str(np.datetime64(int(btime[-1]) // 86400, "D"))
    first = str(np.datetime64(int(btime[0]) // 86400, "D"))
    mid = str(np.datetime64((int(btime[0]) + int(btime[-1])) // 2 // 86400, "D"))
    logistic = ["cohorts", "--holder-split", "logistic", "--from", first, "--to", last, "--format", "csv"]

    def drop_state(c: Path) -> None:   # the logistic cold call builds the whole state itself
        shutil.rmtree(c / "bitcoin" / "_derived" / "cohorts-BTC", ignore_errors=True)
    cmds = [
        # CSV: a rich table of 90,000 rows would measure the terminal renderer, not the engine
        Command("cohorts --from --to (cold)", ["cohorts", "--from", first, "--to", last, "--format", "csv"]),
        Command("cohorts logistic (cold)", logistic, before=drop_state),
        Command("cohorts --asof (warm)", ["cohorts", "--asof", mid], warm=True),
        Command("urpd --asof (warm)", ["urpd", "--asof", mid], warm=True),
        Command("bands --asof (warm)", ["bands", "--asof", mid], warm=True),
        Command("cohorts logistic (warm)", logistic, warm=True),
    ]
    return cache, size_m * 1_000_000, cmds


FABRICATED: Path | None = None   # --fabricated: where fabricated flows stores are kept between runs


def _fabricated(cache: Path, make) -> dict:
    """The totals of `make()` (which fabricates into `cache`), from a kept copy when --fabricated holds one."""
    kept = FABRICATED / cache.name if FABRICATED else None
    if kept is not None and (kept / "totals.json").is_file():
        shutil.copytree(kept / "store", cache, dirs_exist_ok=True)
        return json.loads((kept / "totals.json").read_text())
    totals = make()
    if kept is not None:
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(cache, kept / "store")
        (kept / "totals.json").write_text(json.dumps(totals, default=int))
    return totals


def flows_family(size_m: int, root: Path, tx_per_block: int = 300):
    """bench/flows.py's mainnet-shaped chain of `size_m` million transactions (inputs spending real
    earlier outputs, address reuse, exchanges, CoinJoins), its last two days held back so the commands
    can see the chain grow; returns (cache, n_txs, commands): the flow tables' cold build (imported
    labels, no clusters yet), their extension by a new day, warm flows / whales (all days and one date),
    `labels expand` cold (clustering and sweeps from nothing; its new labels rebuild the flow tables),
    then `labels expand` after one more day (its state extended; the flow tables follow the new labels
    and clusters)."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from flows import fabricate

    from costbasis.store import Store

    days = max(1, round(size_m * 1_000_000 / (144 * tx_per_block)))
    cache = root / f"flows-{size_m}m"
    store = Store(cache)
    n_scripts = int(0.4 * days * 144 * tx_per_block * 2.6)
    totals = _fabricated(cache, lambda: fabricate(store, days, tx_per_block, np.random.default_rng(7), n_scripts, 2000))
    cs = store.chain("bitcoin")
    tip = cs.tip()[0]
    cut = tip - 288
    held = {}
    for t in cs.tables():
        files = [f for f, e in zip(cs.files(t), cs.entries(t)) if e.last > cut]
        tbl = pq.read_table(files)
        held[t] = tbl.filter(tbl[cs.key_column(t)].to_numpy() > cut)
    keys = {t: cs.key_column(t) for t in held}
    with cs.writer_lock():
        cs.rollback(cut)

    def grow_to(hi: int):
        def grow(c: Path) -> None:
            ch = Store(c).chain("bitcoin")
            lo = ch.tip()[0] + 1
            part = {t: tb.filter(pc.and_(pc.greater_equal(tb[keys[t]], lo), pc.less_equal(tb[keys[t]], hi)))
                    for t, tb in held.items()}
            with ch.writer_lock():
                ch.commit(lo, hi, part, f"{hi:064x}", {h: f"{h:064x}" for h in range(lo, hi + 1)}, keys)
        return grow
    last = str(np.datetime64(1_704_067_200 // 86400 + days - 2, "D"))   # the last day before the second grow
    cmds = [
        Command("flows (cold build of the tables)", ["flows", "--format", "csv"]),
        Command("flows (tables extended by 1 day)", ["flows", "--format", "csv"], before=grow_to(tip - 144)),
        Command("flows (warm)", ["flows", "--format", "csv"], warm=True),
        Command("whales (warm)", ["whales", "--format", "csv"], warm=True),
        Command("whales --from --to 1 day (warm)", ["whales", "--list", "--from", last, "--to", last,
                                                     "--format", "csv"], warm=True),
        Command("labels expand (cold, + flow tables)", ["labels", "expand", "--format", "csv"]),
        Command("labels expand (1 more day, + flow tables)", ["labels", "expand", "--format", "csv"],
                before=grow_to(tip)),
    ]
    return cache, totals["tx"], cmds


FAMILIES = {"cohorts": cohorts_family, "flows": flows_family}
MAINNET_UNITS["flows"] = MAINNET_TXS


# ---------------------------------------------------------------- runner
def run_family(name: str, sizes: list[int], root: Path, memory_limit: str, threads: int, keep: bool) -> list[dict]:
    results = []
    for size in sizes:
        t = time.perf_counter()
        cache, n_txs, cmds = FAMILIES[name](size, root)
        print(f"\n[{name}] {size} M: store built in {time.perf_counter() - t:.0f} s", flush=True)
        row = {"size": size, "txs": n_txs, "cmds": {}}
        for c in cmds:
            if c.before is not None:
                c.before(cache)
            r = run_cli(cache, c.args, memory_limit, threads)
            row["cmds"][c.label] = r
            print(f"  {c.label:34s} {r['s']:7.1f} s  {r['peak_mb']:7.0f} MB", flush=True)
        row["bytes"] = store_bytes(cache)
        row["warm"] = [c.label for c in cmds if c.warm]
        results.append(row)
        if not keep:
            shutil.rmtree(cache, ignore_errors=True)
    report(name, results)
    return results


def report(name: str, results: list[dict]) -> None:
    print(f"\n== {name}: time / peak RSS per size (growth per doubling)")
    labels = list(results[0]["cmds"])
    print("| command | " + " | ".join(f"{r['size']} M" for r in results) + " | per doubling (last) | mainnet projection |")
    print("|---|" + "---|" * (len(results) + 2))
    for lab in labels:
        cells, grow, proj = [], "", ""
        for r in results:
            c = r["cmds"][lab]
            cells.append(f"{c['s']:.1f} s, {c['peak_mb'] / 1024:.2f} GB")
        if len(results) >= 2:
            a, b = results[-2]["cmds"][lab], results[-1]["cmds"][lab]
            step = math.log2(results[-1]["txs"] / results[-2]["txs"]) or 1
            gt = (b["s"] / a["s"]) ** (1 / step)
            gm = (b["peak_mb"] / a["peak_mb"]) ** (1 / step)
            grow = f"time x{gt:.2f}, RSS x{gm:.2f}"
            k = math.log2(MAINNET_UNITS.get(name, MAINNET_TXS) / results[-1]["txs"])
            proj = f"{_dur(b['s'] * gt ** k)}, {b['peak_mb'] * gm ** k / 1024:.1f} GB"
        print(f"| `{lab}` | " + " | ".join(cells) + f" | {grow} | {proj} |")
    unit = "coin" if name == "cohorts" else "transaction"
    print(f"\n== store bytes per {unit}")
    tables = sorted({t for r in results for t in r["bytes"]})
    print("| table | " + " | ".join(f"{r['size']} M" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for t in tables + ["total"]:
        vals = [(sum(r["bytes"].values()) if t == "total" else r["bytes"].get(t, 0)) / r["txs"] for r in results]
        print(f"| {t} | " + " | ".join(f"{v:.1f}" for v in vals) + " |")
    last = results[-1]
    tot = sum(last["bytes"].values()) / last["txs"]
    n = MAINNET_UNITS.get(name, MAINNET_TXS)
    print(f"\nprojected mainnet store at {tot:.1f} B/{unit}: {tot * n / 1e9:.0f} GB "
          f"({tot * n / MAINNET_TXS:.0f} B per mainnet transaction)")


def _dur(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", default="cohorts", choices=sorted(FAMILIES))
    ap.add_argument("--sizes", default="10,20,40,80", help="millions of coins/transactions")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="keep the stores in this folder")
    ap.add_argument("--fabricated", type=Path, default=None,
                    help="keep fabricated flows stores here and reuse them (same sizes, same seed)")
    args = ap.parse_args()
    global FABRICATED
    FABRICATED = args.fabricated
    root = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        run_family(args.family, [int(s) for s in args.sizes.split(",")], root, args.memory_limit, args.threads,
                   keep=args.keep is not None)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
