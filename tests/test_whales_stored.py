"""The stored flow tables (costbasis/flows/stored/) on the generated regtest chain: they record the
chain tip they were built from, are extended when the chain grows, rebuilt after a rollback, a
reorg or new labels, and always give what a build from scratch gives (the scenario's deposits)."""

from __future__ import annotations

import shutil

import pyarrow.parquet as pq
import pytest
from support.flows_chain import flow_chain
from support.flows_scenario import day

from costbasis.flows import stored
from costbasis.dates import day_start
from costbasis.store.digest import clusters_fingerprint
from costbasis.flows.context import open_flows
from costbasis.flows.whales import whale_deposits
from costbasis.labels.dataset import xlabels_fingerprint
from costbasis.store import Store

CHAIN = "bitcoin-regtest"


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return flow_chain(tmp_path_factory)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return Store(dst)


def _state(store: Store) -> dict:
    """The committed state (every segment file stamped for it), without the file bookkeeping."""
    st = stored.read_state(store, CHAIN)[0]
    assert st is not None
    return {k: v for k, v in st.items() if k not in ("tables", "sizes", "gen", "previous")}


def _segment(store: Store, table: str):
    """The (last) segment file of `table` in the committed state."""
    ds = stored.derived_set(store, CHAIN)
    return ds.files(ds.load(), table)[-1]


def _expected(story, before_day=None):
    return [(day(d), e, v) for d in sorted(story.whale_days) if before_day is None or d < before_day
            for e, v, _, _ in story.whale_days[d]]


def _got(store):
    return [(r["time"].date(), r["exchange"], r["value_btc"]) for r in whale_deposits(store).to_pylist()]


# the hourly rows summed per hour: how they split across segments depends on the build's steps
HOURS_SUM = ("SELECT hour, entity, direction, sum(value), sum(txs), list_sort(flatten(list(top10)), 'DESC')[1:10] "
             "FROM {} GROUP BY ALL ORDER BY ALL")


def _tables(store):
    con, _ = open_flows(store, CHAIN)
    got = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in stored.TABLES}
    return dict(got, exchange_hours=con.execute(HOURS_SUM.format("exchange_hours")).fetchall())


def _height_before(store, d) -> int:
    """Last height whose block time is before UTC day `d` starts."""
    import pyarrow.compute as pc
    blocks = pq.read_table(store.chain(CHAIN).files("blocks"))
    return pc.max(blocks.filter(pc.less(blocks["time"], day_start(day(d))))["height"]).as_py()


def test_labels_expand_stores_tables_at_the_tip(chain):
    store = Store(chain.expanded)
    st = _state(store)
    assert (st["height"], st["hash"]) == store.chain(CHAIN).tip()
    assert st["clusters"] == clusters_fingerprint(store, CHAIN) != "none"
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
    ft = stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))
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
    assert stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con)).action == "extended"
    assert stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con)).action == "fresh"
    # a reorg: same height, another tip hash -> the recorded tip is no longer on the chain
    cs = store.chain(CHAIN)
    last = {t: pq.read_table(cs.files(t)).filter(pq.read_table(cs.files(t))[keys[t]].to_numpy() == tip[0])
            for t in cs.tables()}
    cs.rollback(tip[0] - 1)
    store.chain(CHAIN).commit(tip[0], tip[0], last, "ab" * 32, {tip[0]: "ab" * 32}, keys)
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    register_arrow(con, "xlabels", xl)
    ft = stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))
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
    shutil.copy(_segment(store, "deposit_sources"), _segment(store2, "deposit_sources"))
    assert stored.read_state(store2, CHAIN) == (None, None)
    assert _got(store2) == _expected(chain.story)
    assert _state(store2) == before


# ---- per-script balances at the stored tip (the base an extension starts from) ----

def _reference_balances(store: Store, h: int) -> dict[bytes, int]:
    """Brute force, independent of the SQL: per script, outputs received minus inputs spent at heights <= h."""
    cs = store.chain(CHAIN)
    bal: dict[bytes, int] = {}
    for table, sign in (("outputs", 1), ("inputs", -1)):
        t = pq.read_table(cs.files(table), columns=["height", "script", "value"]).to_pydict()
        for height, script, value in zip(t["height"], t["script"], t["value"]):
            if height <= h and script is not None:
                bal[script] = bal.get(script, 0) + sign * value
    return {s: v for s, v in bal.items() if v != 0}


def _stored_balances(store: Store) -> dict[tuple[int, int], int]:
    """{(key, key2): balance} of the stored indexes (they keep the script's two keys, not the script)."""
    t = stored.load_balances(store, CHAIN)
    keys = list(zip(t["key"].to_pylist(), t["key2"].to_pylist()))
    assert len(set(keys)) == len(keys)
    return dict(zip(keys, t["balance"].to_pylist()))


