"""The event study on hand-made series with known forward returns, and the signal rules
(STH cross, ETF outflow streak) through the CLI on a small real store."""

from __future__ import annotations

import json
import random
import statistics
from datetime import date, timedelta

import pyarrow as pa
import pytest

from support.chain_factory import make_chain, price_table, write_chain, write_prices_csv
from costbasis.context.events import event_study, parse_horizons
from costbasis.errors import UsageError

# day -> close; day 8 has no price, so no return starts or ends on it
PRICES = {0: 100.0, 1: 110.0, 2: 99.0, 3: 99.0, 4: 120.0, 5: 60.0, 6: 60.0, 7: 66.0, 9: 66.0}
SIGNALS = [1, 4]


def _stats(stats: pa.Table) -> dict:
    return {(r["horizon_days"], r["sample"]): r for r in stats.to_pylist()}


def test_known_forward_returns():
    stats, rows = event_study(PRICES, SIGNALS, [1, 3], 0, 9)
    s = _stats(stats)
    # h=1: day 1 -> 2: 99/110 - 1 = -10 %, day 4 -> 5: 60/120 - 1 = -50 %
    assert s[(1, "signal")]["count"] == 2
    assert s[(1, "signal")]["mean_return_pct"] == pytest.approx(-30.0)
    assert s[(1, "signal")]["median_return_pct"] == pytest.approx(-30.0)
    assert s[(1, "signal")]["share_negative_pct"] == pytest.approx(100.0)
    # h=3: day 1 -> 4: 120/110 - 1, day 4 -> 7: 66/120 - 1 = -45 %
    assert s[(3, "signal")]["mean_return_pct"] == pytest.approx((120 / 110 - 1 - 0.45) / 2 * 100)
    assert s[(3, "signal")]["share_negative_pct"] == pytest.approx(50.0)
    # the baseline: every day with a price on d and d + h
    for h in (1, 3):
        base = [PRICES[d + h] / PRICES[d] - 1 for d in PRICES if d + h in PRICES]
        b = s[(h, "baseline")]
        assert b["count"] == len(base)
        assert b["mean_return_pct"] == pytest.approx(statistics.mean(base) * 100)
        assert b["median_return_pct"] == pytest.approx(statistics.median(base) * 100)
        assert b["share_negative_pct"] == pytest.approx(sum(r < 0 for r in base) / len(base) * 100)
    assert s[(1, "baseline")]["count"] == 7  # days 7 (-> 8) and 9 (-> 10) have no return
    assert [(r["date"], r["horizon_days"]) for r in rows.to_pylist()] == \
        [(date(1970, 1, 2), 1), (date(1970, 1, 2), 3), (date(1970, 1, 5), 1), (date(1970, 1, 5), 3)]


def test_context_over_the_horizon_only_when_covered():
    ctx = pa.table({"day": pa.array([1, 2, 3, 4, 5], pa.int64()),
                    "etf_usd": pa.array([10.0, -20.0, 0.0, 5.0, 7.0]),
                    "long_usd": pa.array([None] * 5, pa.float64()), "short_usd": pa.array([None] * 5, pa.float64())})
    stats, rows = event_study(PRICES, SIGNALS, [1, 3], 0, 9, ctx)
    got = {(r["date"].day - 1, r["horizon_days"]): r["etf_flow_usd"] for r in rows.to_pylist()}
    # day 1 +1: day 2 = -20; day 4 +1: day 5 = 7; day 1 +3: days 2..4 = -15; day 4 +3: days 5..7 not covered
    assert got == {(1, 1): -20.0, (4, 1): 7.0, (1, 3): -15.0, (4, 3): None}
    assert _stats(stats)[(3, "signal")]["mean_etf_flow_usd"] == pytest.approx(-15.0)
    assert _stats(stats)[(1, "signal")]["mean_long_liquidations_usd"] is None


def test_no_signal_days_still_report_the_baseline():
    stats, rows = event_study(PRICES, [], [1], 0, 9)
    s = _stats(stats)
    assert s[(1, "signal")]["count"] == 0 and s[(1, "signal")]["mean_return_pct"] is None
    assert s[(1, "baseline")]["count"] == 7 and rows.num_rows == 0


def test_horizons_are_checked():
    assert parse_horizons("30,1,3,7,3") == [1, 3, 7, 30]
    for bad in ("0", "1,x", "", "1.5", "99999"):
        with pytest.raises(UsageError):
            parse_horizons(bad)


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("events_chain")
    store = write_chain(root / "cache", make_chain(seed=5, start=date(2025, 11, 1), span_days=60, n_blocks=150))
    write_prices_csv(root / "prices.csv", price_table(random.Random(6), date(2025, 10, 1), 100, 0))
    from costbasis.prices.importer import import_prices
    import_prices(store, root / "prices.csv")
    return root


def test_cli_sth_cross_days_match_the_cohort_series(small_cache, cli):
    cache = small_cache / "cache"
    p = cli("cohorts", "--cohort", "sth", "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    sth = [(date.fromisoformat(r["date"]), r["price_usd"], r["realized_price_usd"]) for r in json.loads(p.stdout)]
    down = [d for (d0, p0, r0), (d, p1, r1) in zip(sth, sth[1:])
            if d == d0 + timedelta(days=1) and None not in (p0, r0, p1, r1) and p0 >= r0 and p1 < r1]
    assert down, "the random walk never crossed the STH realized price; pick another seed"
    p = cli("events", "--signal", "sth_cross_down", "--horizons", "1", "--list", "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    last = sth[-1][0]
    assert [date.fromisoformat(r["date"]) for r in json.loads(p.stdout)] == [d for d in down if d < last]


def test_cli_etf_outflow_streak(small_cache, cli):
    cache = small_cache / "cache"
    f = small_cache / "farside_etf.csv"
    # sessions (weekdays), flows: -, -, +, -, -, -, +
    sessions = ["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05", "2025-12-08", "2025-12-09"]
    flows = [-10, -20, 5, -1, -2, -3, 4]
    f.write_text("Date,IBIT,Total\n" + "".join(f"{d},{v},{v}\n" for d, v in zip(sessions, flows)))
    assert cli("context", "import", str(f), cache=cache).returncode == 0
    p = cli("events", "--signal", "etf_outflow_streak", "--horizons", "1,3", "--list", "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    # the second outflow session in a row: 12-02 and 12-05 (12-08 continues that streak, no new event)
    assert sorted({r["date"] for r in rows}) == ["2025-12-02", "2025-12-05"]
    # ETF flow over 3 days after 12-05 (12-06, 12-07 weekend = 0 inside the covered range, 12-08 = -3)
    assert {(r["date"], r["horizon_days"]): r["etf_flow_usd"] for r in rows}[("2025-12-05", 3)] == pytest.approx(-3e6)
    p = cli("events", "--signal", "etf_outflow_streak", "--streak", "3", "--format", "json", cache=cache)
    stats = json.loads(p.stdout)
    assert [r["count"] for r in stats if r["sample"] == "signal"] == [1, 1, 1, 1]   # 12-08, for each horizon
    p = cli("events", "--signal", "nope", cache=cache)
    assert p.returncode == 2 and "unknown --signal" in p.stderr
