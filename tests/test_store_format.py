"""Store format 2 (bitcoin/schema.py): no address columns, no txid on inputs; a format-1 store keeps working.

The format-1 store is the flow-test chain (tests/support/flows_chain.py) ingested in two parts: the
first part rewritten in the old format (bench/store_bytes.py to_format1: outputs.address,
inputs.txid, inputs.address, as the previous code wrote them), then the rest ingested on top by
the current code. Every query reads old and new files together and answers as the all-new store.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from support.flows_chain import flow_chain

from conftest import run_cli
from costbasis.bitcoin import schema
from costbasis.engine import api
from costbasis.flows import stored
from costbasis.store import Store
from costbasis.store.atomic import atomic_write_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from store_bytes import INPUTS_1, OUTPUTS_1, to_format1  # noqa: E402

CHAIN = "bitcoin-regtest"


def rewrite_format1(root: Path) -> int:
    """Every committed outputs/inputs file of `root` rewritten as format 1 wrote it; returns how many."""
    cs = Store(root).chain(CHAIN)
    n = 0
    with cs.writer_lock():
        tables = cs.manifest["tables"]
        for o_e, i_e in zip(tables["outputs"]["files"], tables["inputs"]["files"]):
            assert o_e["file"] == i_e["file"]   # one file per table per committed range
            po, pi = cs.path / "outputs" / o_e["file"], cs.path / "inputs" / i_e["file"]
            o1, i1 = to_format1(pq.read_table(po), pq.read_table(pi), "regtest")
            for path, data, e in ((po, o1, o_e), (pi, i1, i_e)):
                atomic_write_table(path, data)
                e["bytes"] = path.stat().st_size
            n += 1
        cs._save_manifest()
    return n


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(all-new store, format-1 store extended by the current code), same chain, prices and labels."""
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    fc = flow_chain(tmp_path_factory)
    legacy = tmp_path_factory.mktemp("legacy") / "cache"
    tip = Store(fc.raw).chain(CHAIN).tip()[0]
    src = DatadirSource(fc.datadir, "regtest")
    try:
        # the story's spends are in its last ~40 blocks (after coinbase maturity): old files up to
        # 170 hold about half of them
        ingest(src, Store(legacy), end=tip - 20, batch_blocks=60, progress=False)
        assert rewrite_format1(legacy) >= 2
        ingest(src, Store(legacy), batch_blocks=50, progress=False)
    finally:
        src.close()
    for kind in ("prices", "labels"):
        shutil.copytree(fc.raw / kind, legacy / kind)
    return fc.raw, legacy


def test_new_files_have_no_derivable_columns(stores):
    new, legacy = stores
    for root in (new, legacy):
        cs = Store(root).chain(CHAIN)
        last = {t: pq.read_schema(cs.files(t)[-1]).names for t in ("outputs", "inputs")}
        assert last == {"outputs": schema.OUTPUTS.names, "inputs": schema.INPUTS.names}
    cs = Store(legacy).chain(CHAIN)
    assert pq.read_schema(cs.files("outputs")[0]).names == OUTPUTS_1.names
    assert pq.read_schema(cs.files("inputs")[0]).names == INPUTS_1.names
    assert "address" in OUTPUTS_1.names and {"txid", "address"} <= set(INPUTS_1.names)


def test_old_and_new_files_answer_as_an_all_new_store(stores):
    new, legacy = stores
    p = run_cli("check", cache=legacy)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    for q in (lambda s: api.cohorts(s, CHAIN, date_from="2009-01-01", date_to="2030-01-01"),
              lambda s: api.flows(s, CHAIN),
              lambda s: api.flows(s, CHAIN, per_entity=True, by="hour"),
              lambda s: api.whales(s, CHAIN),
              lambda s: api.whales(s, CHAIN, deposits=True, min_btc=0.0)):
        a, b = q(Store(new)), q(Store(legacy))
        assert a.num_rows > 0 and a.to_pylist() == b.to_pylist()


def test_outflow_txids_and_source_addresses_as_format1_stored_them(stores):
    """In the old files' range, an outflow tx's txid (now from its outputs) is the txid format 1 stored on
    its inputs, and a deposit's source address (now formatted from the key script) one of the addresses
    format 1 stored on the deposit's inputs."""
    _, legacy = stores
    cs = Store(legacy).chain(CHAIN)
    old_files = [(f, e) for f, e in zip(cs.files("inputs"), cs.entries("inputs")) if "txid" in pq.read_schema(f).names]
    old = [pq.read_table(f) for f, _ in old_files]
    last_old = max(e.last for _, e in old_files)
    txid = {(r["height"], r["tx_index"]): r["txid"] for t in old for r in t.to_pylist()}
    addrs: dict = {}
    for t in old:
        for r in t.select(["height", "tx_index", "address"]).to_pylist():
            addrs.setdefault((r["height"], r["tx_index"]), set()).add(r["address"])
    api.flows(Store(legacy), CHAIN)   # builds the stored flow tables
    state, _ = stored.read_state(Store(legacy), CHAIN)
    xt = [r for f in stored.derived_set(Store(legacy), CHAIN).files(state, "exchange_txs")
          for r in pq.read_table(f).to_pylist()]
    out = [r for r in xt if r["direction"] == "out" and r["height"] <= last_old]
    assert out and all(r["txid"] == txid[(r["height"], r["tx_index"])] for r in out)
    deps = [r for r in api.whales(Store(legacy), CHAIN, deposits=True, min_btc=0.0).to_pylist()
            if r["height"] <= last_old]
    assert deps
    for r in deps:
        tx = next(x for x in xt if x["txid"] == r["txid"])
        assert r["source_cluster"] in addrs[(tx["height"], tx["tx_index"])]
