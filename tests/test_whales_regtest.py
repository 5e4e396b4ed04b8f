"""Whale deposits and the daily whale signal on the generated regtest chain (tests/support/flows_scenario.py)."""

from __future__ import annotations

import json
import statistics

import pytest
from support.flows_chain import flow_chain
from support.flows_scenario import BTC, DAYS, D0, day, price_of_day

from conftest import run_cli
from costbasis.flows.whales import whale_deposits, whale_signals, whale_summary
from costbasis.store import Store


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def reference_signals(usd_by_day: dict, n_days: int, window: int, z: float = 2.0):
    """Brute force: z-score of each day vs the previous `window` days (sample sd), signal rule."""
    xs = [usd_by_day.get(d, 0.0) for d in range(n_days)]
    out = []
    for d, x in enumerate(xs):
        prev = xs[max(0, d - window):d]
        zs, sig = None, False
        if len(prev) >= 2:
            m, sd = statistics.mean(prev), statistics.stdev(prev)
            if sd > 0:
                zs = (x - m) / sd
                sig = x > 0 and zs >= z
            else:
                sig = x > m
        out.append((zs, sig))
    return out


def test_whale_deposit_list(chain):
    s = chain.story
    t = whale_deposits(Store(chain.expanded))
    rows = t.to_pylist()
    got = [(r["time"].date(), r["exchange"], r["value_btc"], r["source_holds_1000"], r["age_band"]) for r in rows]
    want = [(day(d), e, v, holds, band) for d in sorted(s.whale_days) for e, v, holds, band in s.whale_days[d]]
    assert got == want
    by_day = {r["time"].date(): r for r in rows}
    # source wallet balance just before the deposit = the generator's wallet balance at that moment
    assert round(by_day[day(5)]["source_balance_btc"] * BTC) == s.w1_balance_before_d5
    assert round(by_day[day(20)]["source_balance_btc"] * BTC) == s.w1_balance_before_d20
    assert by_day[day(15)]["source_balance_btc"] == 250            # whale2: five 50 BTC coinbases
    assert by_day[day(20)]["cluster_size"] == len(s.w1_addrs)      # every whale1 address, one wallet
    assert by_day[day(20)]["source_cluster"] in s.w1_addrs
    # deposited coins were all mined on day 0 (price 10,000): creation price 10,000
    for r in rows:
        assert r["cost_basis_usd"] == pytest.approx(price_of_day(0))
        assert r["value_usd"] == pytest.approx(r["value_btc"] * price_of_day((r["time"].date() - D0).days))
    assert 5 < by_day[day(5)]["mean_age_days"] < 5.5
    assert 15 < by_day[day(15)]["mean_age_days"] < 15.5
    assert by_day[day(15)]["pnl_ratio"] == pytest.approx(price_of_day(15) / price_of_day(0) - 1)


def test_without_clusters_the_small_whale_deposit_is_missed(chain):
    """With imported labels only: no clusters (whale1's 10 BTC comes from an address holding 50 BTC),
    and the exchange's own sweep of unknown deposit addresses looks like a 202 BTC deposit."""
    rows = whale_deposits(Store(chain.raw)).to_pylist()
    got = [(r["time"].date(), r["exchange"], round(r["value_btc"] * BTC)) for r in rows]
    assert got == [(day(6), "ExA", 202 * BTC - 1000), (day(15), "ExB", 150 * BTC)]


