"""The stored flow tables (costbasis/flows/stored.py) on the generated regtest chain: they record the
chain tip they were built from, are extended when the chain grows, rebuilt after a rollback, a
reorg or new labels, and always give what a build from scratch gives (the scenario's deposits)."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from flows_chain import flow_chain
from flows_scenario import day

from costbasis.flows import stored
from costbasis.flows.context import day_start, open_flows
from costbasis.flows.whales import whale_deposits
from costbasis.store import Store

CHAIN = "bitcoin-regtest"


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return Store(dst)


def _state(store: Store) -> dict:
    states = [json.loads(pq.read_schema(store.dataset_path(stored.KIND, f"{CHAIN}.{t}")).metadata[stored.META_KEY])
              for t in stored.TABLES]
    assert all(s == states[0] for s in states)
    return states[0]


def _expected(story, before_day=None):
    return [(day(d), e, v) for d in sorted(story.whale_days) if before_day is None or d < before_day
            for e, v, _, _ in story.whale_days[d]]


def _got(store):
    return [(r["time"].date(), r["exchange"], r["value_btc"]) for r in whale_deposits(store).to_pylist()]


def _tables(store):
    con, _ = open_flows(store, CHAIN)
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}


def _height_before(store, d) -> int:
    """Last height whose block time is before UTC day `d` starts."""
    import pyarrow.compute as pc
    blocks = pq.read_table(store.chain(CHAIN).files("blocks"))
    return pc.max(blocks.filter(pc.less(blocks["time"], day_start(day(d))))["height"]).as_py()


def test_labels_expand_stores_tables_at_the_tip(chain):
    store = Store(chain.expanded)
    st = _state(store)
    assert (st["height"], st["hash"]) == store.chain(CHAIN).tip()
    assert st["clusters"] == stored.clusters_fingerprint(store, CHAIN) != "none"
    con, _ = open_flows(store, CHAIN)   # fresh: nothing rebuilt, files untouched
    assert _state(store) == st


def test_rollback_rebuilds_and_regrowth_extends(chain, tmp_path):
    store = _copy(chain.expanded, tmp_path / "c")
    full = _tables(store)
    cs = store.chain(CHAIN)
    tip = cs.tip()
    cut = _height_before(store, 18)
    # keep the rolled-back blocks to ingest them again
    removed = {t: pq.read_table(cs.files(t)).filter(pq.read_table(cs.files(t))[cs.key_column(t)].to_numpy() > cut)
               for t in cs.tables()}
    hashes = {h: cs.hash_at(h) for h in cs.recent_heights() if h > cut}
    cs.rollback(cut)
    # a rolled-back store must not serve the deposits of days 18..: whale1's day-20 deposit is gone
    assert _got(store) == _expected(chain.story, before_day=18)
    assert _state(store)["height"] == cut and _state(store)["hash"] == store.chain(CHAIN).tip()[1]
    # the chain grows back: only the new blocks are read, and the result is the full build's
    cs = store.chain(CHAIN)
    cs.commit(cut + 1, tip[0], removed, tip[1], hashes, {t: cs.key_column(t) for t in removed})
    con, _ = open_flows(store, CHAIN)
    ft = stored.flow_tables(store, con, CHAIN, stored_xlabels(store))
    assert ft.action == "fresh"   # open_flows above extended and stored them
    assert (_state(store)["height"], _state(store)["hash"]) == tip
    assert _tables(store) == full
    assert _got(store) == _expected(chain.story)


def stored_xlabels(store):
    from costbasis.labels.dataset import exchange_scripts
    return exchange_scripts(store).select(["script", "entity", "address"])


def test_growth_reports_extended_and_reorg_rebuilt(chain, tmp_path):
    store = _copy(chain.expanded, tmp_path / "c")
    cs = store.chain(CHAIN)
    tip = cs.tip()
    cut = _height_before(store, 18)
    removed = {t: pq.read_table(cs.files(t)).filter(pq.read_table(cs.files(t))[cs.key_column(t)].to_numpy() > cut)
               for t in cs.tables()}
    keys = {t: cs.key_column(t) for t in removed}
    cs.rollback(cut)
    _got(store)                                     # tables now at `cut`
    cs = store.chain(CHAIN)
    cs.commit(cut + 1, tip[0], removed, tip[1], {tip[0]: tip[1]}, keys)
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect, register_arrow
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    xl = stored_xlabels(store)
    register_arrow(con, "xlabels", xl)
    assert stored.flow_tables(store, con, CHAIN, xl).action == "extended"
    assert stored.flow_tables(store, con, CHAIN, xl).action == "fresh"
    # a reorg: same height, another tip hash -> the recorded tip is no longer on the chain
    cs = store.chain(CHAIN)
    last = {t: pq.read_table(cs.files(t)).filter(pq.read_table(cs.files(t))[keys[t]].to_numpy() == tip[0])
            for t in cs.tables()}
    cs.rollback(tip[0] - 1)
    store.chain(CHAIN).commit(tip[0], tip[0], last, "ab" * 32, {tip[0]: "ab" * 32}, keys)
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    register_arrow(con, "xlabels", xl)
    ft = stored.flow_tables(store, con, CHAIN, xl)
    assert ft.action == "rebuilt" and ft.state["hash"] == "ab" * 32


def test_new_labels_or_a_torn_write_rebuild(chain, tmp_path):
    store = _copy(chain.expanded, tmp_path / "c")
    before = _state(store)
    # labels and clusters of the raw store (imports only, no clusters): rebuilt, and the raw store's answer
    shutil.copy(Store(chain.raw).dataset_path("labels", "labels"), store.dataset_path("labels", "labels"))
    store.dataset_path("clusters", CHAIN).unlink()
    rows = whale_deposits(store).to_pylist()
    assert _state(store)["labels"] != before["labels"] and _state(store)["clusters"] == "none"
    assert [(r["time"].date(), r["exchange"]) for r in rows] == [(day(6), "ExA"), (day(15), "ExB")]
    # one file from another state (a writer died between files): never used as a mix
    store2 = _copy(chain.expanded, tmp_path / "d")
    shutil.copy(store.dataset_path(stored.KIND, f"{CHAIN}.deposit_sources"),
                store2.dataset_path(stored.KIND, f"{CHAIN}.deposit_sources"))
    assert stored.read_state(store2, CHAIN) == (None, None)
    assert _got(store2) == _expected(chain.story)
    assert _state(store2) == before