def _by_keys(balances: dict[bytes, int]) -> dict[tuple[int, int], int]:
    """{script: balance} as {(key, key2): balance}, the scripts' keys computed by DuckDB."""
    import duckdb
    import pyarrow as pa
    t = stored.keyed(duckdb.connect(), pa.table({"script": pa.array(list(balances), pa.binary()),
                                                 "balance": pa.array(list(balances.values()), pa.int64())}))
    return dict(zip(zip(t["key"].to_pylist(), t["key2"].to_pylist()), t["balance"].to_pylist()))


def _files(store: Store) -> dict[str, list]:
    """What the stored segments hold: the three tables' rows and every script's balance."""
    return dict(_tables(store), balances=sorted(_stored_balances(store).items()))


def _rollback_keep(store: Store, cut: int):
    cs = store.chain(CHAIN)
    removed = {t: pq.read_table(cs.files(t)).filter(pq.read_table(cs.files(t))[cs.key_column(t)].to_numpy() > cut)
               for t in cs.tables()}
    hashes = {h: cs.hash_at(h) for h in cs.recent_heights() if h > cut}
    keys = {t: cs.key_column(t) for t in removed}
    cs.rollback(cut)
    return removed, hashes, keys


def test_incremental_balances_equal_a_build_from_scratch(chain, tmp_path):
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect, register_arrow
    store = _copy(chain.expanded, tmp_path / "c")
    tip = store.chain(CHAIN).tip()
    assert _stored_balances(store) == _by_keys(_reference_balances(store, tip[0]))
    cut = _height_before(store, 18)
    removed, hashes, keys = _rollback_keep(store, cut)
    _got(store)                                              # rebuilt at `cut`
    # the chain grows in two steps; each extension starts from the stored balances
    mid = (cut + tip[0]) // 2
    for lo, hi in ((cut + 1, mid), (mid + 1, tip[0])):
        part = {t: v.filter((v[keys[t]].to_numpy() >= lo) & (v[keys[t]].to_numpy() <= hi)) for t, v in removed.items()}
        blocks = part["blocks"].to_pydict()
        block_hash = dict(zip(blocks["height"], blocks["hash"]))
        store.chain(CHAIN).commit(lo, hi, part, block_hash[hi], {h: block_hash[h] for h in block_hash}, keys)
        con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
        xl = stored_xlabels(store)
        register_arrow(con, "xlabels", xl)
        ft = stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))
        assert ft.action == "extended" and ft.state["height"] == hi
        assert _stored_balances(store) == _by_keys(_reference_balances(store, hi))
        assert stored.keyed(con, stored.script_balances_at(con, hi)).equals(stored.load_balances(store, CHAIN))
    assert _got(store) == _expected(chain.story)
    # the extended segments hold exactly what a build from scratch writes
    grown = _files(store)
    stored.derived_set(store, CHAIN).remove()
    _got(store)
    assert _files(store) == grown


def test_rollback_rebuilds_the_balances(chain, tmp_path):
    store = _copy(chain.expanded, tmp_path / "c")
    at_tip = _stored_balances(store)
    cut = _height_before(store, 18)
    _rollback_keep(store, cut)
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect, register_arrow
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    xl = stored_xlabels(store)
    register_arrow(con, "xlabels", xl)
    assert stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con)).action == "rebuilt"
    ref = _reference_balances(store, cut)
    assert _by_keys(ref) != at_tip               # the rolled-back blocks moved coins
    assert _stored_balances(store) == _by_keys(ref)
    # a balances file from another build (a writer died between files) is never used as a mix
    other = _copy(chain.expanded, tmp_path / "d")
    shutil.copy(_segment(other, stored.INDEX), _segment(store, stored.INDEX))
    assert stored.read_state(store, CHAIN) == (None, None)


def test_merge_places_new_scripts_like_a_full_sort():
    """The in-place merge of an extension orders scripts exactly as the from-scratch SQL does, also for
    scripts sharing their first 8 bytes, prefixes of one another and balances that return to 0."""
    import duckdb
    import pyarrow as pa

    from costbasis.engine.db import register_arrow
    z8 = b"\x00" * 8
    base = {z8 + b"a": 5, z8 + b"c": 7, b"\x00" * 3: 1, z8: 2, b"abcdefgh1": 3, b"abcdefgh3": 4, b"z": 9}
    received = {z8 + b"b": 6, b"\x00" * 4: 8, b"abcdefgh2": 1, b"abcdefgh": 2, b"abcdefgh30": 3, z8 + b"a": 1,
                b"\xff" * 30: 4, b"": 5}
    spent = {b"z": 9, z8 + b"c": 2, b"abcdefgh30": 3}       # z and abcdefgh30 end at 0: dropped

    def rows(d, h):
        return [(h, s, v) for s, v in d.items()]
    outs = rows(base, 0) + rows(received, 1)
    ins = rows(spent, 1)
    con = duckdb.connect()
    for name, r in (("outputs", outs), ("inputs", ins)):
        register_arrow(con, name, pa.table({"height": [x[0] for x in r], "script": pa.array([x[1] for x in r], pa.binary()),
                                            "value": pa.array([x[2] for x in r], pa.int64())}))
    at0 = stored.script_balances_at(con, 0)
    assert at0["script"].to_pylist() == sorted(base)
    merged = stored._merge_balances(con, at0, 1, 1)
    expect = dict(base)
    for s_, v in received.items():
        expect[s_] = expect.get(s_, 0) + v
    for s_, v in spent.items():
        expect[s_] -= v
    expect = sorted((s_, v) for s_, v in expect.items() if v)
    assert list(zip(merged["script"].to_pylist(), merged["balance"].to_pylist())) == expect
    assert merged.equals(stored.script_balances_at(con, 1))


