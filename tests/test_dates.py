"""Dates: one strict YYYY-MM-DD parser for every option, and the same rule for days after the last
stored block in cohorts, bands and chart urpd (coins keep ageing, up to today; the day needs a
price or --price), and sopr's open-ended --from.

Chain: 300 generated blocks over 2023-01-01 .. ~2023-12 (tests/support/chain_factory.py); BTC prices
for 2022-06-01 .. 2024-06-30, so days after the last block have prices until 2024-06-30.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from support.chain_factory import make_chain, write_chain
from conftest import run_cli
from test_charts import png_size

from costbasis.bands.assemble import bands
from costbasis.bands.inputs import parse_date as bands_parse_date
from costbasis.engine.bitcoin.cohorts import cohort_series
from costbasis.dates import parse_date, parse_day, today_day
from costbasis.engine.bitcoin.sopr import sopr_series
from costbasis.errors import CostbasisError
from costbasis.prices import import_prices

WINDOW = 30
LAST_PRICE = date(2024, 6, 30)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("dates")
    st = write_chain(root / "cache", make_chain(seed=9, start=date(2023, 1, 1), span_days=330, n_blocks=300,
                                                 spend_prob=0.3))
    rng = random.Random(4)
    p, lines, d = 20000.0, ["date,price_usd"], date(2022, 6, 1)
    while d <= LAST_PRICE:
        p *= math.exp(rng.gauss(0.0005, 0.02))
        lines.append(f"{d},{p:.2f}")
        d += timedelta(days=1)
    (root / "p.csv").write_text("\n".join(lines) + "\n")
    import_prices(st, root / "p.csv", "BTC")
    return st


def last_block_day(store) -> date:
    from costbasis.engine.session import open_session
    with open_session(store, None) as s:
        return s.last_date


@pytest.mark.parametrize("text", ["20260101", "2026-1-01", "2026-01-1", "2026-W01-1", "2026-01-01T00:00",
                                  "2026-02-30", "yesterday", "2026/01/01", "+2026-01-01"])
def test_only_yyyy_mm_dd_is_a_date(text):
    for parse in (parse_date, parse_day, bands_parse_date):
        with pytest.raises(CostbasisError, match=r"--asof: malformed date .* \(expected YYYY-MM-DD\)"):
            parse(text, "--asof")


def test_good_dates_parse_the_same_everywhere():
    assert parse_date(" 2024-02-29 ") == bands_parse_date("2024-02-29") == date(2024, 2, 29)
    assert parse_day("1970-01-02") == 1 and parse_day(date(1970, 1, 3)) == 2
    assert parse_date(None) is None and parse_day(None) is None


def test_bands_after_the_last_block_age_like_cohorts(store):
    asof = last_block_day(store) + timedelta(days=45)
    assert asof < LAST_PRICE
    t = bands(store, asof=asof, window=WINDOW, merge_pct=0)
    meta = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
    assert meta["date"] == asof.isoformat()
    rows = {r["cohort"]: r for r in cohort_series(store, asof=asof).to_pylist()}
    got = {r["name"]: r for r in t.to_pylist()}
    assert float(meta["price_usd"]) == pytest.approx(rows["all"]["price_usd"])
    # ages grew: the cohort realized prices of that later day are the levels (not the last block day's)
    for c in ("sth", "lth", "1m-3m", "3m-6m"):
        if rows[c]["supply_btc"] and rows[c]["realized_price_usd"]:
            assert got[c]["low_usd"] == pytest.approx(rows[c]["realized_price_usd"], rel=1e-12)
    # 45 days without blocks: nothing is younger than 45 days, so no 1d-1w / 1w-1m level
    assert "1d-1w" not in got and "1w-1m" not in got and not rows["1w-1m"]["supply_btc"]


def test_after_the_last_price_needs_price_and_after_today_is_refused(store, tmp_path):
    no_price = LAST_PRICE + timedelta(days=3)
    with pytest.raises(CostbasisError, match=f"no price for {no_price}; pass --price"):
        bands(store, asof=no_price, window=WINDOW)
    assert bands(store, asof=no_price, price=12345.0, window=WINDOW).num_rows > 0
    tomorrow = date(1970, 1, 1) + timedelta(days=today_day() + 1)
    p = run_cli("bands", "--asof", str(tomorrow), cache=store.root)
    assert p.returncode != 0 and "after today" in p.stderr and "Traceback" not in p.stderr
    out = tmp_path / "u.png"
    p = run_cli("chart", "urpd", "--asof", str(no_price), "--out", str(out), cache=store.root)
    assert p.returncode != 0 and f"no price for {no_price}" in p.stderr and "Traceback" not in p.stderr
    run_cli("chart", "urpd", "--asof", str(no_price), "--price", "30000", "--window", str(WINDOW), "--out", str(out),
            "--width", "600", "--height", "400", cache=store.root, check=True)
    assert png_size(out) == (600, 400)
    p = run_cli("bands", "--asof", "20240101", cache=store.root)
    assert p.returncode != 0 and "malformed date '20240101'" in p.stderr


def test_sopr_from_after_the_last_block_without_to(store):
    last = last_block_day(store)
    with pytest.raises(CostbasisError) as e:
        sopr_series(store, date_from="2027-01-01")
    assert str(e.value) == f"--from 2027-01-01 is after the last stored day {last} of bitcoin"
    with pytest.raises(CostbasisError, match="--to is before --from"):
        sopr_series(store, date_from=str(last), date_to=str(last - timedelta(days=1)))
    t = sopr_series(store, date_from=str(last - timedelta(days=2)))
    assert t["date"].to_pylist()[-1] == last


def test_asof_after_today_is_refused_the_same_way_everywhere(tmp_path, cli):
    """cohorts, urpd and bands all accept dates after the last block up to today (coins age) and
    refuse a date after today with the same message."""
    from costbasis.demo.run import run_demo

    res = run_demo(tmp_path / "d", days=50, progress=False, log=lambda m: None)
    for cmd in ("cohorts", "urpd", "bands"):
        p = cli(cmd, "--asof", "9000-01-01", cache=res.cache)
        assert p.returncode == 1 and "is after today" in p.stderr and "Traceback" not in p.stderr, (cmd, p.stderr)


def test_flows_and_whales_use_the_same_strict_dates(tmp_path, cli):
    from costbasis.demo.run import run_demo

    res = run_demo(tmp_path / "d", days=50, progress=False, log=lambda m: None)
    for cmd in ("flows", "whales"):
        p = cli(cmd, "--from", "2026-1-1", cache=res.cache)
        assert p.returncode != 0 and "malformed date '2026-1-1' (expected YYYY-MM-DD)" in p.stderr, (cmd, p.stderr)
