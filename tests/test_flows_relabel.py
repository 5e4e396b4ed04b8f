"""New labels rewrite only what depends on them (costbasis/flows/stored/redo.py): a label
added for a script with past deposits, a derived label removed, a label moved to another entity. Each
time the stored tables equal a build from scratch on a copy; the segments no tx of which touches a
changed script keep their files, and the balances (label-independent) are never rewritten."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from support.flows_chain import flow_chain

from costbasis.bitcoin.schema import TABLES
from costbasis.engine.db import connect, register_arrow
from costbasis.flows import stored
from costbasis.labels.dataset import exchange_scripts, xlabels_fingerprint
from costbasis.store import Store

CHAIN = "bitcoin-regtest"
STEP = 32   # blocks per build step: the 190-block test chain in 3 segments (0-127, 128-159, 160-189)


@pytest.fixture()
def store(tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setattr(stored.build, "STEP_BLOCKS", STEP)
    st = Store(shutil.copytree(flow_chain(tmp_path_factory).expanded, tmp_path / "c"))
    stored.derived_set(st, CHAIN).remove()
    assert _build(st, _labels(st)).action == "rebuilt"
    return st


def _labels(store: Store) -> pa.Table:
    return exchange_scripts(store, CHAIN).select(["script", "entity", "address"])


def _build(store: Store, xl: pa.Table) -> stored.FlowTables:
    con, _ = connect(store, CHAIN, "bitcoin", schemas=TABLES)
    register_arrow(con, "xlabels", xl)
    return stored.flow_tables(store, con, CHAIN, xlabels_fingerprint(con))


def _rows(ft: stored.FlowTables) -> dict:
    import duckdb
    con = duckdb.connect()
    rows = {t: con.execute("SELECT * FROM read_parquet($f) ORDER BY ALL", {"f": [str(p) for p in ft.tables[t]]}).fetchall()
            if ft.tables[t] else [] for t in stored.TABLES}
    # the hourly rows summed per hour (their split across segments depends on the build's steps)
    hours = [str(p) for p in ft.tables.get(stored.HOURS, [])]
    return dict(rows, exchange_hours=con.execute(
        "SELECT hour, entity, direction, sum(value), sum(txs), list_sort(flatten(list(top10)), 'DESC')[1:10] "
        "FROM read_parquet($f) GROUP BY ALL ORDER BY ALL", {"f": hours}).fetchall() if hours else [])


def _touched_segments(store: Store, scripts: set, segments: list) -> set[int]:
    """Independently of the SQL: the segments holding an output or input of a changed script."""
    cs = store.chain(CHAIN)
    heights = set()
    for t in ("outputs", "inputs"):
        tbl = pq.read_table(cs.files(t), columns=["height", "script"]).to_pydict()
        heights |= {h for h, s in zip(tbl["height"], tbl["script"]) if s in scripts}
    return {i for i, (lo, hi) in enumerate(segments) if any(lo <= h <= hi for h in heights)}


def _deposit_input_script(store: Store) -> tuple[bytes, int]:
    """An input script of a stored deposit candidate (a whale's wallet), and that deposit's height."""
    import duckdb
    ds = stored.derived_set(store, CHAIN)
    st = ds.load()
    con = duckdb.connect()
    h, txi = con.execute("SELECT height, tx_index FROM read_parquet($f) ORDER BY height LIMIT 1",
                         {"f": [str(p) for p in ds.files(st, stored.SOURCES)]}).fetchone()
    ins = pq.read_table(store.chain(CHAIN).files("inputs"), columns=["height", "tx_index", "script"])
    ins = ins.filter(pc.and_(pc.equal(ins["height"], h), pc.equal(ins["tx_index"], txi)))
    return ins["script"][0].as_py(), h


def _with(xl: pa.Table, script: bytes, entity: str | None) -> pa.Table:
    """`xl` with `script` labelled `entity` (None: unlabelled)."""
    rest = xl.filter(pc.invert(pc.is_in(xl["script"], pa.array([script], pa.binary()))))
    if entity is None:
        return rest
    return pa.concat_tables([rest, pa.table({"script": pa.array([script], pa.binary()), "entity": [entity],
                                             "address": ["relabelled"]})])


def _changes(store: Store):
    """(name, labels, changed scripts): each step changes its scripts' labels from the last step's."""
    xl = _labels(store)
    all_ = exchange_scripts(store, CHAIN)
    derived = sorted(pc.filter(all_["script"], pc.not_equal(all_["heuristic"], "import")).to_pylist())
    script, _ = _deposit_input_script(store)
    assert script not in set(xl["script"].to_pylist()) and len(derived) >= 2
    added = _with(xl, script, "ExC")                      # a whale's script, with past deposits
    removed = _with(added, derived[0], None)              # a derived (sweep / common-input) label dropped
    moved = _with(removed, derived[-1], "ExZ")            # a derived label moved to another entity
    return [("add", added, {script}), ("remove", removed, {derived[0]}), ("move", moved, {derived[-1]})]


def test_label_changes_rewrite_only_the_touched_segments(store, tmp_path):
    ds = stored.derived_set(store, CHAIN)
    for name, xl, scripts in _changes(store):
        before = ds.load()
        segs = before["segments"]
        assert len(segs) == 3
        old_bytes = {f: (ds.path / f).read_bytes() for files in before["tables"].values() for f in files}
        prev = _rows(stored.FlowTables({t: ds.files(before, t) for t in stored.VIEWS}, before, ""))
        ft = _build(store, xl)
        assert ft.action == "labels", name
        after = ds.load()
        touched = _touched_segments(store, scripts, segs)
        assert touched and ft.steps["label_segments"] <= len(touched), name
        for t in stored.FILES:
            for i, (a, b) in enumerate(zip(before["tables"][t], after["tables"][t])):
                if t in stored.LABELED and i in touched and ft.steps["label_segments"] == len(touched):
                    assert a != b, (name, t, i)          # rewritten
                elif t not in stored.LABELED or i not in touched:
                    assert a == b and (ds.path / b).read_bytes() == old_bytes[a], (name, t, i)   # kept as it was
        got = _rows(ft)
        assert got != prev, name                          # the change did change some rows
        # a build from scratch on a copy: the same rows
        clean = Store(shutil.copytree(store.root, tmp_path / f"clean-{name}"))
        stored.derived_set(clean, CHAIN).remove()
        scratch = _build(clean, xl)
        assert scratch.action == "rebuilt"
        assert _rows(scratch) == got, name
        assert _build(store, xl).action == "fresh"
    assert any(len(_touched_segments(store, s, segs)) < len(segs) for _, _, s in _changes(store))


def test_deposit_candidacy_follows_the_labels(store):
    """Labelling a deposit's source script makes it an exchange's spend (no longer a whale deposit);
    removing the label again brings the deposit back, with the same source row as before."""
    script, h = _deposit_input_script(store)
    xl = _labels(store)
    ds = stored.derived_set(store, CHAIN)
    sources = _rows(stored.FlowTables({t: ds.files(ds.load(), t) for t in stored.TABLES}, {}, ""))[stored.SOURCES]
    added = pa.concat_tables([xl, pa.table({"script": pa.array([script], pa.binary()), "entity": ["ExC"],
                                            "address": ["whale-source"]})])
    ft = _build(store, added)
    assert ft.action == "labels"
    gone = _rows(ft)[stored.SOURCES]
    assert len(gone) < len(sources) and not any(r[0] == h for r in gone if r not in sources)
    ft = _build(store, xl)
    assert ft.action == "labels" and _rows(ft)[stored.SOURCES] == sources


def test_a_large_label_change_rebuilds(store):
    xl = _labels(store)
    ft = _build(store, xl.slice(0, 2))   # 4 of 6 labelled scripts dropped: > LABEL_REDO_MAX
    assert ft.action == "rebuilt"


def test_new_labels_and_clusters_together(store, tmp_path):
    """`labels expand` changes both: one commit, the rows of a build from scratch."""
    script, _ = _deposit_input_script(store)
    xl = _with(_labels(store), script, "ExC")
    store.dataset_path("clusters", CHAIN).unlink()          # every script its own wallet now
    ft = _build(store, xl)
    assert ft.action == "labels" and "sources" in ft.steps and ft.state["clusters"] == "none"
    clean = Store(shutil.copytree(store.root, tmp_path / "clean"))
    stored.derived_set(clean, CHAIN).remove()
    assert _rows(_build(clean, xl)) == _rows(ft)


def test_new_labels_and_clusters_with_changes_in_one_pass(store, tmp_path, monkeypatch):
    """`labels expand` with a changes file: new labels and the changed wallets' deposits are redone
    together, each range's source wallets computed once (not once for the labels and again for the
    wallets); the rows of a build from scratch."""
    script, _ = _deposit_input_script(store)
    xl = _with(_labels(store), script, "ExC")
    heights = _unclustered_wallet(store, tmp_path)
    segs = stored.derived_set(store, CHAIN).load()["segments"]
    calls = []
    source_keys = stored.redo._source_keys
    monkeypatch.setattr(stored.redo, "_source_keys", lambda con, p, *a, **k: (calls.append((p["h_from"], p["h_to"])),
                                                                            source_keys(con, p, *a, **k))[1])
    ft = _build(store, xl)
    assert ft.action == "labels" and ft.state["clusters"] == "test-clusters-2"
    assert ft.steps["label_segments"] > 0 and ft.steps["source_segments"] > 0
    assert len(calls) == len(set(calls)) and set(calls) <= {tuple(s) for s in segs}   # once per range at most
    assert {i for i, (lo, hi) in enumerate(segs) if any(lo <= h <= hi for h in heights)} <= \
        {i for i, s in enumerate(segs) if tuple(s) in calls}
    clean = Store(shutil.copytree(store.root, tmp_path / "clean"))
    stored.derived_set(clean, CHAIN).remove()
    assert _rows(_build(clean, xl)) == _rows(ft)


def test_merge_ceiling_keeps_segments_and_the_same_rows(store, monkeypatch, tmp_path):
    """Segments merge like a binary counter only up to store.derived.MERGE_MAX_BLOCKS (a bounded number
    of rewrites per row: a build linear in the chain); past it they stay apart, with the same rows."""
    from costbasis.store import derived
    assert derived.merge_due([(0, 31), (32, 63)]) and not derived.merge_due([(0, 63), (64, 95)])
    unbounded = _build(store, _labels(store))
    monkeypatch.setattr(derived, "MERGE_MAX_BLOCKS", 2 * STEP)
    assert derived.merge_due([(0, 63), (64, 95), (96, 127)])   # together 64 blocks: the ceiling
    assert not derived.merge_due([(0, 63), (64, 127)])
    capped_store = Store(shutil.copytree(store.root, tmp_path / "capped"))
    stored.derived_set(capped_store, CHAIN).remove()
    ranges = []
    build_range = stored.build.build_range
    monkeypatch.setattr(stored.build, "build_range", lambda con, lo, hi, *a, **k: (ranges.append((lo, hi)),
                                                                                build_range(con, lo, hi, *a, **k)))
    capped = _build(capped_store, _labels(capped_store))
    assert capped.action == "rebuilt"
    segs = capped.state["segments"]
    # whole aligned ceilings in one step each (nothing to merge), then steps of STEP blocks
    assert ranges == [(0, 63), (64, 127), (128, 159), (160, 189)] == [tuple(s) for s in segs]
    assert max(hi - lo + 1 for lo, hi in segs) <= 2 * STEP < unbounded.state["segments"][0][1] + 1
    assert len(segs) > len(unbounded.state["segments"])
    assert [lo for lo, _ in segs[1:]] == [hi + 1 for _, hi in segs[:-1]]   # contiguous, nothing lost
    assert _rows(capped) == _rows(unbounded)


def _new_clusters_file(store: Store, tmp_path, clusters: pa.Table, fp: bytes) -> None:
    """`clusters` (script, cluster) as the new clusters file, stamped `fp`, with the changes file
    labels expand writes beside it (leading from the current file's clusters)."""
    import duckdb
    from costbasis.labels.expand import _write_changes
    from costbasis.store.digest import CLUSTERS_META, clusters_changes_path, clusters_fingerprint
    path = store.dataset_path("clusters", CHAIN)
    old = tmp_path / "old.parquet"
    shutil.copy(path, old)
    old_fp = clusters_fingerprint(store, CHAIN)
    pq.write_table(clusters.replace_schema_metadata({CLUSTERS_META: fp}), path)
    _write_changes(duckdb.connect(), old, path, clusters_changes_path(store, CHAIN), old_fp, fp.decode())


def _unclustered_wallet(store: Store, tmp_path) -> list[int]:
    """New clusters as labels expand writes them, with their changes file: the clustered wallet with
    the fewest deposits unclustered (its scripts each their own wallet). The heights of its deposits."""
    import duckdb
    from costbasis.store.digest import clusters_changes_path
    clusters = pq.read_table(store.dataset_path("clusters", CHAIN), columns=["script", "cluster"])
    # the clustered wallet with the fewest deposits: its scripts become unclustered
    ds = stored.derived_set(store, CHAIN)
    con = duckdb.connect()
    con.register("clusters_t", clusters)
    cl, heights = con.execute(
        "SELECT c.cluster, list(DISTINCT d.height) FROM read_parquet($f) d JOIN read_parquet($i) i USING (height, tx_index) "
        "JOIN clusters_t c ON c.script = i.script GROUP BY c.cluster ORDER BY count(DISTINCT d.height), c.cluster LIMIT 1",
        {"f": [str(p) for p in ds.files(ds.load(), stored.SOURCES)],
         "i": [str(p) for p in store.chain(CHAIN).files("inputs")]}).fetchall()[0]
    gone = clusters.filter(pc.equal(clusters["cluster"], cl))["script"].to_pylist()
    kept = clusters.filter(pc.not_equal(clusters["cluster"], cl))   # that wallet's scripts unclustered now
    _new_clusters_file(store, tmp_path, kept, b"test-clusters-2")
    changed = pq.read_table(clusters_changes_path(store, CHAIN))["script"].to_pylist()
    assert sorted(changed) == sorted(gone)
    return heights


def test_new_clusters_redo_only_the_deposits_of_changed_wallets(store, tmp_path):
    """labels expand writes, beside the new clusters, the scripts whose wallet changed
    (clusters/<chain>.changes.parquet); the flow tables then recompute only the deposits with an
    input among them: a segment with none keeps its deposit_sources file, and every row equals a
    build from scratch under the new clusters."""
    from costbasis.store.digest import clusters_changes_path
    heights = _unclustered_wallet(store, tmp_path)
    ds = stored.derived_set(store, CHAIN)
    before = ds.load()
    ft = _build(store, _labels(store))
    assert ft.action == "sources" and ft.state["clusters"] == "test-clusters-2"
    assert not clusters_changes_path(store, CHAIN).exists()   # spent: the flow tables are at its clusters
    after = ds.load()
    touched = {i for i, (lo, hi) in enumerate(before["segments"]) if any(lo <= h <= hi for h in heights)}
    redone = {i for i, (a, b) in enumerate(zip(before["tables"][stored.SOURCES], after["tables"][stored.SOURCES]))
              if a != b}
    assert touched <= redone and ft.steps["source_segments"] == len(redone) < len(before["segments"])
    for t in stored.FILES:
        if t != stored.SOURCES:
            assert after["tables"][t] == before["tables"][t], t
    got = _rows(ft)
    assert _build(store, _labels(store)).action == "fresh"   # the mixed per-segment stamps are trusted
    scratch = Store(shutil.copytree(store.root, tmp_path / "scratch"))
    stored.derived_set(scratch, CHAIN).remove()
    assert _rows(_build(scratch, _labels(scratch))) == got


def _grown_wallets(store: Store, tmp_path) -> set:
    """New clusters as a longer chain gives them, with their changes file: the clustered wallet with the
    most deposits merged with the largest other cluster, one unclustered script that made deposits joined
    to it, another clustered with the earliest paid unclustered script (a new cluster: no old part); their
    histories now count in the wallets' balances. The scripts whose wallet changed."""
    import duckdb
    clusters = pq.read_table(store.dataset_path("clusters", CHAIN), columns=["script", "cluster"])
    ds = stored.derived_set(store, CHAIN)
    con = duckdb.connect()
    con.register("clusters_t", clusters)
    p = {"f": [str(f) for f in ds.files(ds.load(), stored.SOURCES)],
         "i": [str(f) for f in store.chain(CHAIN).files("inputs")]}
    deposit_inputs = ("SELECT i.script FROM read_parquet($f) d JOIN read_parquet($i) i USING (height, tx_index)")
    a = con.execute(f"SELECT c.cluster FROM ({deposit_inputs}) s JOIN clusters_t c ON c.script = s.script "
                    "GROUP BY c.cluster ORDER BY count(*) DESC, c.cluster LIMIT 1", p).fetchall()[0][0]
    b = con.execute("SELECT cluster FROM clusters_t WHERE cluster <> $a GROUP BY cluster "
                    "ORDER BY count(*) DESC, cluster LIMIT 1", {"a": a}).fetchall()[0][0]
    singles = [r[0] for r in con.execute(
        f"SELECT DISTINCT s.script FROM ({deposit_inputs}) s ANTI JOIN clusters_t c ON c.script = s.script "
        "ORDER BY s.script", p).fetchall()]
    assert len(singles) == 2
    # one more unclustered script, the earliest paid, to form a new cluster with the second single
    other = con.execute("SELECT o.script FROM read_parquet($o) o ANTI JOIN clusters_t c ON c.script = o.script "
                        "WHERE o.script IS NOT NULL AND o.script NOT IN (SELECT unnest($s)) "
                        "GROUP BY o.script ORDER BY min(o.height), o.script LIMIT 1",
                        {"o": [str(f) for f in store.chain(CHAIN).files("outputs")], "s": singles}).fetchall()[0][0]
    fresh = pc.max(clusters["cluster"]).as_py() + 1
    merged = pc.if_else(pc.equal(clusters["cluster"], b), a, clusters["cluster"])
    grown = pa.concat_tables([pa.table({"script": clusters["script"], "cluster": merged}),
                              pa.table({"script": pa.array([singles[0], singles[1], other], pa.binary()),
                                        "cluster": pa.array([a, fresh, fresh], clusters["cluster"].type)})])
    _new_clusters_file(store, tmp_path, grown, b"test-clusters-3")
    members = set(clusters.filter(pc.is_in(clusters["cluster"], pa.array([a, b], clusters["cluster"].type)))
                  ["script"].to_pylist())
    return members | set(singles) | {other}


def test_grown_wallets_redo_equals_a_build_from_scratch(store, tmp_path):
    """Clusters that grew as a longer chain makes them (two wallets merged, an unclustered script joined
    one, a new cluster of two unclustered scripts): the deposits of the changed wallets are redone, some
    balances change, and every row equals a build from scratch under the new clusters."""
    changed = _grown_wallets(store, tmp_path)
    from costbasis.store.digest import clusters_changes_path
    ch = pq.read_table(clusters_changes_path(store, CHAIN))
    assert set(ch["script"].to_pylist()) == changed
    ds = stored.derived_set(store, CHAIN)
    before = ds.load()
    ft = _build(store, _labels(store))
    assert ft.action == "sources" and ft.state["clusters"] == "test-clusters-3"
    assert ft.steps["source_segments"] > 0
    after = ds.load()
    for t in stored.FILES:
        if t != stored.SOURCES:
            assert after["tables"][t] == before["tables"][t], t
    got = _rows(ft)
    # some deposit's balance did change: the joiners held coins before it
    old_rows = {r[:3] for r in _rows(stored.FlowTables({t: [ds.path / f for f in before["tables"][t]]
                                                       for t in stored.VIEWS}, before, "fresh"))[stored.SOURCES]}
    assert any(r[:3] not in old_rows for r in got[stored.SOURCES])   # (height, tx_index, balance)
    scratch = Store(shutil.copytree(store.root, tmp_path / "scratch"))
    stored.derived_set(scratch, CHAIN).remove()
    assert _rows(_build(scratch, _labels(scratch))) == got
