"""The two small stores the command-line QA tests refuse bad input against: a generated chain with
prices (support/engine_fixtures.build) and the flow story of support/flows_scenario.py with its
exchange labels imported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from costbasis.labels.importer import import_labels
from costbasis.store import Store
from support.engine_fixtures import build
from support.flows_factory import FakeChain
from support.flows_scenario import T0, play, prices_table


def engine_store(root: Path) -> Path:
    build(root, seed=5, span_days=400, n_blocks=120, price_start=date(2009, 1, 3))
    return root


def flows_store(root: Path) -> Path:
    cb = FakeChain(T0)
    story = play(cb)
    store = Store(root)
    cb.commit(store)
    store.write_dataset("prices", "BTC", prices_table())
    (root / "labels.csv").write_text(story.labels_csv)
    import_labels(store, root / "labels.csv")
    return root
