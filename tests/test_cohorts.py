"""Cohort series against the brute-force reference (tests/support/engine_reference.py) on generated chains."""

from __future__ import annotations

import random

import pyarrow.compute as pc
import pytest

from conftest import run_cli
from costbasis.engine.age_bands import AGE_BANDS, COHORTS
from costbasis.engine.bitcoin.cohorts import cohort_series
from costbasis.errors import CostbasisError
from costbasis.store import Store
from support.engine_fixtures import assert_rows_match, build, edge_days
from support.engine_reference import reference_rows

KEYS = ["supply_btc", "realized_cap_usd", "realized_price_usd", "price_usd", "mvrv", "cost_basis_std_usd",
        "supply_in_profit_pct", "coins_without_price_btc"]
QS = ["p5_usd", "p25_usd", "p50_usd", "p75_usd", "p95_usd"]


@pytest.fixture(scope="module")
def long_chain(tmp_path_factory):
    return build(tmp_path_factory.mktemp("long"), seed=1, span_days=4100, n_blocks=300)


@pytest.fixture(scope="module")
def short_chain(tmp_path_factory):
    # 40 days, dense blocks: every day compared in full
    return build(tmp_path_factory.mktemp("short"), seed=7, span_days=40, n_blocks=160)


def by_key(table):
    return {((r["date"].toordinal() - 719163), r["cohort"]): r for r in table.to_pylist()}


