"""URPD and the live cost-basis distribution against the brute-force reference."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import pytest

from conftest import run_cli
from costbasis.engine.bitcoin.cost_basis import live_cost_basis
from costbasis.engine.bitcoin.urpd import urpd
from costbasis.errors import CostbasisError
from support.engine_fixtures import build
from support.engine_reference import live_distribution

DATES = ["2010-03-01", "2012-06-15", "2016-09-30", "2020-02-01"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return build(tmp_path_factory.mktemp("urpd"), seed=5, span_days=4100, n_blocks=300)


def day(s):
    return date.fromisoformat(s).toordinal() - 719163


def ath(ctx, d):
    return max(p for k, p in ctx["day_price"].items() if k <= d)


def close(a, b):
    return abs(a - b) <= 1e-9 * max(abs(b), 1e-300)


@pytest.mark.parametrize("cohort", ["all", "sth", "lth", "1y-2y"])
@pytest.mark.parametrize("asof", DATES)
def test_live_cost_basis_matches_reference(chain, asof, cohort):
    store, _ch, coins, _ctx = chain
    t = live_cost_basis(store, asof=asof, cohort=cohort)
    ref = defaultdict(int)
    for p, w, _s in live_distribution(coins, day(asof), cohort):
        ref[p] += w
    assert t["creation_price_usd"].to_pylist() == sorted(ref)
    for got, p in zip(t["supply_btc"].to_pylist(), sorted(ref)):
        assert close(got, ref[p] / 1e8)


@pytest.mark.parametrize("asof", DATES)
@pytest.mark.parametrize("spec", [{"buckets": 100}, {"buckets": 7}, {"log_buckets": 12}, {"bucket_usd": 0.5}])
def test_urpd_matches_reference(chain, asof, spec):
    store, _ch, coins, ctx = chain
    d = day(asof)
    t = urpd(store, asof=asof, cohort="all", **spec).to_pylist()
    hi_price = ath(ctx, d)
    low = min(p for k, p in ctx["day_price"].items() if k <= d)
    dist = live_distribution(coins, d, "all")
    sup, cap = defaultdict(int), defaultdict(float)
    for p, w, _s in dist:
        if "buckets" in spec:
            n = spec["buckets"]
            i = min(int(p // (hi_price / n)), n - 1)
        elif "log_buckets" in spec:
            n = spec["log_buckets"]
            i = -1 if p < low else min(int(math.log(p / low) / math.log(hi_price / low) * n), n - 1)
        else:
            i = int(p // spec["bucket_usd"])
        sup[i] += w
        cap[i] += w * p
    total = sum(w for _p, w, _s in dist)
    assert sum(r["supply_btc"] for r in t) == pytest.approx(total / 1e8, rel=1e-12)
    price = ctx["day_price"].get(d)
    first = -1 if "log_buckets" in spec and -1 in sup else 0
    for k, r in enumerate(t):
        i = k + first
        assert close(r["supply_btc"], sup.get(i, 0) / 1e8), (i, r)
        assert abs(r["realized_cap_usd"] - cap.get(i, 0.0) / 1e8) <= 1e-9 * max(cap.get(i, 0.0) / 1e8, 1e-9)
        assert r["in_profit"] == (None if price is None else r["bucket_high_usd"] <= price)
    if "buckets" in spec:
        assert len(t) == spec["buckets"] and t[-1]["bucket_high_usd"] == pytest.approx(hi_price)
    assert t[0]["bucket_low_usd"] == 0.0


def test_urpd_errors(chain):
    store, *_ = chain
    with pytest.raises(CostbasisError, match="unknown cohort"):
        urpd(store, asof="2012-01-01", cohort="nope")
    with pytest.raises(CostbasisError, match="before the first block"):
        urpd(store, asof="2001-01-01")
    with pytest.raises(CostbasisError, match="no BTC price on or before"):
        urpd(store, asof="2009-02-01")  # chain starts 2009-01-03, prices 2009-03-01
    with pytest.raises(CostbasisError, match="only one of"):
        urpd(store, asof="2012-01-01", log_buckets=5, bucket_usd=10)
    r = run_cli("urpd", "--asof", "2012-01-01", "--cohort", "whales", cache=store.root)
    assert r.returncode != 0 and "unknown cohort 'whales'" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("urpd", "--asof", "2012-01-01", "--buckets", "0", cache=store.root)
    assert r.returncode != 0 and "--buckets must be" in r.stderr
    r = run_cli("urpd", "--asof", "2009-01-05", cache=store.root)
    assert r.returncode != 0 and "no BTC price" in r.stderr
    ok = run_cli("urpd", "--asof", "2012-01-01", "--cohort", "sth", "--log-buckets", "5", "-f", "csv", cache=store.root, check=True)
    assert ok.stdout.splitlines()[0] == '"bucket_low_usd","bucket_high_usd","supply_btc","realized_cap_usd","in_profit"'
    allc = run_cli("urpd", "--asof", "2012-01-01", "-f", "csv", cache=store.root, check=True)
    assert "note: coins_without_price_btc=" in allc.stderr  # coins from before 2009-03-01 are counted at price 0
    assert "Example:" in run_cli("urpd", "--help").stdout
