"""QA of the analytics commands as a user runs them: odd but plausible input must give one
`error:` line (never a traceback), and the fixes found in QA stay fixed.

Stores: a generated chain with prices (tests/engine_fixtures.build, 300 blocks) and the flow
story of tests/support/flows_scenario.py written by the table factory (no signing: fast).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from costbasis.prices import load_prices
from costbasis.store import Store
from tests.conftest import run_cli
from support.cli import cli_error, cli_json
from support.qa_stores import engine_store, flows_store


@pytest.fixture(scope="module")
def engine_cache(tmp_path_factory):
    return engine_store(tmp_path_factory.mktemp("qa_engine"))


@pytest.fixture(scope="module")
def flows_cache(tmp_path_factory):
    return flows_store(tmp_path_factory.mktemp("qa_flows"))


def one_line_error(cache, *args) -> str:
    return cli_error(cache, *args)


# ----------------------------------------------------------------- non-finite and huge numbers

@pytest.mark.parametrize("args, needle", [
    (("bands", "--price", "inf"), "--price"),
    (("bands", "--price", "nan"), "--price"),
    (("bands", "--merge-pct", "nan"), "--merge-pct"),
    (("bands", "--merge-pct", "inf"), "--merge-pct"),
    (("bands", "--window", "1000000000"), "--window"),
    (("urpd", "--bucket-usd", "inf"), "--bucket-usd"),
    (("chart", "urpd", "--out", "x.png", "--price", "inf"), "--price"),
    (("chart", "urpd", "--out", "x.png", "--price", "-1"), "--price"),
    (("chart", "urpd", "--out", "x.png", "--span", "inf"), "--span"),
    (("chart", "urpd", "--out", "x.png", "--width", "100000", "--height", "100000"), "too large"),
    (("chart", "bands", "--out", "x.png", "--window", "1000000000"), "--window"),
    (("chart", "bands", "--out", "x.png", "--cohorts", "sth,nope"), "unknown cohort 'nope'"),
])
def test_engine_commands_reject_nonfinite_and_huge_numbers(engine_cache, args, needle):
    assert needle in one_line_error(engine_cache, *args)


@pytest.mark.parametrize("args, needle", [
    (("whales", "--min-btc", "inf"), "--min-btc"),
    (("whales", "--min-btc", "nan"), "--min-btc"),
    (("whales", "--min-usd", "nan"), "--min-usd"),
    (("whales", "--z", "nan"), "--z"),
    (("whales", "--window", "1000000000"), "--window"),
    (("chart", "whales", "--out", "x.png", "--min-btc", "inf"), "--min-btc"),
])
def test_whale_commands_reject_nonfinite_and_huge_numbers(flows_cache, args, needle):
    assert needle in one_line_error(flows_cache, *args)


def test_bands_price_given_for_a_day_without_price_is_checked_before_use():
    from costbasis.bands.assemble import bands_for_day
    from costbasis.bands.inputs import DayInputs
    from costbasis.errors import CostbasisError

    day = DayInputs(date(2020, 1, 1), "bitcoin", None, [], [])
    with pytest.raises(CostbasisError, match="--price must be a positive USD price"):
        bands_for_day(day, price=float("inf"))
    with pytest.raises(CostbasisError, match="no price for 2020-01-01"):
        bands_for_day(day)


# ----------------------------------------------------------------- far dates: no overflow, no endless work

def test_flows_and_whales_accept_the_last_representable_date(flows_cache):
    assert cli_json(flows_cache, "flows", "--from", "9999-01-01", "--to", "9999-12-31") == []
    assert cli_json(flows_cache, "whales", "--list", "--from", "9999-01-01", "--to", "9999-12-31") == []
    assert cli_json(flows_cache, "whales", "--from", "9999-01-01", "--to", "9999-12-31") == []


def test_sopr_stops_at_the_last_block(engine_cache):
    store = Store(engine_cache)
    rows = cli_json(engine_cache, "sopr", "--from", "0001-01-01", "--to", "9999-12-31")
    import duckdb
    last = duckdb.sql(f"SELECT max(time) FROM '{engine_cache}/bitcoin/blocks/*.parquet'").fetchall()[0][0]
    last_day = date(1970, 1, 1) + timedelta(days=last // 86400)
    assert rows[-1]["date"] == last_day.isoformat()
    assert store.chain("bitcoin").files("blocks")
    msg = one_line_error(engine_cache, "sopr", "--from", "9000-01-01", "--to", "9999-12-31")
    assert "after the last stored day" in msg


def test_cohorts_far_to_is_capped_at_today_not_computed_for_millennia(engine_cache):
    rows = cli_json(engine_cache, "cohorts", "--from", "2009-06-01", "--to", "9999-12-31", "--cohort", "all")
    today = date.today()
    assert date.fromisoformat(rows[-1]["date"]) <= today + timedelta(days=1)
    # every day between --from and the cap is there, once
    days = [r["date"] for r in rows]
    assert len(days) == len(set(days)) == (date.fromisoformat(days[-1]) - date(2009, 6, 1)).days + 1
    msg = one_line_error(engine_cache, "cohorts", "--from", "9000-01-01", "--to", "9999-12-31")
    assert "after the last stored day" in msg


# ----------------------------------------------------------------- flows --entity names the entity

def test_flows_entity_filter_reports_the_entity_not_all(flows_cache):
    per = cli_json(flows_cache, "flows", "--per-entity")
    entities = sorted({r["entity"] for r in per})
    assert len(entities) >= 2
    for ent in entities:
        got = cli_json(flows_cache, "flows", "--entity", ent.lower())
        assert got and {r["entity"] for r in got} == {ent}
        want = [r for r in per if r["entity"] == ent]
        assert [(r["date"], r["inflow_btc"], r["outflow_btc"]) for r in got] == \
               [(r["date"], r["inflow_btc"], r["outflow_btc"]) for r in want]
    hourly = cli_json(flows_cache, "flows", "--entity", entities[0], "--by", "hour")
    assert hourly and {r["entity"] for r in hourly} == {entities[0]} and "hour" in hourly[0]


# ----------------------------------------------------------------- yfinance's current CSV export

YF_NEW = ("Price,Close,High,Low,Open,Volume\n"
          "Ticker,BTC-USD,BTC-USD,BTC-USD,BTC-USD,BTC-USD\n"
          "Date,,,,,\n"
          "2024-01-01,42265.19,44000,42000,42280,1\n"
          "2024-01-02,44167.33,45000,42100,42270,1\n")


def test_prices_import_reads_yfinance_three_line_header(tmp_path):
    f = tmp_path / "BTC-USD.csv"
    f.write_text(YF_NEW)
    p = run_cli("prices", "import", str(f), "--format", "json", cache=tmp_path / "c")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)[0]
    assert (info["time_column"], info["price_column"], info["dates_added"]) == ("Date", "Close", 2)
    t = load_prices(Store(tmp_path / "c"), "BTC")
    assert t["price_usd"].to_pylist() == [42265.19, 44167.33]
    assert [d.isoformat() for d in t["date"].to_pylist()] == ["2024-01-01", "2024-01-02"]


def test_prices_yfinance_bad_row_names_its_real_line_and_writes_nothing(tmp_path):
    f = tmp_path / "BTC-USD.csv"
    f.write_text(YF_NEW + "2024-01-03,oops,1,1,1,1\n")
    msg = one_line_error(tmp_path / "c", "prices", "import", str(f))
    assert "line 6" in msg and "oops" in msg
    assert Store(tmp_path / "c").read_dataset("prices", "BTC") is None


def test_prices_price_first_header_without_ticker_line_keeps_its_first_row(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("price,date\n5,2024-01-01\n6,2024-01-02\n")
    p = run_cli("prices", "import", str(f), cache=tmp_path / "c")
    assert p.returncode == 0, p.stderr
    assert load_prices(Store(tmp_path / "c"), "BTC")["price_usd"].to_pylist() == [5.0, 6.0]


# ----------------------------------------------------------------- the same fixes on an EVM chain (anvil)

from tests.test_evm_cli import anvil_factory, world  # noqa: E402,F401  (fixtures)


def test_evm_flows_entity_and_whales_outside_the_blocks(world):
    _s, _store, cache, have_labels = world
    if not have_labels:
        pytest.skip("real labels file absent: no Ethereum exchange to filter on")
    per = cli_json(cache, "flows", "--chain", "ethereum", "--per-entity")
    ent = per[0]["entity"]
    got = cli_json(cache, "flows", "--chain", "ethereum", "--entity", ent.upper())
    assert got and {r["entity"] for r in got} == {ent}
    assert [r["inflow"] for r in got] == [r["inflow"] for r in per if r["entity"] == ent]
    # no rows of zeros for days that are not in the store, before or after it
    assert cli_json(cache, "whales", "--chain", "ethereum", "--from", "2031-01-01", "--to", "2031-01-10") == []
    sig = cli_json(cache, "whales", "--chain", "ethereum", "--min-amount", "1", "--from", "2019-12-01",
                   "--to", "2031-01-10")
    assert sig and sig[0]["date"] >= "2020-01-01" and sig[-1]["date"] <= "2020-01-05"
    for args, needle in ((("--min-amount", "inf"), "--min-amount"), (("--whale-amount", "nan"), "--whale-amount"),
                         (("--window", "1000000000"), "--window"), (("--z", "inf"), "--z")):
        assert needle in one_line_error(cache, "whales", "--chain", "ethereum", *args)
