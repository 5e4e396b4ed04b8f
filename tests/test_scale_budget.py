"""Issue 12, cohort side: with `--memory-limit 256MB` the cold cohort build, the logistic split and
`bands --asof` finish on a store whose unconstrained build needs far more, with the same results,
and peak RSS (measured around a child process) stays under the budget + ~300 MB of interpreter;
a kill -9 in the middle of a cohort build leaves the previous state readable and the rerun agrees.

The store: bench/cohorts.py's synthetic chain with the issue's age mix (95 % spent; 50 % ~30 d,
30 % ~1 y, 20 % uniform), 1.6 M coins over 2,000 days (288,000 blocks).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from cohorts import add_prices, synth, write_store  # noqa: E402

from costbasis.store import Store  # noqa: E402

BUDGET_MB = 256
OVERHEAD_MB = 300
COINS, DAYS = 1_600_000, 2000
RANGE = ["--from", "2020-01-01", "--to", "2025-06-01"]
ASOF = "2025-06-01"

# Runs argv as a child and reports its peak RSS: RUSAGE_CHILDREN of a fresh wrapper holds that
# child alone (the test process's own children would otherwise mix in).
WRAPPER = ("import json, resource, subprocess, sys\n"
           "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
           "print(json.dumps({'rc': rc.returncode, 'err': rc.stderr.decode()[-2000:],\n"
           "                  'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n")


def measured(cache: Path, *args: str) -> dict:
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "costbasis", "--cache", str(cache), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    res = json.loads(p.stdout)
    assert res["rc"] == 0, res["err"]
    return res


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    base = tmp_path_factory.mktemp("scale")
    btime, c_h, value, s_h = synth(COINS, DAYS, mix=True)
    store = write_store(base / "src", btime, c_h, value, s_h, len(btime) - 1)
    add_prices(store, DAYS, base)
    return base, (btime, c_h, value, s_h)


def fresh_copy(base: Path, name: str) -> Path:
    dst = base / name
    shutil.copytree(base / "src", dst, ignore=shutil.ignore_patterns("_derived", "_tmp"))
    return dst


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def assert_close(a: Path, b: Path, rel: float = 1e-12) -> None:
    """Same rows; numbers equal to `rel` (sums of float weights are not associative)."""
    ra, rb = rows(a), rows(b)
    assert len(ra) == len(rb) > 1 and ra[0] == rb[0]
    for x, y in zip(ra, rb):
        for u, v in zip(x, y):
            if u == v:
                continue
            fu, fv = float(u), float(v)   # a non-number differing is a real difference: ValueError
            assert abs(fu - fv) <= rel * max(abs(fu), abs(fv)), (x, y)


@pytest.fixture(scope="module")
def built(chain):
    """The cold hard-split build of the same store under 256MB and without a limit."""
    base, _ = chain
    small, big = fresh_copy(base, "small"), fresh_copy(base, "big")
    out = {}
    for cache, limit in ((small, f"{BUDGET_MB}MB"), (big, "16GB")):
        out[limit] = measured(cache, "--threads", "1", "--memory-limit", limit, "cohorts", *RANGE,
                              "--format", "csv", "--out", str(cache.parent / f"{cache.name}-hard.csv"))
    return base, small, big, out


def test_cold_cohort_build_within_the_budget_gives_the_same_rows(built):
    base, small, big, out = built
    limit = BUDGET_MB + OVERHEAD_MB
    print({k: round(v["peak_mb"]) for k, v in out.items()})
    assert out["16GB"]["peak_mb"] > limit, out   # the store really is too big for the budget in memory
    assert out[f"{BUDGET_MB}MB"]["peak_mb"] < limit, out
    assert (base / "small-hard.csv").read_bytes() == (base / "big-hard.csv").read_bytes()
    for cache in (small, big):
        assert not (cache / "_tmp").exists()    # the spill folder is removed after a successful command
        assert Store(cache).chains() == ["bitcoin"]


def test_logistic_split_and_bands_within_the_budget(built):
    base, _, _, _ = built
    # cold: the first logistic call builds the whole state, the logistic split's tables included
    small, big = fresh_copy(base, "small-l"), fresh_copy(base, "big-l")
    limit = BUDGET_MB + OVERHEAD_MB
    res = {}
    for cache, ml in ((small, f"{BUDGET_MB}MB"), (big, "16GB")):
        res[ml] = measured(cache, "--memory-limit", ml, "cohorts", "--holder-split", "logistic", *RANGE,
                           "--format", "csv", "--out", str(base / f"{cache.name}-logistic.csv"))
        res["bands" + ml] = measured(cache, "--threads", "1", "--memory-limit", ml, "bands", "--asof", ASOF,
                                     "--format", "csv", "--out", str(base / f"{cache.name}-bands.csv"))
    print({k: round(v["peak_mb"]) for k, v in res.items()})
    assert res["16GB"]["peak_mb"] > limit, res
    assert res[f"{BUDGET_MB}MB"]["peak_mb"] < limit, res
    assert res[f"bands{BUDGET_MB}MB"]["peak_mb"] < limit, res
    assert_close(base / "small-l-logistic.csv", base / "big-l-logistic.csv")
    assert (base / "small-l-bands.csv").read_bytes() == (base / "big-l-bands.csv").read_bytes()
    # a warm logistic call reads the stored rows: the same again
    measured(small, "--memory-limit", f"{BUDGET_MB}MB", "cohorts", "--holder-split", "logistic", *RANGE,
             "--format", "csv", "--out", str(base / "small-l-logistic-warm.csv"))
    assert (base / "small-l-logistic-warm.csv").read_bytes() == (base / "small-l-logistic.csv").read_bytes()
    assert not (small / "_tmp").exists()


def test_kill_during_a_cohort_build_keeps_the_previous_state(built, chain):
    base, _, _, _ = built
    _, (btime, c_h, value, s_h) = chain
    half = len(btime) // 2
    cache = base / "killed"
    store = write_store(cache, btime, c_h, value, s_h, half)
    add_prices(store, DAYS, base)
    subprocess.run([sys.executable, "-m", "costbasis", "--cache", str(cache), "cohorts", "--asof", "2021-06-01"],
                   check=True, capture_output=True)
    derived = store.chain("bitcoin").derived("cohorts-BTC")
    before = (derived.path / "state.json").read_bytes()
    write_store(cache, btime, c_h, value, s_h, len(btime) - 1, first_block=half + 1)

    # the update reads half the chain; kill it as it writes its first segment file (mid-commit)
    p = subprocess.Popen([sys.executable, "-m", "costbasis", "--cache", str(cache), "--threads", "1",
                          "--memory-limit", f"{BUDGET_MB}MB", "cohorts", *RANGE, "--format", "csv"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = False
    while p.poll() is None:
        if any(f.name.startswith(".tmp-") for f in derived.path.iterdir()):
            seen = True
            os.kill(p.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    p.wait()
    assert seen, "the build finished before it could be killed"
    assert (derived.path / "state.json").read_bytes() == before
    assert derived.load() is not None          # every file the previous state lists is intact

    again = measured(cache, "--threads", "1", "--memory-limit", f"{BUDGET_MB}MB", "cohorts", *RANGE,
                     "--format", "csv", "--out", str(base / "killed-hard.csv"))
    assert again["peak_mb"] < BUDGET_MB + OVERHEAD_MB
    assert_close(base / "killed-hard.csv", base / "small-hard.csv")
    assert not (cache / "_tmp").exists()       # the killed process's spill folder was swept too
    assert not [f for f in derived.path.iterdir() if f.name.startswith(".tmp-")]
