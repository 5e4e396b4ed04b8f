"""The table factory (tests/support/flows_factory.py, used to develop SQL and by nothing else) plays the
same story as the real generator: flows and whale deposits must agree with the ingested chain."""

from __future__ import annotations

import pytest
from support.flows_chain import flow_chain
from support.flows_factory import FakeChain
from support.flows_scenario import T0, play, prices_table

from costbasis.flows.flows import exchange_flows
from costbasis.flows.whales import whale_deposits
from costbasis.labels.expand import expand_labels
from costbasis.labels.importer import import_labels
from costbasis.store import Store


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def test_factory_chain_gives_the_same_flows(chain, tmp_path):
    cb = FakeChain(T0)
    story = play(cb)
    store = Store(tmp_path)
    cb.commit(store)
    store.write_dataset("prices", "BTC", prices_table())
    (tmp_path / "l.csv").write_text(story.labels_csv)
    import_labels(store, tmp_path / "l.csv")
    res = expand_labels(store)
    assert res.counts.to_pylist() == [{"heuristic": "common_input", "entity": "ExB", "added": 1},
                                      {"heuristic": "sweep", "entity": "ExA", "added": 2}]
    fake = exchange_flows(store, per_entity=True).drop_columns(["price_usd"])
    real = exchange_flows(Store(chain.expanded), per_entity=True).drop_columns(["price_usd"])
    # days with flows (the calendars differ: the regtest chain starts at its 2011 genesis block)
    moved = lambda t: [r for r in t.to_pylist() if r["inflow_txs"] or r["outflow_txs"]]  # noqa: E731
    assert moved(fake) == moved(real) and moved(fake)
    cols = ["exchange", "value_btc", "source_holds_1000", "age_band", "cluster_size", "source_balance_btc"]
    assert whale_deposits(store).select(cols).to_pylist() == whale_deposits(Store(chain.expanded)).select(cols).to_pylist()
