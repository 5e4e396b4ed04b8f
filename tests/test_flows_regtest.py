"""Exchange flows on a generated regtest chain with known deposits, withdrawals and internal moves.

Expected numbers come from the story (tests/support/flows_scenario.py): the amounts sent, the days they
were mined and the price set for each day.
"""

from __future__ import annotations

import json

import pytest
from support.flows_chain import flow_chain
from support.flows_scenario import BTC, DAYS, day, price_of_day

from conftest import run_cli
from costbasis.flows.flows import exchange_flows
from costbasis.store import Store


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def moved(rows):
    """The periods with flows (the output also has every other period of the calendar, as zeros)."""
    return [r for r in rows if r["inflow_txs"] or r["outflow_txs"]]


def _by_day(t):
    return {r["date"]: r for r in moved(t.to_pylist())}


def test_flows_after_expand_exact_daily_totals(chain):
    s = chain.story
    rows = _by_day(exchange_flows(Store(chain.expanded)))
    expected_days = {day(d) for d in set(s.inflow) | set(s.outflow)}
    assert set(rows) == expected_days
    for d in range(DAYS + 1):
        r = rows.get(day(d))
        if r is None:
            continue
        inflow, outflow = s.inflow.get(d, 0), s.outflow.get(d, 0)
        assert round(r["inflow_btc"] * BTC) == inflow, d
        assert round(r["outflow_btc"] * BTC) == outflow, d
        assert round(r["netflow_btc"] * BTC) == inflow - outflow, d
        assert r["inflow_usd"] == pytest.approx(inflow / BTC * price_of_day(d)), d
        assert r["outflow_usd"] == pytest.approx(outflow / BTC * price_of_day(d)), d
        assert r["inflow_txs"] == s.inflow_txs.get(d, 0), d
        if inflow:
            assert round(r["top10_inflow_btc"] * BTC) == s.top10[d], d
            assert r["whale_ratio"] == pytest.approx(s.top10[d] / inflow), d
            assert r["inflow_mean_btc"] == pytest.approx(inflow / BTC / s.inflow_txs[d]), d
    # day 35: twelve deposits of 1..12 BTC -> top-10 = 3+...+12 = 75 of 78
    assert rows[day(35)]["whale_ratio"] == pytest.approx(75 / 78)
    assert rows[day(35)]["inflow_mean_btc"] == pytest.approx(6.5)


def test_internal_exchange_transfers_are_not_flows(chain):
    rows = _by_day(exchange_flows(Store(chain.expanded)))
    # d6: ExA sweeps its deposit addresses into its hot wallet; d8: ExA moves 30 BTC between its
    # two labeled addresses. Neither is a flow once the deposit addresses are known.
    assert day(6) not in rows and day(8) not in rows
    # d10: ExA -> ExB 40 BTC is an outflow of ExA and an inflow of ExB (not internal)
    a = _by_day(exchange_flows(Store(chain.expanded), entity="exa"))
    b = _by_day(exchange_flows(Store(chain.expanded), entity="ExB"))
    assert a[day(10)]["outflow_btc"] == 40 and a[day(10)]["inflow_btc"] == 0
    assert b[day(10)]["inflow_btc"] == 40 and b[day(10)]["outflow_btc"] == 0
    assert {d: r["inflow_btc"] for d, r in a.items() if r["inflow_btc"]} == {day(3): 2, day(5): 200}
    assert {d: r["outflow_btc"] for d, r in a.items() if r["outflow_btc"]} == {day(10): 40, day(12): 10}
    assert {d: r["inflow_btc"] for d, r in b.items() if r["inflow_btc"]} == {
        day(10): 40, day(15): 150, day(20): 10, day(28): 0.5, day(35): 78}
    assert {d: r["outflow_btc"] for d, r in b.items() if r["outflow_btc"]} == {day(25): 5}


def test_flows_with_imported_labels_only(chain):
    """Before `labels expand` the deposit addresses are unknown: the sweep looks like an inflow."""
    s = chain.story
    rows = _by_day(exchange_flows(Store(chain.raw)))
    got_in = {d: round(r["inflow_btc"] * BTC) for d, r in rows.items() if r["inflow_btc"]}
    got_out = {d: round(r["outflow_btc"] * BTC) for d, r in rows.items() if r["outflow_btc"]}
    assert got_in == {day(d): v for d, v in s.inflow_raw.items()}
    assert got_out == {day(d): v for d, v in s.outflow_raw.items()}


def test_per_entity_and_hourly_and_range(chain):
    t = exchange_flows(Store(chain.expanded), by="hour", per_entity=True, date_from=day(10), date_to=str(day(12)))
    rows = moved(t.to_pylist())
    # every block of the story after day 0 is mined at 12:00 UTC
    assert all(r["hour"].hour == 12 for r in rows)
    got = {(r["hour"].date(), r["entity"]): (r["inflow_btc"], r["outflow_btc"]) for r in rows}
    assert got == {(day(10), "ExA"): (0, 40), (day(10), "ExB"): (40, 0), (day(12), "ExA"): (0, 10)}


def test_flows_cli_json(chain):
    p = run_cli("flows", "--from", str(day(30)), "--to", str(day(40)), "--format", "json", cache=chain.expanded,
                check=True)
    rows = moved(json.loads(p.stdout))
    assert [r["date"] for r in rows] == [str(day(35))]
    assert rows[0]["inflow_btc"] == 78 and rows[0]["inflow_txs"] == 12
    p = run_cli("flows", "--by", "week", cache=chain.expanded)
    assert p.returncode != 0 and "error:" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("flows", "--entity", "NoSuchExchange", cache=chain.expanded)
    assert p.returncode != 0 and "NoSuchExchange" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("flows", "--from", "2025-13-01", cache=chain.expanded)
    assert p.returncode != 0 and "YYYY-MM-DD" in p.stderr and "Traceback" not in p.stderr


def test_flows_need_labels(tmp_path, chain):
    import shutil
    shutil.copytree(chain.raw, tmp_path / "c")
    (tmp_path / "c" / "labels" / "labels.parquet").unlink()
    p = run_cli("flows", cache=tmp_path / "c")
    assert p.returncode != 0 and "labels import" in p.stderr and "Traceback" not in p.stderr
