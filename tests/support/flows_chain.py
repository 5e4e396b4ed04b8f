"""The flow-test chain, built once per test session: the story of tests/support/flows_scenario.py mined
with the real regtest generator, ingested from its datadir, prices and labels imported.

Two caches: `raw` has only the imported labels, `expanded` also ran `costbasis labels expand`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from support.flows_scenario import T0, Story, play, prices_table

from conftest import run_cli
from costbasis.store import Store

_CACHE: dict = {}


@dataclass
class FlowChain:
    story: Story
    raw: Path
    expanded: Path
    expand_stdout: str
    datadir: Path
    builder_balances: dict


def flow_chain(tmp_path_factory) -> FlowChain:
    if "chain" in _CACHE:
        return _CACHE["chain"]
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    from costbasis.regtest import ChainBuilder

    root = tmp_path_factory.mktemp("flows_chain")
    cb = ChainBuilder(root / "datadir", start_time=T0, seed="flows")
    story = play(cb)
    cb.close()
    raw = root / "raw"
    src = DatadirSource(root / "datadir", "regtest")
    try:
        ingest(src, Store(raw), progress=False)
    finally:
        src.close()
    Store(raw).write_dataset("prices", "BTC", prices_table())
    (root / "labels.csv").write_text(story.labels_csv)
    run_cli("labels", "import", str(root / "labels.csv"), cache=raw, check=True)
    expanded = root / "expanded"
    shutil.copytree(raw, expanded)
    p = run_cli("labels", "expand", "--format", "csv", cache=expanded, check=True)
    _CACHE["chain"] = FlowChain(story, raw, expanded, p.stdout, root / "datadir", {})
    return _CACHE["chain"]
