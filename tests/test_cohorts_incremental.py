"""The persisted cohort state (engine/bitcoin/cohort_state.py) maintained as blocks arrive gives the same
series as a from-scratch computation; rollbacks, forks and re-imported prices invalidate it."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date

import pytest

from support.chain_factory import KEYS, make_chain, price_table, write_prices_csv
from costbasis.engine.bitcoin.cohorts import cohort_series
from costbasis.engine.bitcoin.cost_basis import live_cost_basis
from costbasis.prices import load_prices
from costbasis.prices.importer import import_prices
from costbasis.store import Store
from support.engine_fixtures import assert_rows_match
from support.engine_reference import load_coins, reference_rows

QS = "5,50,95"
QCOLS = ["p5_usd", "p50_usd", "p95_usd"]
FLOAT_REL = 1e-12


def state_of(store) -> dict:
    return json.loads((store.chain("bitcoin").derived("cohorts-BTC").path / "state.json").read_text())


def scratch(store, **kw):
    """The same query on a copy of the store without any persisted state."""
    root = store.root.parent / (store.root.name + "-scratch")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(store.root, root, ignore=shutil.ignore_patterns("_derived"))
    assert not (root / "bitcoin" / "_derived").exists()
    return cohort_series(Store(root), **kw)


def assert_same(a, b):
    assert a.column_names == b.column_names
    assert a.num_rows == b.num_rows > 0
    for col in a.column_names:
        x, y = a[col].to_pylist(), b[col].to_pylist()
        if col in ("date", "cohort"):
            assert x == y, col
            continue
        rp = b["realized_price_usd"].to_pylist()
        for i, (u, v) in enumerate(zip(x, y)):
            if u is None or v is None:
                assert u is None and v is None, (col, i, u, v)
                continue
            scale = max(abs(v), abs(rp[i] or 0.0)) if col == "cost_basis_std_usd" else abs(v)
            assert abs(u - v) <= FLOAT_REL * scale, (col, i, u, v)


def commit(cs, ch, lo, hi, tag=""):
    tables = ch.tables(lo, hi)
    cs.commit(lo, hi, tables, ch.blocks[hi]["hash"] + tag,
              {b["height"]: b["hash"] + tag for b in ch.blocks[lo:hi + 1]}, keys=KEYS)


@pytest.fixture()
def setup(tmp_path):
    ch = make_chain(seed=21, span_days=1500, n_blocks=220)
    store = Store(tmp_path / "cache")
    csv = write_prices_csv(tmp_path / "prices.csv", price_table(random.Random(9), date(2009, 3, 1), 1600))
    import_prices(store, csv, "BTC")
    return store, ch, tmp_path


def test_appending_blocks_equals_from_scratch(setup):
    store, ch, _tmp = setup
    cs = store.chain("bitcoin")
    n = len(ch.blocks)
    cuts = [0, 60, 61, 62, 90, 91, 130, 131, 132, 170, 200, 201, n]
    calls = 0
    with cs.writer_lock():
        for lo, hi in zip(cuts, cuts[1:]):
            commit(cs, ch, lo, hi - 1)
            cohort_series(store)  # brings the persisted state up to this tip
            calls += 1
            st = state_of(store)
            assert st["tip"][0] == hi - 1 and st["gen"] == calls - 1  # extended, never rebuilt
    lots_files = state_of(store)["tables"]["lots"]
    assert len(lots_files) > 1  # appended segments (or one compaction), not one rewritten table
    inc = cohort_series(store, quantiles=QS)
    full = scratch(store, quantiles=QS)
    assert_same(inc, full)
    # the supply columns are exact integers in satoshis: identical, not just close
    assert inc["supply_btc"].to_pylist() == full["supply_btc"].to_pylist()
    # and both match the brute-force reference on a sample of days
    coins, ctx = load_coins(store, load_prices(store, "BTC"))
    rows = {((r["date"].toordinal() - 719163), r["cohort"]): r for r in inc.to_pylist()}
    days = sorted({d for d, _ in rows})
    sample = sorted(random.Random(2).sample(days, 40) + [days[-1]])
    ref = reference_rows(coins, ctx, sample, quantiles=QCOLS)
    assert assert_rows_match(rows, ref, ["supply_btc", "realized_cap_usd", "cost_basis_std_usd",
                                         "supply_in_profit_pct"] + QCOLS) > 500
    # a second call with nothing new reads the state as is
    gen = state_of(store)["gen"]
    assert_same(cohort_series(store, quantiles=QS), inc)
    assert state_of(store)["gen"] == gen


def test_rollback_then_fork_invalidates(setup):
    store, ch, _tmp = setup
    cs = store.chain("bitcoin")
    n = len(ch.blocks)
    with cs.writer_lock():
        commit(cs, ch, 0, n - 1)
    before = cohort_series(store)
    built = state_of(store)["tip"]
    d = cs.derived("cohorts-BTC").path
    old_branch = store.root.parent / "old-branch-state"
    shutil.copytree(d, old_branch)
    # reorg: drop the last 40 blocks; the state (built at the old tip) must not be used
    cut = n - 41
    with cs.writer_lock():
        cs.rollback(cut)
    after_rb = cohort_series(store)
    assert state_of(store)["tip"][0] == cut
    assert_same(after_rb, scratch(store))
    # the new branch reaches the old height: same blocks and outputs, other hashes, no spends.
    with cs.writer_lock():
        fork = ch.__class__(ch.blocks, ch.outputs, [i for i in ch.inputs if i["height"] <= cut])
        commit(cs, fork, cut + 1, n - 1, tag="-fork")
    assert cs.tip()[0] == built[0] and cs.tip()[1] != built[1]
    # a state left from the old branch at the same height: only the recorded hash tells it apart
    shutil.rmtree(d)
    shutil.copytree(old_branch, d)
    forked = cohort_series(store)
    assert state_of(store)["tip"] == list(cs.tip())
    assert_same(forked, scratch(store))
    # and the fork really differs from the old branch (the invalidation mattered)
    assert forked["supply_btc"].to_pylist() != before["supply_btc"].to_pylist()


def test_rollback_below_state_then_regrow_matches(setup):
    store, ch, _tmp = setup
    cs = store.chain("bitcoin")
    n = len(ch.blocks)
    with cs.writer_lock():
        commit(cs, ch, 0, 150)
    cohort_series(store)
    with cs.writer_lock():
        cs.rollback(120)
        commit(cs, ch, 121, n - 1)
    assert_same(cohort_series(store, quantiles=QS), scratch(store, quantiles=QS))


def test_reimported_prices_update_the_state(setup):
    store, ch, tmp = setup
    cs = store.chain("bitcoin")
    with cs.writer_lock():
        commit(cs, ch, 0, len(ch.blocks) - 1)
    cohort_series(store)
    gen = state_of(store)["gen"]
    # upsert: other values for a stretch of days in the middle, and days that were missing
    t = price_table(random.Random(77), date(2010, 6, 1), 300, gap_every=0)
    import_prices(store, write_prices_csv(tmp / "p2.csv", t), "BTC")
    got = cohort_series(store, quantiles=QS)
    assert state_of(store)["gen"] == gen + 1  # updated in place, not rebuilt
    assert_same(got, scratch(store, quantiles=QS))
    coins, ctx = load_coins(store, load_prices(store, "BTC"))
    rows = {((r["date"].toordinal() - 719163), r["cohort"]): r for r in got.to_pylist()}
    sample = [d for d in sorted({d for d, _ in rows}) if 14760 <= d <= 15100][::17]
    assert assert_rows_match(rows, reference_rows(coins, ctx, sample),
                             ["supply_btc", "realized_cap_usd", "mvrv", "supply_in_profit_pct"]) > 100


def test_days_after_last_block_and_live_cost_basis(setup):
    store, ch, _tmp = setup
    cs = store.chain("bitcoin")
    with cs.writer_lock():
        commit(cs, ch, 0, len(ch.blocks) - 1)
    last = max(b["time"] for b in ch.blocks) // 86400
    to = date.fromordinal(719163 + last + 400).isoformat()
    fr = date.fromordinal(719163 + last - 30).isoformat()
    a = cohort_series(store, date_from=fr, date_to=to, quantiles=QS)
    assert_same(a, scratch(store, date_from=fr, date_to=to, quantiles=QS))
    asof = date.fromordinal(719163 + last - 200).isoformat()
    assert live_cost_basis(store, asof=asof).equals(live_cost_basis(Store(store.root.parent / "cache-scratch"), asof=asof))


def test_logistic_split_from_the_state_equals_from_scratch(setup):
    """The logistic split is built into the state by its first call, then extended with the blocks
    (by hard and logistic calls alike): always the rows of a from-scratch computation."""
    store, ch, _tmp = setup
    cs = store.chain("bitcoin")
    n = len(ch.blocks)
    cuts = [0, 90, 91, 130, 170, 200, n]
    with cs.writer_lock():
        for i, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
            commit(cs, ch, lo, hi - 1)
            split = "hard" if i % 2 else "logistic"   # a hard call extends the logistic tables too
            cohort_series(store, holder_split=split)
            st = state_of(store)
            assert st["logistic"] and st["tip"][0] == hi - 1
    assert len(state_of(store)["tables"]["ldaily"]) > 1   # extended, not rebuilt
    gen = state_of(store)["gen"]
    inc = cohort_series(store, holder_split="logistic", quantiles=QS)
    assert state_of(store)["gen"] == gen                  # a warm call reads the state as is
    full = scratch(store, holder_split="logistic", quantiles=QS)
    assert_same(inc, full)
    assert inc["supply_btc"].to_pylist() != cohort_series(store)["supply_btc"].to_pylist()  # really logistic
    # past the last block (coins only age) the same as from scratch too
    last = inc["date"].to_pylist()[-1]
    later = date.fromordinal(last.toordinal() + 30).isoformat()
    assert_same(cohort_series(store, holder_split="logistic", date_from=last.isoformat(), date_to=later),
                scratch(store, holder_split="logistic", date_from=last.isoformat(), date_to=later))
