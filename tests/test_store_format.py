"""Store formats (bitcoin/schema.py): format 3 stores inputs' spent outpoint as (created_height,
prev_tx_key, prev_vout); a store of older files (format 1, 2) keeps working and grows in format 3.

Format 2 had inputs.prev_txid (the spent txid's hex) where format 3 has prev_tx_key; format 1 also had
outputs.address, inputs.txid and inputs.address. The legacy store is the flow-test chain
(tests/support/flows_chain.py) ingested in two parts: the first part rewritten as the old code wrote
it (bench/store_bytes.py to_format: its first range file in format 1, the others in format 2, prev_txid
resolved from the store), then the rest ingested on top by the current code. Every query reads old and
new files together and answers as the all-new store; the views derive prev_tx_key from old prev_txid.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.flows_chain import flow_chain

from conftest import run_cli
from costbasis.bitcoin import outpoints, schema
from costbasis.engine.bitcoin.outpoints import resolve
from costbasis.engine import api, db
from costbasis.flows import stored
from costbasis.store import Store
from costbasis.store.atomic import atomic_write_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from store_bytes import INPUTS_1, INPUTS_2, OUTPUTS_1, older_tables  # noqa: E402

CHAIN = "bitcoin-regtest"
ORDER = "ORDER BY height, tx_index, vin"


def rewrite_older(root: Path, fmt: int) -> int:
    """The committed outputs/inputs files of `root` that are of the current format rewritten as format
    `fmt` wrote them (prev_txid resolved from the store); returns how many ranges."""
    store = Store(root)
    cs = store.chain(CHAIN)
    current = {f.name for f in cs.files("inputs") if "prev_tx_key" in pq.read_schema(f).names}
    old = [t for t in older_tables(store, CHAIN, "regtest", fmt) if t[0].name in current]
    with cs.writer_lock():   # (every prev_txid was resolved above, before any file changed)
        tables = cs.manifest["tables"]
        entries = {e["file"]: (e, i_e) for e, i_e in zip(tables["outputs"]["files"], tables["inputs"]["files"])}
        for po, pi, o, i in old:
            assert po.name == pi.name   # one file per table per range
            for path, t, e in zip((po, pi), (o, i), entries[po.name]):
                atomic_write_table(path, t)
                e["bytes"] = path.stat().st_size
        cs._save_manifest()
    return len(old)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(all-new store, older-format store extended by the current code), same chain, prices and labels."""
    from costbasis.bitcoin.datadir import DatadirSource
    from costbasis.bitcoin.ingest import ingest
    fc = flow_chain(tmp_path_factory)
    legacy = tmp_path_factory.mktemp("legacy") / "cache"
    tip = Store(fc.raw).chain(CHAIN).tip()[0]
    src = DatadirSource(fc.datadir, "regtest")
    try:
        # the story's spends are in its last ~40 blocks (after coinbase maturity): format 1 files up
        # to tip - 28 hold outflows and a deposit, the format 2 file up to tip - 17 more deposits
        ingest(src, Store(legacy), end=tip - 28, batch_blocks=60, progress=False)
        assert rewrite_older(legacy, 1) >= 2
        ingest(src, Store(legacy), end=tip - 17, batch_blocks=60, progress=False)
        assert rewrite_older(legacy, 2) == 1
        ingest(src, Store(legacy), batch_blocks=50, progress=False)
    finally:
        src.close()
    for kind in ("prices", "labels"):
        shutil.copytree(fc.raw / kind, legacy / kind)
    return fc.raw, legacy


def _view(root: Path, sql: str):
    con, _ = db.connect(Store(root), CHAIN, schemas=schema.TABLES)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _old_inputs(root: Path) -> pa.Table:
    """The legacy store's older inputs files (those with prev_txid) as stored, in one table."""
    cs = Store(root).chain(CHAIN)
    cols = ["height", "tx_index", "vin", "prev_txid"]
    return pa.concat_tables([pq.read_table(f, columns=cols) for f in cs.files("inputs")
                             if "prev_txid" in pq.read_schema(f).names]).sort_by([(c, "ascending") for c in cols[:3]])


