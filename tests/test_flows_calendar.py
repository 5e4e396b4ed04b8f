"""`costbasis flows` gives a continuous calendar: every day (or hour) of the requested range that
the stored blocks cover is a row, per entity with --per-entity, zeros where nothing moved and
whale_ratio / inflow_mean null when there was no inflow.

Chain: the regtest story of tests/support/flows_scenario.py (flows on known days; nothing on the others).
The Ethereum side is checked in tests/test_evm_cli.py::test_flows_and_whales_evm.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest
from support.flows_chain import flow_chain
from support.flows_scenario import BTC, DAYS, day

from conftest import run_cli
from costbasis.flows.flows import exchange_flows
from costbasis.store import Store

ZERO = {"inflow_btc": 0.0, "outflow_btc": 0.0, "netflow_btc": 0.0, "inflow_txs": 0, "outflow_txs": 0,
        "top10_inflow_btc": 0.0, "inflow_mean_btc": None, "whale_ratio": None}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def days(a: date, b: date) -> list[date]:
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def block_days(cache) -> tuple[date, date]:
    lo, hi = duckdb.sql(f"SELECT min(time), max(time) FROM '{cache}/*/blocks/*.parquet'").fetchall()[0]
    utc = lambda t: datetime.fromtimestamp(t, timezone.utc).date()  # noqa: E731
    return utc(lo), utc(hi)


def test_every_day_of_the_range_with_zeros(chain):
    s = chain.story
    rows = exchange_flows(Store(chain.expanded), date_from=day(1), date_to=day(DAYS)).to_pylist()
    assert [r["date"] for r in rows] == days(day(1), day(DAYS))
    flow_days = {d for d in set(s.inflow) | set(s.outflow)}
    assert len(flow_days) < DAYS - 5      # the story leaves most days empty: the test has gaps to fill
    for d, r in zip(range(1, DAYS + 1), rows):
        assert r["entity"] == "all"
        assert round(r["inflow_btc"] * BTC) == s.inflow.get(d, 0), d
        assert round(r["outflow_btc"] * BTC) == s.outflow.get(d, 0), d
        if d not in flow_days:
            assert {k: r[k] for k in ZERO} == ZERO, d
        elif s.inflow.get(d, 0) == 0:
            assert r["whale_ratio"] is None and r["inflow_mean_btc"] is None, d
        else:
            assert r["whale_ratio"] > 0, d


def test_default_range_starts_at_the_first_flow_and_far_dates_are_clipped(chain):
    first, last = block_days(chain.expanded)
    rows = exchange_flows(Store(chain.expanded)).to_pylist()
    first_flow = min(d for m in (chain.story.inflow, chain.story.outflow) for d, v in m.items() if v)
    # without --from: from the first exchange flow (not the 2011 regtest genesis) to the last block
    assert [r["date"] for r in rows] == days(day(first_flow), last) and first < day(first_flow)
    early = exchange_flows(Store(chain.expanded), date_from=first, date_to=day(3)).to_pylist()
    assert [r["date"] for r in early] == days(first, day(3))   # an explicit --from is honoured
    far = exchange_flows(Store(chain.expanded), date_from=day(30), date_to="9999-12-31").to_pylist()
    assert [r["date"] for r in far] == days(day(30), last)


def test_per_entity_has_every_day_for_every_exchange(chain):
    s = chain.story
    rows = exchange_flows(Store(chain.expanded), date_from=day(2), date_to=day(12), per_entity=True).to_pylist()
    assert [(r["date"], r["entity"]) for r in rows] == [(d, e) for d in days(day(2), day(12)) for e in ("ExA", "ExB")]
    by = {(r["date"], r["entity"]): r for r in rows}
    # story: ExA got 2 BTC on d3 and 200 on d5, paid 40 to ExB on d10, 10 out on d12; ExB nothing else here
    assert by[(day(3), "ExA")]["inflow_btc"] == 2 and by[(day(5), "ExA")]["inflow_btc"] == 200
    assert by[(day(10), "ExA")]["outflow_btc"] == 40 and by[(day(10), "ExB")]["inflow_btc"] == 40
    assert {k: by[(day(4), "ExB")][k] for k in ZERO} == ZERO
    assert sum(r["inflow_btc"] for r in rows) * BTC == pytest.approx(
        sum(v for d, v in s.inflow.items() if 2 <= d <= 12))


def test_one_entity_and_hours(chain):
    rows = exchange_flows(Store(chain.expanded), by="hour", entity="exb", date_from=day(10), date_to=day(11)).to_pylist()
    hours = [datetime(day(10).year, day(10).month, day(10).day) + timedelta(hours=h) for h in range(48)]
    assert [r["hour"] for r in rows] == hours and {r["entity"] for r in rows} == {"ExB"}
    # the only ExB flow of those two days: 40 BTC from ExA in the block mined at d10 12:00
    assert [(r["hour"].hour, r["inflow_btc"]) for r in rows if r["inflow_txs"]] == [(12, 40)]
    assert sum(r["inflow_txs"] + r["outflow_txs"] for r in rows) == 1


def test_cli_json_calendar(chain):
    p = run_cli("flows", "--from", str(day(30)), "--to", str(day(36)), "--format", "json", cache=chain.expanded,
                check=True)
    rows = json.loads(p.stdout)
    assert [r["date"] for r in rows] == [str(d) for d in days(day(30), day(36))]
    assert [r["inflow_btc"] for r in rows] == [0, 0, 0, 0, 0, 78, 0]   # d35: twelve deposits of 1..12 BTC
    assert [r["whale_ratio"] is None for r in rows] == [True] * 5 + [False, True]