def test_daily_signal_matches_brute_force(chain):
    s = chain.story
    usd = {d: sum(v for _, v, _, _ in s.whale_days[d]) * price_of_day(d) for d in s.whale_days}
    for window in (30, 5):
        t = whale_signals(Store(chain.expanded), window=window)
        rows = t.to_pylist()
        assert [r["date"] for r in rows] == [day(d) for d in range(DAYS + 1)]
        ref = reference_signals(usd, DAYS + 1, window)
        for d, r in enumerate(rows):
            assert r["whale_deposit_usd"] == pytest.approx(usd.get(d, 0.0)), d
            assert r["deposit_count"] == (1 if d in usd else 0)
            if ref[d][0] is None:
                assert r["zscore"] is None, d
            else:
                assert r["zscore"] == pytest.approx(ref[d][0]), d
            assert r["signal"] == ref[d][1], (window, d)
        flagged = [r["date"] for r in rows if r["signal"]]
        assert flagged == [day(5), day(15)]    # day 20's 10 BTC is well inside the noise
    assert whale_summary(t) == f"whale deposits spiked on {day(5)} ($2.1M) and {day(15)} ($1.73M)"


def test_daily_signal_in_parts_is_the_signal_of_the_whole(chain, monkeypatch):
    """The daily signal reads the deposits one part of the chain at a time (memory flat in the chain):
    with parts of 3 blocks, days cut across parts, it gives the rows of one part over the whole chain."""
    from costbasis.flows import whales

    whole = whale_signals(Store(chain.expanded), window=5, min_btc=1).to_pylist()
    parts = []
    real = whales._deposit_days

    def spy(con, params):
        parts.append(params["h_to"] - params["h_from"] + 1)
        return real(con, params)
    monkeypatch.setattr(whales, "MERGE_MAX_BLOCKS", 3)
    monkeypatch.setattr(whales, "_deposit_days", spy)
    cut = whale_signals(Store(chain.expanded), window=5, min_btc=1).to_pylist()
    assert parts and parts[0] > 3 * 10            # more than 10 parts
    assert sum(r["deposit_count"] for r in whole) > 3
    assert [(r["date"], r["deposit_count"], r["signal"]) for r in cut] == \
        [(r["date"], r["deposit_count"], r["signal"]) for r in whole]
    for a, b in zip(cut, whole):
        assert a["whale_deposit_usd"] == pytest.approx(b["whale_deposit_usd"])
        assert a["whale_deposit_btc"] == pytest.approx(b["whale_deposit_btc"])


def test_min_usd_threshold_and_range(chain):
    t = whale_signals(Store(chain.expanded), min_usd=2_000_000, date_from=day(4), date_to=day(25))
    rows = {r["date"]: r for r in t.to_pylist()}
    assert min(rows) == day(4) and max(rows) == day(25)
    # 200 BTC * 10,500 = 2.1M qualifies; 150 BTC * 11,500 = 1.725M does not; day 20 qualifies by holdings
    assert {d for d, r in rows.items() if r["deposit_count"]} == {day(5), day(20)}


def test_whales_cli(chain):
    p = run_cli("whales", "--list", "--format", "json", cache=chain.expanded, check=True)
    rows = json.loads(p.stdout)
    assert [r["value_btc"] for r in rows] == [200, 150, 10]
    assert {"txid", "time", "exchange", "source_cluster", "source_holds_1000", "age_band", "cost_basis_usd"} <= set(rows[0])
    p = run_cli("whales", "--window", "30", "--format", "csv", cache=chain.expanded, check=True)
    lines = p.stdout.strip().splitlines()
    assert lines[0].replace('"', "").split(",")[:6] == ["date", "whale_deposit_usd", "whale_deposit_btc", "deposit_count", "zscore", "signal"]
    assert len(lines) == DAYS + 2
    p = run_cli("whales", "--min-btc", "10", "--min-usd", "5", cache=chain.expanded)
    assert p.returncode != 0 and "either --min-btc or --min-usd" in p.stderr
    p = run_cli("whales", "--window", "1", cache=chain.expanded)
    assert p.returncode != 0 and "--window" in p.stderr and "Traceback" not in p.stderr


def test_whales_need_prices(tmp_path, chain):
    import shutil
    shutil.copytree(chain.expanded, tmp_path / "c")
    (tmp_path / "c" / "prices" / "BTC.parquet").unlink()
    p = run_cli("whales", cache=tmp_path / "c")
    assert p.returncode != 0 and "prices" in p.stderr and "Traceback" not in p.stderr