def test_new_files_have_the_current_columns(stores):
    new, legacy = stores
    for root in (new, legacy):
        cs = Store(root).chain(CHAIN)
        last = {t: pq.read_schema(cs.files(t)[-1]).names for t in ("outputs", "inputs")}
        assert last == {"outputs": schema.OUTPUTS.names, "inputs": schema.INPUTS.names}
    cs = Store(legacy).chain(CHAIN)
    assert pq.read_schema(cs.files("outputs")[0]).names == OUTPUTS_1.names
    assert pq.read_schema(cs.files("inputs")[0]).names == INPUTS_1.names
    names = [pq.read_schema(f).names for f in cs.files("inputs")]
    assert names.count(INPUTS_2.names) == 1 and names.index(INPUTS_2.names) == names.count(INPUTS_1.names)
    assert "address" in OUTPUTS_1.names and {"txid", "address", "prev_txid"} <= set(INPUTS_1.names)
    assert "prev_txid" in INPUTS_2.names and "prev_tx_key" not in INPUTS_2.names


def test_views_derive_prev_tx_key_from_old_prev_txid(stores):
    """The inputs view of the half-old store is the all-new store's, row for row; in the old files'
    range its prev_tx_key is the key of the prev_txid those files store (keys >= 2^63 included), and
    the resolver gives back exactly that prev_txid."""
    new, legacy = stores
    q = f"SELECT * FROM inputs {ORDER}"
    a, b = _view(new, q), _view(legacy, q)
    assert b.schema == schema.INPUTS and a.num_rows > 0 and a.equals(b)
    old = _old_inputs(legacy)
    assert old.num_rows > 0 and min(t[0] for t in old["prev_txid"].to_pylist()) < "8" <= max(
        t[0] for t in old["prev_txid"].to_pylist())   # both signs of the key occur
    keys = {(r["height"], r["tx_index"], r["vin"]): r["prev_tx_key"] for r in b.to_pylist()}
    assert [keys[(r["height"], r["tx_index"], r["vin"])] for r in old.to_pylist()] == \
        outpoints.tx_keys(old["prev_txid"]).tolist()
    con, _ = db.connect(Store(legacy), CHAIN, schemas=schema.TABLES)
    try:
        res = resolve(con, 0, 10**9)
    finally:
        con.close()
    assert res.num_rows == a.num_rows and res["prev_txid"].null_count == 0
    got = {(r["height"], r["tx_index"], r["vin"]): r["prev_txid"] for r in res.to_pylist()}
    assert all(got[(r["height"], r["tx_index"], r["vin"])] == r["prev_txid"] for r in old.to_pylist())


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


@pytest.mark.spark
def test_spark_views_of_the_older_store_equal_duckdbs(stores):
    """engine/spark/session.py register_chain: the same inputs view (prev_tx_key derived in the old
    files' range by tx_key_spark) as DuckDB's, and tx_key_spark is tx_key at the int64 edges."""
    pytest.importorskip("pyspark")
    from costbasis.engine.spark import session, settings
    if session.java_problem():
        pytest.skip(session.java_problem())
    _, legacy = stores
    want = _view(legacy, f"SELECT * FROM inputs {ORDER}")
    settings.use("spark", "local[1]", ["spark.sql.shuffle.partitions=1"])
    try:
        spark = session.get()
        session.register_chain(spark, legacy, Store(legacy).chain(CHAIN), schema.TABLES, tables=("inputs",))
        df = spark.sql(f"SELECT * FROM inputs {ORDER}")
        assert df.columns == schema.INPUTS.names
        assert [r.asDict() for r in df.collect()] == want.to_pylist()
        edges = ["0" * 64, "7fffffffffffffff" + "0" * 48, "8000000000000000" + "0" * 48, "f" * 64,
                 *(r["prev_txid"] for r in _old_inputs(legacy).to_pylist()[:50])]
        got = spark.createDataFrame([(t,) for t in edges], "t string").select(outpoints.tx_key_spark("t")).collect()
        assert [r[0] for r in got] == [outpoints.tx_key(t) for t in edges]
    finally:
        session.stop()
        settings.use("duckdb")