def test_long_history_matches_reference(long_chain):
    store, ch, coins, ctx = long_chain
    s = cohort_series(store, quantiles="5,25,50,75,95")
    assert s.column_names[:9] == ["date", "cohort", "supply_btc", "realized_cap_usd", "realized_price_usd",
                                  "price_usd", "mvrv", "cost_basis_std_usd", "supply_in_profit_pct"]
    rows = by_key(s)
    days = sorted({d for d, _ in rows})
    assert len(rows) == len(days) * len(COHORTS) and days == list(range(days[0], days[-1] + 1))
    rng = random.Random(3)
    no_block = sorted(set(days) - {b["time"] // 86400 for b in ch.blocks})
    sample = sorted(set(edge_days(coins, days[0], days[-1], rng, 120) + rng.sample(days, 60)
                        + rng.sample(no_block, 20) + [days[0], days[-1]]))
    ref = reference_rows(coins, ctx, sample, quantiles=QS)
    n = assert_rows_match(rows, ref, KEYS + QS)
    assert n > 5000
    # the comparison covered what it claims: every band non-empty somewhere, coins without price, gaps
    for c in COHORTS:
        assert any(r["supply_btc"] > 0 for r in ref if r["cohort"] == c), c
    assert any(r["coins_without_price_btc"] > 0 for r in ref)
    assert any(r["price_usd"] is None for r in ref)  # a date without a price row


def test_exact_band_edges_are_exercised(long_chain):
    _store, _ch, coins, _ctx = long_chain
    midnight = [c for c in coins if c.created_time % 86400 == 0]
    assert len(midnight) >= 10  # coins whose age hits every band edge exactly on some date
    assert any(c.spent_time is not None and c.spent_time // 86400 == c.created_time // 86400 for c in coins)
    assert any(c.spent_time is not None and c.spent_time < c.created_time for c in coins)  # non-monotonic times


def test_short_history_every_day(short_chain):
    store, ch, coins, ctx = short_chain
    s = cohort_series(store, quantiles="5,25,50,75,95")
    rows = by_key(s)
    days = sorted({d for d, _ in rows})
    n = assert_rows_match(rows, reference_rows(coins, ctx, days, quantiles=QS), KEYS + QS)
    assert n > 1000


def test_logistic_split_matches_reference(long_chain):
    store, _ch, coins, ctx = long_chain
    s = cohort_series(store, holder_split="logistic", quantiles="50")
    rows = by_key(s)
    # days where some coin is inside the 100-210 day logistic window
    window = sorted({c.created_time // 86400 + a for c in coins[::7] for a in (100, 130, 155, 180, 209)
                     if (c.created_time // 86400 + a, "sth") in rows})
    sample = random.Random(4).sample(window, min(60, len(window)))
    ref = [r for r in reference_rows(coins, ctx, sample, split="logistic", quantiles=["p50_usd"])
           if r["cohort"] in ("sth", "lth", "all")]
    assert_rows_match(rows, ref, KEYS + ["p50_usd"])
    # fractional weights really occurred: some day has STH supply that is not a whole number of sats
    assert any(abs(rows[(d, "sth")]["supply_btc"] * 1e8 - round(rows[(d, "sth")]["supply_btc"] * 1e8)) > 1e-3
               for d in sample)
    for d in sample:
        a = rows[(d, "sth")]["supply_btc"] + rows[(d, "lth")]["supply_btc"]
        assert abs(a - rows[(d, "all")]["supply_btc"]) <= 1e-9 * max(1.0, a)


def test_bands_partition_supply(long_chain):
    store, *_ = long_chain
    s = cohort_series(store, date_from="2012-01-01", date_to="2012-12-31")
    rows = by_key(s)
    for d in {d for d, _ in rows}:
        total = rows[(d, "all")]["supply_btc"]
        assert round(sum(rows[(d, b)]["supply_btc"] for b in AGE_BANDS) * 1e8) == round(total * 1e8)
        assert round((rows[(d, "sth")]["supply_btc"] + rows[(d, "lth")]["supply_btc"]) * 1e8) == round(total * 1e8)


def test_new_blocks_do_not_change_the_past(tmp_path):
    """Events only: a store holding a prefix of the chain gives the same series for days before the cut."""
    from support.chain_factory import make_chain, write_chain
    import shutil
    store, ch, _coins, _ctx = build(tmp_path / "full", seed=11, span_days=900, n_blocks=200)
    cut = 120
    pre = ch.__class__(ch.blocks[:cut], [o for o in ch.outputs if o["height"] < cut],
                       [i for i in ch.inputs if i["height"] < cut])
    pstore = write_chain(tmp_path / "prefix", pre)
    (tmp_path / "prefix" / "prices").mkdir()
    shutil.copy(tmp_path / "full" / "prices" / "BTC.parquet", tmp_path / "prefix" / "prices" / "BTC.parquet")
    last_day = min(b["time"] for b in ch.blocks[cut:]) // 86400 - 1
    a = cohort_series(store)
    a = a.filter(pc.less_equal(a["date"].cast("int32"), last_day))
    b = cohort_series(pstore)
    b = b.filter(pc.less_equal(b["date"].cast("int32"), last_day))
    assert a.num_rows == b.num_rows > 0
    assert a.select(["date", "cohort", "supply_btc"]).equals(b.select(["date", "cohort", "supply_btc"]))
    for k in ["realized_cap_usd", "supply_in_profit_pct"]:
        for x, y in zip(a[k].to_pylist(), b[k].to_pylist()):
            assert (x is None and y is None) or abs(x - y) <= 1e-9 * abs(y)


def test_api_errors(tmp_path, long_chain):
    store, *_ = long_chain
    with pytest.raises(CostbasisError, match="before the first block"):
        cohort_series(store, asof="2008-12-31")
    with pytest.raises(CostbasisError, match="holder-split"):
        cohort_series(store, asof="2012-01-01", holder_split="soft")
    with pytest.raises(CostbasisError, match="quantiles"):
        cohort_series(store, asof="2012-01-01", quantiles="0,50")
    with pytest.raises(CostbasisError, match="no bitcoin data"):
        cohort_series(Store(tmp_path / "empty"))
    with pytest.raises(CostbasisError, match="ETH prices"):
        cohort_series(store, asof="2012-01-01", asset="ETH")


def test_cli_cohorts_and_errors(long_chain):
    store, *_ = long_chain
    root = store.root
    p = run_cli("cohorts", "--asof", "2012-06-01", "--cohort", "sth", "--quantiles", "50", "-f", "json", cache=root, check=True)
    import json
    rows = json.loads(p.stdout)
    assert [r["cohort"] for r in rows] == ["sth"] and rows[0]["date"] == "2012-06-01" and "p50_usd" in rows[0]
    for args, msg in [(("cohorts", "--asof", "2008-01-01"), "before the first block"),
                      (("cohorts", "--asof", "2012-02-30"), "malformed date"),
                      (("cohorts", "--asof", "2012-06-01", "--cohort", "whales"), "unknown cohort"),
                      (("cohorts", "--asof", "2012-06-01", "--asset", "DOGE"), "no DOGE prices imported"),
                      (("cohorts", "--from", "2012-02-01", "--to", "2012-01-01"), "--from 2012-02-01 is after --to 2012-01-01")]:
        r = run_cli(*args, cache=root)
        assert r.returncode != 0 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    h = run_cli("cohorts", "--help")
    assert "Example:" in h.stdout


def test_cli_empty_store(tmp_path):
    r = run_cli("cohorts", cache=tmp_path / "nothing")
    assert r.returncode != 0 and "no bitcoin data" in r.stderr and "Traceback" not in r.stderr


def test_mainnet_blocks_1_255(request, shared_data, tmp_path):
    try:
        root = request.getfixturevalue("mainnet_store")
    except pytest.FixtureLookupError:
        pytest.skip("mainnet_store fixture (ingest of mainnet_blocks_1_255.blk) not available yet")
    import shutil
    cache = tmp_path / "cache"
    shutil.copytree(root, cache)
    store = Store(cache)
    from costbasis.prices.importer import import_prices
    import_prices(store, shared_data / "prices" / "btc_usd_daily.csv", "BTC")
    s = cohort_series(store, asof="2009-01-31")
    rows = {r["cohort"]: r for r in s.to_pylist()}
    # blocks 1-255 (2009-01-09 .. 2009-01-31 or so): 255 coinbases of 50 BTC, genesis excluded;
    # the only early spend is a transfer, so supply stays 255 x 50 as of any date after block 255
    assert rows["all"]["supply_btc"] == pytest.approx(255 * 50, abs=1e-8)
    assert sum(rows[b]["supply_btc"] for b in AGE_BANDS) == pytest.approx(rows["all"]["supply_btc"], abs=1e-8)
    assert rows["sth"]["supply_btc"] + rows["lth"]["supply_btc"] == pytest.approx(rows["all"]["supply_btc"], abs=1e-8)
    # all created before the first price point (2010-07-18): counted at creation price 0
    assert rows["all"]["coins_without_price_btc"] == pytest.approx(rows["all"]["supply_btc"])
