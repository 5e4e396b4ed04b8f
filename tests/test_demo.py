"""The demo runs end to end on a real regtest datadir, deterministically, and its figures
come from the engine (recomputed here from the store it leaves behind)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from costbasis.demo.run import run_demo
from costbasis.demo.scenario import Scenario
from costbasis.store import Store

DAYS = 60


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    return run_demo(out, seed=7, days=DAYS, progress=False, log=lambda m: None)


def _rows(table, day):
    return {r["cohort"]: r for r in table.to_pylist() if r["date"] == day}


def test_cli_demo_prints_the_story(tmp_path, cli):
    p = cli("demo", "--days", str(DAYS), "--out", str(tmp_path / "d"), "--charts", str(tmp_path / "charts"))
    assert p.returncode == 0, p.stderr
    assert "Cohort cost basis as of 2026-01-22" in p.stdout
    assert "Support and resistance" in p.stdout
    assert "Reading: price" in p.stdout and "whale deposits spiked on 2026-01-15" in p.stdout
    for name in ("bands.png", "urpd.png", "whales.png"):
        f = tmp_path / "charts" / name
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000


def test_same_seed_gives_byte_identical_parquet(demo, tmp_path):
    again = run_demo(tmp_path / "again", seed=7, days=DAYS, progress=False, log=lambda m: None)
    a = sorted(p.relative_to(demo.cache) for p in demo.cache.rglob("*.parquet"))
    b = sorted(p.relative_to(again.cache) for p in again.cache.rglob("*.parquet"))
    assert a == b and len(a) >= 6
    for rel in a:
        assert (demo.cache / rel).read_bytes() == (again.cache / rel).read_bytes(), rel
    other = run_demo(tmp_path / "other", seed=8, days=DAYS, progress=False, log=lambda m: None)
    outs = sorted((other.cache / "bitcoin-regtest" / "outputs").glob("*.parquet"))
    mine = sorted((demo.cache / "bitcoin-regtest" / "outputs").glob("*.parquet"))
    assert [p.read_bytes() for p in outs] != [p.read_bytes() for p in mine]


def test_printed_figures_come_from_the_engine(demo):
    from costbasis.bands.assemble import bands
    from costbasis.engine.bitcoin.cohorts import cohort_series

    store = Store(demo.cache)
    fresh = cohort_series(store, asof=demo.end)
    assert fresh.to_pylist() == demo.cohorts.to_pylist()
    assert bands(store, asof=demo.end).to_pylist() == demo.bands.to_pylist()
    rows = _rows(fresh, demo.end)
    sth = rows["sth"]["realized_price_usd"]
    assert f"STH realized price {sth / 1000:.1f}k" in demo.reading


def test_market_shape_mirrors_january_2026(demo):
    """Young cohorts' cost basis below the price before the drop, above it after; STH RP above both."""
    from costbasis.engine.bitcoin.cohorts import cohort_series

    store = Store(demo.cache)
    sc = Scenario(seed=7, days=DAYS)
    series = cohort_series(store, date_from=sc.start, date_to=sc.end)
    price = {r["date"]: r["price_usd"] for r in series.to_pylist() if r["cohort"] == "all"}
    # "before the drop": the local top of the late bounce
    late = [d for d in price if d >= sc.end - timedelta(days=DAYS // 4) and d < sc.end]
    before = max(late, key=price.get)
    b, a = _rows(series, before), _rows(series, sc.end)
    for c in ("1d-1w", "1w-1m"):
        assert b[c]["realized_price_usd"] < b["all"]["price_usd"], (c, before)
        assert a[c]["realized_price_usd"] > a["all"]["price_usd"], c
    assert a["sth"]["realized_price_usd"] > a["all"]["price_usd"]
    assert a["sth"]["realized_price_usd"] > min(a["1d-1w"]["realized_price_usd"], a["1w-1m"]["realized_price_usd"])
    # supply spread: every age from <1d to years holds coins; supply sums to the total
    assert all(a[c]["supply_btc"] > 0 for c in ("<1d", "1d-1w", "1w-1m", "6m-12m", "1y-2y", "2y-3y", "3y-5y"))
    bands_sum = sum(a[c]["supply_btc"] for c in a if c not in ("sth", "lth", "all"))
    assert bands_sum == pytest.approx(a["all"]["supply_btc"], rel=1e-12)


def test_whale_days_are_flagged(demo):
    flagged = [r["date"] for r in demo.whales.to_pylist() if r["signal"]]
    assert flagged == list(Scenario(seed=7, days=DAYS).whale_days)


def test_demo_refuses_foreign_out_dir(tmp_path, cli):
    (tmp_path / "mine.txt").write_text("user data")
    p = cli("demo", "--days", str(DAYS), "--out", str(tmp_path))
    assert p.returncode != 0 and "not made by `costbasis demo`" in p.stderr
    assert "Traceback" not in p.stderr and (tmp_path / "mine.txt").exists()
    p = cli("demo", "--days", "5", "--out", str(tmp_path / "x"))
    assert p.returncode != 0 and "--days must be >= 50" in p.stderr
