"""Issue 10 #1: a query that runs beside an ingest reads one committed state, and derived state is
stamped with exactly the blocks it saw (a commit between opening the views and stamping the state
once made the saved state wrong for good)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from datetime import date

import pytest

from support.chain_factory import KEYS, make_chain, price_table, write_prices_csv
from conftest import run_cli
from costbasis.engine.bitcoin import cohort_state
from costbasis.engine.bitcoin.cohorts import cohort_series
from costbasis.prices.importer import import_prices
from costbasis.store import Store


def commit(cs, ch, lo, hi):
    cs.commit(lo, hi, ch.tables(lo, hi), ch.blocks[hi]["hash"],
              {b["height"]: b["hash"] for b in ch.blocks[lo:hi + 1]}, keys=KEYS)


def scratch(root, tmp, **kw):
    copy = tmp / "scratch"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_derived"))
    return cohort_series(Store(copy), **kw)


@pytest.fixture()
def store_and_chain(tmp_path):
    ch = make_chain(seed=5, span_days=600, n_blocks=160)
    store = Store(tmp_path / "cache")
    csv = write_prices_csv(tmp_path / "prices.csv", price_table(random.Random(3), date(2009, 3, 1), 700))
    import_prices(store, csv, "BTC")
    return store, ch


def test_commit_between_views_and_state_is_not_stamped_wrong(store_and_chain, tmp_path, monkeypatch):
    store, ch = store_and_chain
    root = store.root
    with store.chain("bitcoin").writer_lock():
        commit(store.chain("bitcoin"), ch, 0, 99)
    writer = Store(root).chain("bitcoin")
    real_attach = cohort_state.attach
    fired = []

    def attach_after_a_commit(con, store_, chain, asset, prices):
        # another process commits blocks 100..159 after the reader opened its views
        if not fired:
            with writer.writer_lock():
                commit(writer, ch, 100, len(ch.blocks) - 1)
            fired.append(1)
        return real_attach(con, store_, chain, asset, prices)

    monkeypatch.setattr("costbasis.engine.bitcoin.context.attach", attach_after_a_commit)
    reader = Store(root)
    during = cohort_series(reader)
    monkeypatch.setattr("costbasis.engine.bitcoin.context.attach", real_attach)
    assert fired
    # the reader answered for the blocks its views saw (0..99), and so does what it saved
    st = json.loads((root / "bitcoin" / "_derived" / "cohorts-BTC" / "state.json").read_text())
    assert st["tip"][0] == 99
    # a later query sees every block and equals a from-scratch computation
    after = cohort_series(Store(root))
    ref = scratch(root, tmp_path)
    assert after.to_pylist() == ref.to_pylist()
    assert during.num_rows < after.num_rows


def test_state_with_other_file_set_is_rebuilt(store_and_chain, tmp_path):
    store, ch = store_and_chain
    cs = store.chain("bitcoin")
    with cs.writer_lock():
        commit(cs, ch, 0, len(ch.blocks) - 1)
    cohort_series(Store(store.root))
    path = store.root / "bitcoin" / "_derived" / "cohorts-BTC" / "state.json"
    st = json.loads(path.read_text())
    st["files"] = "0" * 64     # as if built from other files at the same tip
    path.write_text(json.dumps(st))
    cohort_series(Store(store.root))
    assert json.loads(path.read_text())["files"] == Store(store.root).chain("bitcoin").file_set()


def test_truncated_derived_segment_is_rebuilt_not_trusted(store_and_chain, tmp_path):
    store, ch = store_and_chain
    cs = store.chain("bitcoin")
    with cs.writer_lock():
        commit(cs, ch, 0, len(ch.blocks) - 1)
    first = cohort_series(Store(store.root))
    d = store.root / "bitcoin" / "_derived" / "cohorts-BTC"
    seg = sorted(d.glob("lots-*.parquet"))[0]
    seg.write_bytes(seg.read_bytes()[:-20])
    again = cohort_series(Store(store.root))
    assert again.to_pylist() == first.to_pylist()


QUERIES = [
    ("cohorts", "--asof", "{last}"),
    ("urpd", "--asof", "{last}", "--cohort", "all"),
    ("bands", "--asof", "{last}"),
    ("flows",),
    ("whales", "--min-btc", "1"),
]


def _answers(cache, last):
    out = {}
    for q in QUERIES:
        args = [a.format(last=last) for a in q] + ["--format", "json"]
        p = run_cli(*args, cache=cache)
        assert p.returncode == 0, (args, p.stderr)
        out[q[0]] = json.loads(p.stdout)
    return out


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    from costbasis.demo.run import run_demo
    out = tmp_path_factory.mktemp("demo") / "out"
    run_demo(out, seed=7, days=60, progress=False, log=lambda m: None)
    return out


def test_queries_during_ingest_leave_every_answer_right(demo_out, tmp_path):
    """The issue's reproduction: an ingest in small batches while another process loops queries;
    afterwards every query equals the same query on the store ingested alone (the demo's)."""
    ref = tmp_path / "ref"
    shutil.copytree(demo_out / "cache", ref)
    cache = tmp_path / "c"
    cache.mkdir()
    for folder in ("prices", "labels", "clusters"):
        shutil.copytree(demo_out / "cache" / folder, cache / folder)
    last_day, early = "2026-01-22", "2025-11-30"
    ingest = subprocess.Popen([sys.executable, "-m", "costbasis", "--cache", str(cache), "ingest", "bitcoin",
                               "--datadir", str(demo_out / "datadir"), "--network", "regtest",
                               "--batch-blocks", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    loop = [sys.executable, "-c", (
        "import subprocess, sys\n"
        "cache, early = sys.argv[1], sys.argv[2]\n"
        "qs = [['cohorts', '--asof', early], ['flows'], ['whales', '--min-btc', '1'], ['urpd', '--asof', early]]\n"
        "i = 0\n"
        "while True:\n"
        "    q = qs[i % len(qs)]; i += 1\n"
        "    subprocess.run([sys.executable, '-m', 'costbasis', '--cache', cache] + q, capture_output=True)\n"
    ), str(cache), early]
    queries = [subprocess.Popen(loop) for _ in range(2)]
    try:
        assert ingest.wait(timeout=600) == 0, ingest.stderr.read()
    finally:
        for q in queries:
            q.kill()
            q.wait()
    assert (cache / "bitcoin-regtest" / "_derived").is_dir()   # the queries did save state meanwhile
    assert _answers(cache, last_day) == _answers(ref, last_day)
