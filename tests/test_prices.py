"""Price import: real file unchanged, common export formats, upsert, bad rows abort with a line number."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_cli
from costbasis.errors import CostbasisError
from costbasis.prices import load_prices
from costbasis.prices.importer import import_prices
from costbasis.store import Store


def midnight(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def test_real_price_file_imports_unchanged(shared_data, tmp_path):
    path = shared_data / "prices" / "btc_usd_daily.csv"
    with path.open() as fh:
        expected = [(date.fromisoformat(r["date"]), float(r["price_usd"])) for r in csv.DictReader(fh)]
    store = Store(tmp_path)
    s = import_prices(store, path, "BTC")
    assert s["price_column"] == "price_usd" and s["dates_total"] == len(expected)
    t = load_prices(store, "BTC")
    assert t.schema == pa.schema([("date", pa.date32()), ("price_usd", pa.float64()), ("time", pa.int64())])
    assert list(zip(t["date"].to_pylist(), t["price_usd"].to_pylist())) == expected
    assert t["time"].to_pylist() == [midnight(d) for d, _ in expected]
    # re-import: upsert, nothing changes
    s2 = import_prices(store, path, "btc")
    assert s2["dates_updated"] == len(expected) and s2["dates_added"] == 0
    assert load_prices(store, "BTC").equals(t)


FORMATS = {
    "coinmetrics.csv": "time,PriceUSD\n2010-07-18T00:00:00.000000000Z,0.08584\n2010-07-19T00:00:00.000000000Z,0.0808\n",
    "coingecko.csv": "snapped_at,price,market_cap,total_volume\n2010-07-18 00:00:00 UTC,0.08584,1,2\n2010-07-19 00:00:00 UTC,0.0808,1,2\n",
    "yfinance.csv": "Date,Open,High,Low,Close,Adj Close,Volume\n2010-07-18,1,1,1,0.08584,0.08584,5\n2010-07-19,1,1,1,0.0808,0.0808,5\n",
    "unix_s.csv": "timestamp,price\n1279411200,0.08584\n1279497600,0.0808\n",
    "unix_ms.csv": "timestamp,price\n1279411200000,0.08584\n1279497600000,0.0808\n",
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_common_exports(tmp_path, name):
    f = tmp_path / name
    f.write_text(FORMATS[name])
    store = Store(tmp_path / "c")
    import_prices(store, f, "BTC")
    t = load_prices(store, "BTC")
    assert t["date"].to_pylist() == [date(2010, 7, 18), date(2010, 7, 19)]
    assert t["price_usd"].to_pylist() == [0.08584, 0.0808]
    assert t["time"].to_pylist() == [1279411200, 1279497600]


def test_parquet_and_timestamp_stamp(tmp_path):
    f = tmp_path / "p.parquet"
    pq.write_table(pa.table({"date": pa.array([date(2020, 1, 1)], pa.date32()), "close": [7200.5]}), f)
    g = tmp_path / "intraday.csv"
    g.write_text("time,price\n2020-01-02T13:30:00+02:00,7300\n")
    store = Store(tmp_path / "c")
    import_prices(store, f, "BTC")
    import_prices(store, g, "BTC")
    t = load_prices(store, "BTC")
    assert t.to_pylist() == [{"date": date(2020, 1, 1), "price_usd": 7200.5, "time": midnight(date(2020, 1, 1))},
                             {"date": date(2020, 1, 2), "price_usd": 7300.0, "time": midnight(date(2020, 1, 2)) + 11 * 3600 + 1800}]


def test_upsert_replaces_and_adds(tmp_path):
    store = Store(tmp_path)
    a = tmp_path / "a.csv"
    a.write_text("date,price_usd\n2020-01-01,1\n2020-01-02,2\n")
    b = tmp_path / "b.csv"
    b.write_text("date,price_usd\n2020-01-02,20\n2020-01-05,5\n")
    import_prices(store, a, "BTC")
    s = import_prices(store, b, "BTC")
    assert (s["dates_added"], s["dates_updated"], s["dates_total"]) == (1, 1, 3)
    assert load_prices(store, "BTC")["price_usd"].to_pylist() == [1.0, 20.0, 5.0]


@pytest.mark.parametrize("body,msg", [
    ("date,price_usd\n2020-01-01,1\n2020-13-45,2\n", "line 3: malformed date '2020-13-45'"),
    ("date,price_usd\n2020-01-01,1\nyesterday,2\n", "line 3: malformed date 'yesterday'"),
    ("date,price_usd\n2020-01-01,1\n2020-01-02,-5\n", "line 3: price must be positive"),
    ("date,price_usd\n2020-01-01,abc\n", "line 2: malformed price 'abc'"),
    ("date,price_usd\n2020-01-01,\n", "line 2: missing price"),
    ("day_of_year,value\n1,2\n", "no date/time column found"),
])
def test_bad_rows_abort_through_cli(tmp_path, body, msg):
    cache = tmp_path / "c"
    good = tmp_path / "good.csv"
    good.write_text("date,price_usd\n2019-01-01,3\n")
    run_cli("prices", "import", str(good), "--asset", "BTC", cache=cache, check=True)
    before = (cache / "prices" / "BTC.parquet").read_bytes()
    f = tmp_path / "bad.csv"
    f.write_text(body)
    r = run_cli("prices", "import", str(f), "--asset", "BTC", cache=cache)
    assert r.returncode != 0 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (cache / "prices" / "BTC.parquet").read_bytes() == before  # nothing written


def test_cli_show_coverage_and_missing(tmp_path):
    cache = tmp_path / "c"
    r = run_cli("prices", "show", "--asset", "BTC", cache=cache)
    assert r.returncode != 0 and "no BTC prices imported" in r.stderr
    f = tmp_path / "p.csv"
    f.write_text("date,price_usd\n2020-01-01,1\n2020-01-02,2\n2020-01-05,5\n2020-01-07,7\n")
    run_cli("prices", "import", str(f), cache=cache, check=True)
    out = json.loads(run_cli("prices", "show", "-f", "json", cache=cache, check=True).stdout)[0]
    assert out["first_date"] == "2020-01-01" and out["last_date"] == "2020-01-07"
    assert out["dates"] == 4 and out["missing_dates"] == 3 and out["gap_count"] == 2
    assert out["gaps"] == "2020-01-03..2020-01-04; 2020-01-06"
    for cmd in (("prices", "import", "--help"), ("prices", "show", "--help")):
        assert "Example:" in run_cli(*cmd).stdout
    with pytest.raises(CostbasisError):
        load_prices(Store(tmp_path / "none"), "BTC")