def _zero_data_pages(path) -> None:
    """Overwrite a Parquet file's data pages with zeros, keeping its size and footer: a reader that
    prunes it by its statistics still opens it, one that reads its rows fails."""
    import struct
    raw = bytearray(path.read_bytes())
    footer = struct.unpack("<i", raw[-8:-4])[0]
    raw[4:len(raw) - 8 - footer] = bytes(len(raw) - 12 - footer)
    path.write_bytes(bytes(raw))


def test_extension_reads_only_the_new_blocks_and_writes_only_their_segment(chain, tmp_path):
    """Extending by new blocks reads the chain files of those blocks only (the stored balances by binary
    searches in the memory-mapped key indexes): with every older chain file's rows zeroed, it still
    succeeds and gives what a build from scratch on an intact copy gives; the older segment files stay
    as they were (no rewrite, unless the binary counter merges them)."""
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect, register_arrow
    store = _copy(chain.expanded, tmp_path / "c")
    tip = store.chain(CHAIN).tip()
    cut = _height_before(store, 18)
    removed, hashes, keys = _rollback_keep(store, cut)
    _got(store)                                              # built at `cut`
    ds = stored.derived_set(store, CHAIN)
    before = ds.load()
    old = {f: (ds.path / f).read_bytes() for files in before["tables"].values() for f in files}
    cs = store.chain(CHAIN)
    for t in cs.tables():
        if t != "blocks":   # block headers are a few rows; inputs/outputs are what grows
            for f, e in zip(cs.files(t), cs.entries(t)):
                assert e.last <= cut
                _zero_data_pages(f)
    cs.commit(cut + 1, tip[0], removed, tip[1], hashes, keys)
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    xl = stored_xlabels(store)
    register_arrow(con, "xlabels", xl)
    ft = stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))
    assert ft.action == "extended" and ft.state["segments"][-1] == [cut + 1, tip[0]]
    after = ds.load()
    kept = [f for files in after["tables"].values() for f in files if f in old]
    new = [f for files in after["tables"].values() for f in files if f not in old]
    assert len(new) == len(stored.FILES) and len(kept) == len(old)   # one new segment per table, no merge here
    assert all((ds.path / f).read_bytes() == old[f] for f in kept)
    got = {t: con.execute("SELECT * FROM read_parquet($f) ORDER BY ALL", {"f": [str(p) for p in ft.tables[t]]}).fetchall()
           for t in stored.TABLES}
    got[stored.HOURS] = con.execute(HOURS_SUM.format("read_parquet($f)"),
                                    {"f": [str(p) for p in ft.tables[stored.HOURS]]}).fetchall()
    clean = _copy(chain.expanded, tmp_path / "clean")
    assert _tables(clean) == got
    assert _got(clean) == _expected(chain.story)


def test_new_clusters_rewrite_only_deposit_sources(chain, tmp_path):
    """Clusters change (labels expand) but labels and chain do not: only deposit_sources is rewritten;
    exchange_txs, deposit_coins and the balances keep their files; rows as a build from scratch."""
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.db import connect, register_arrow
    store = _copy(chain.expanded, tmp_path / "c")
    ds = stored.derived_set(store, CHAIN)
    before = ds.load()
    with_clusters = _tables(store)
    store.dataset_path("clusters", CHAIN).unlink()          # every script its own wallet now
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    xl = stored_xlabels(store)
    register_arrow(con, "xlabels", xl)
    ft = stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))
    assert ft.action == "sources" and ft.state["clusters"] == "none" and "sources" in ft.steps
    after = ds.load()
    for t in stored.FILES:
        same = after["tables"][t] == before["tables"][t]
        assert same == (t != stored.SOURCES), t
    got = _tables(store)
    assert got["deposit_sources"] != with_clusters["deposit_sources"]   # the wallets did change
    assert stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con)).action == "fresh"
    ds.remove()
    assert _tables(store) == got                                          # = from scratch
