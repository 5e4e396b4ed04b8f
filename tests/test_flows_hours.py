"""The stored hourly flow rows (exchange_hours, sql/flows_hours.sql): written beside every exchange_txs
segment, they hold per hour, entity (or all exchanges) and direction the total, the tx count and the 10
largest txs; `flows` reads them, not the transactions, and gives what the transactions give, also for
days and hours split across segments."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest
from support.flows_chain import flow_chain

from costbasis.dates import UNBOUNDED
from costbasis.engine.db import run, sql_text
from costbasis.flows import stored
from costbasis.flows.context import open_flows
from costbasis.flows.flows import exchange_flows
from costbasis.store import Store

CHAIN = "bitcoin-regtest"
STEP = 16   # blocks per build step: the test chain in several segments, so some hours span two


@pytest.fixture()
def store(tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setattr(stored.build, "STEP_BLOCKS", STEP)
    st = Store(shutil.copytree(flow_chain(tmp_path_factory).expanded, tmp_path / "c"))
    stored.derived_set(st, CHAIN).remove()
    exchange_flows(st)   # builds the flow tables
    return st


def _txs(store: Store) -> list[dict]:
    ds = stored.derived_set(store, CHAIN)
    files = [str(p) for p in ds.files(ds.load(), "exchange_txs")]
    return pq.read_table(files).to_pylist()


def _by_period(txs: list[dict], period, per_entity: bool) -> dict:
    """{(period, group, direction): (total, tx count, sum of the 10 largest txs)}, in Python."""
    per_tx = defaultdict(int)
    for r in txs:
        per_tx[(period(r["time"]), r["entity"] if per_entity else None, r["direction"],
                r["height"], r["tx_index"])] += r["value"]
    groups = defaultdict(list)
    for (p, g, d, _, _), v in per_tx.items():
        groups[(p, g, d)].append(v)
    return {k: (sum(v), len(v), sum(sorted(v, reverse=True)[:10])) for k, v in groups.items()}


def test_stored_hours_are_the_hourly_aggregate_of_the_stored_txs(store):
    ds = stored.derived_set(store, CHAIN)
    st = ds.load()
    assert len(st["segments"]) > 2
    hours = [str(p) for p in ds.files(st, stored.HOURS)]
    assert len(hours) == len(st["segments"])
    rows = pq.read_table(hours).to_pylist()
    got = defaultdict(lambda: [0, 0, []])
    for r in rows:
        assert r["hour"] % 3600 == 0 and r["top10"] == sorted(r["top10"], reverse=True) and len(r["top10"]) <= 10
        g = got[(r["hour"], r["entity"], r["direction"])]
        g[0] += r["value"]
        g[1] += r["txs"]
        g[2] += r["top10"]
    txs = _txs(store)
    want = _by_period(txs, lambda t: t // 3600 * 3600, True) | _by_period(txs, lambda t: t // 3600 * 3600, False)
    assert {k: (v, n, sum(sorted(top, reverse=True)[:10])) for k, (v, n, top) in got.items()} == want
    assert any(n > 1 for _, n, _ in want.values())


def test_flows_by_day_over_hours_equal_the_txs(store):
    txs = _txs(store)
    day = lambda t: datetime.fromtimestamp(t, timezone.utc).date()  # noqa: E731
    for per_entity in (False, True):
        want = _by_period(txs, day, per_entity)
        got = {(r["date"], None if not per_entity else r["entity"], d): (r[f"{d}flow_btc"], r[f"{d}flow_txs"],
                                                                         r["top10_inflow_btc"] if d == "in" else None)
               for r in exchange_flows(store, per_entity=per_entity).to_pylist()
               for d in ("in", "out") if r[f"{d}flow_txs"]}
        assert got.keys() == want.keys()
        for k, (v, n, top) in want.items():
            assert got[k][0] == pytest.approx(v / 1e8, abs=1e-9) and got[k][1] == n, k
            if k[2] == "in":
                assert got[k][2] == pytest.approx(top / 1e8, abs=1e-9), k


def test_flows_read_the_hours_not_the_txs(store):
    """With the exchange_txs view gone, the query gives the same rows: it costs the hours it covers."""
    want = exchange_flows(store, by="hour", per_entity=True)
    con, _ = open_flows(store, CHAIN)
    con.execute("DROP VIEW exchange_txs")
    con.execute(sql_text("flows_inputs_bitcoin"))
    got = run(con, "flows_by_period", {"unit": "hour", "per_entity": True, "entity": None,
                                       "t_from": -UNBOUNDED, "t_to": UNBOUNDED, "scale": 1e8})
    assert got.num_rows == want.num_rows > 0
    assert got.column("inflow").to_pylist() == want.column("inflow_btc").to_pylist()
    assert got.column("top10_inflow").to_pylist() == want.column("top10_inflow_btc").to_pylist()
