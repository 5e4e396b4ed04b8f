"""`--with`: context series joined to on-chain tables by UTC day (hour for flows --by hour):
flows summed within the day, levels the day's last value, a missing day null (never 0)."""

from __future__ import annotations

import json
import random
import re
from datetime import date, datetime, timezone

import pyarrow as pa
import pytest

from support.chain_factory import make_chain, price_table, write_chain, write_prices_csv
from costbasis.context.importer import import_file
from costbasis.context.join import add_context, parse_with
from costbasis.prices.importer import import_prices
from costbasis.store import Store

HOURLY = """time,metric,value,agg
2026-01-19T23:00:00Z,flow,1,sum
2026-01-19T23:00:00Z,level,10,last
2026-01-20T00:00:00Z,flow,2,sum
2026-01-20T00:00:00Z,level,20,last
2026-01-20T12:00:00Z,flow,4,sum
2026-01-20T23:00:00Z,flow,8,sum
2026-01-20T23:00:00Z,level,30,last
2026-01-21T00:00:00Z,flow,16,sum
2026-01-21T00:00:00Z,level,40,last
2026-01-23T05:00:00Z,flow,0,sum
"""


@pytest.fixture
def hourly_store(tmp_path):
    store = Store(tmp_path / "cache")
    f = tmp_path / "hourly.csv"
    f.write_text(HOURLY)
    import_file(store, f)
    return store


def test_day_boundaries_on_an_hourly_series(hourly_store):
    days = [date(2026, 1, d) for d in (19, 20, 21, 22, 23)]
    t = pa.table({"date": pa.array(days, pa.date32()), "x": pa.array(range(5), pa.int64())})
    out = add_context(hourly_store, t, parse_with(hourly_store, "flow,level"))
    assert out.column_names == ["date", "x", "flow", "level"]
    # 00:00 belongs to its own day, 23:00 to the day it starts in; 22 Jan has no rows: null, not 0;
    # 23 Jan has a real 0
    assert out["flow"].to_pylist() == [1.0, 2.0 + 4.0 + 8.0, 16.0, None, 0.0]
    assert out["level"].to_pylist() == [10.0, 30.0, 40.0, None, None]


def test_hour_join_and_repeated_dates(hourly_store):
    hours = [datetime(2026, 1, 20, h, tzinfo=timezone.utc) for h in (0, 12, 13)]
    t = pa.table({"hour": pa.array(hours, pa.timestamp("us", tz="UTC"))})
    out = add_context(hourly_store, t, parse_with(hourly_store, "hourly.flow"))
    assert out["hourly.flow"].to_pylist() == [2.0, 4.0, None]
    # a long table (several rows per day, as cohorts) gets the day's value on each of its rows
    t = pa.table({"date": pa.array([date(2026, 1, 20)] * 3, pa.date32())})
    assert add_context(hourly_store, t, parse_with(hourly_store, "flow"))["flow"].to_pylist() == [14.0] * 3


@pytest.fixture(scope="module")
def chain_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("join_chain")
    store = write_chain(root / "cache", make_chain(seed=3, start=date(2026, 1, 1), span_days=25, n_blocks=80))
    import_prices(store, write_prices_csv(root / "prices.csv", price_table(random.Random(4), date(2025, 12, 20), 45, 0)))
    f = root / "mine.csv"
    f.write_text("time,metric,value,agg\n" + "".join(
        f"2026-01-{d:02d}T{h:02d}:00:00Z,inflow_x,{d * 100 + h},sum\n" for d in (10, 11, 13) for h in (0, 23)))
    import_file(store, f)
    g = root / "dxy_daily.csv"
    g.write_text("date,close\n2026-01-10,98.5\n2026-01-12,97.25\n")
    import_file(store, g)
    return root / "cache"


def test_cli_with_on_cohorts_and_sopr(chain_cache, cli):
    p = cli("cohorts", "--from", "2026-01-10", "--to", "2026-01-13", "--cohort", "sth", "--with", "inflow_x,dxy",
            "--format", "json", cache=chain_cache)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    got = {r["date"]: (r["inflow_x"], r["dxy"]) for r in rows}
    assert got == {"2026-01-10": (2023.0, 98.5), "2026-01-11": (2223.0, None),
                   "2026-01-12": (None, 97.25), "2026-01-13": (2623.0, None)}
    assert all(r["cohort"] == "sth" for r in rows)
    p = cli("sopr", "--from", "2026-01-10", "--to", "2026-01-12", "--with", "mine.inflow_x", "--format", "csv",
            cache=chain_cache)
    assert p.returncode == 0, p.stderr
    head, *lines = p.stdout.strip().splitlines()
    assert head.split(",")[-1] == '"mine.inflow_x"'
    assert [ln.split(",")[-1] for ln in lines] == ["2023", "2223", ""]


def test_with_errors_are_one_line(chain_cache, cli):
    p = cli("cohorts", "--asof", "2026-01-10", "--with", "nope", cache=chain_cache)
    assert p.returncode == 1 and p.stderr.startswith("error: --with nope: no imported series has metric") \
        and p.stderr.count("\n") == 1
    p = cli("bands", "--asof", "2026-01-12", "--with", "dxy", cache=chain_cache)
    assert p.returncode == 2 and "use it with --from/--to" in p.stderr   # the command line alone is wrong
    p = cli("sopr", "--with", ",", cache=chain_cache)
    assert p.returncode == 2 and "--with" in p.stderr


def test_help_says_which_is_summed(cli):
    for cmd in ("cohorts", "flows", "whales", "bands", "sopr"):
        text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", cli(cmd, "--help", env={"COLUMNS": "300"}).stdout).split())
        assert "Flows are summed within the day" in text and "levels take the day's last value" in text, cmd
        assert "--with" in text and "Example:" in text
