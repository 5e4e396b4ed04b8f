"""The clusters' changes list (sql/labels/labels_cluster_changes.sql, written by labels.expand._write_changes):
the scripts whose wallet's member set differs between two clusters files, against a per-script
brute force, for growth (merges, new members, new clusters, the numbering shifted) and for a
rebuild that splits and drops clusters."""

import random

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.labels.expand import _write_changes


def _file(path, wallets: list[set]) -> None:
    """A clusters file: wallets numbered in the order of their smallest script, as expand writes them."""
    rows = sorted((s, min(w)) for w in wallets for s in w)
    order = {m: k for k, m in enumerate(sorted({m for _, m in rows}))}
    pq.write_table(pa.table({"script": pa.array([s for s, _ in rows], pa.binary()),
                             "cluster": pa.array([order[m] for _, m in rows], pa.int64())}), path)


def _brute(old: list[set], new: list[set]) -> set:
    of = {s: frozenset(w) for w in old for s in w}
    nf = {s: frozenset(w) for w in new for s in w}
    return {s for s in of.keys() | nf.keys() if of.get(s) != nf.get(s)}


def _changes(tmp_path, old, new) -> set:
    _file(tmp_path / "old.parquet", old)
    _file(tmp_path / "new.parquet", new)
    out = tmp_path / "changes.parquet"
    _write_changes(duckdb.connect(), tmp_path / "old.parquet", tmp_path / "new.parquet", out, "a", "b")
    got = pq.read_table(out)["script"].to_pylist()
    assert len(got) == len(set(got))   # each script once
    return set(got)


def _script(i: int) -> bytes:
    return b"\x00\x14" + i.to_bytes(4, "big")


def test_growth_lists_exactly_the_changed_wallets(tmp_path):
    rng = random.Random(3)
    scripts = [_script(i) for i in range(600)]
    old = [set(scripts[i:i + k]) for i, k in zip(range(0, 400, 8), (rng.randint(2, 8) for _ in range(50)))]
    new = [set(w) for w in old]
    new[3] |= new.pop(10)                       # two wallets merged
    new[5].add(scripts[590])                    # a new member
    new.append({scripts[595], scripts[596]})    # a new wallet
    new.append({b"\x00\x13", scripts[597]})   # ... one whose script sorts first: it renumbers the rest
    got = _changes(tmp_path, old, new)
    assert got == _brute(old, new)
    assert scripts[590] in got and scripts[0] not in got and len(got) < sum(map(len, new)) / 2


def test_a_rebuild_that_splits_and_drops_wallets(tmp_path):
    scripts = [_script(i) for i in range(40)]
    old = [set(scripts[0:10]), set(scripts[10:20]), set(scripts[20:30])]
    new = [set(scripts[0:5]), set(scripts[5:10]), set(scripts[20:30]), set(scripts[30:35])]   # split, dropped, kept, new
    got = _changes(tmp_path, old, new)
    assert got == _brute(old, new) == set(scripts[0:20]) | set(scripts[30:35])


def test_same_clusters_list_nothing(tmp_path):
    w = [{_script(i), _script(i + 1)} for i in range(0, 20, 2)]
    assert _changes(tmp_path, w, w) == set()


# ---------------------------------------------------------------- read off the union-find (labels expand)

def _fabricated(tmp_path, parts: int = 2, blocks: int = 72):
    """bench/flows.py's chain (address reuse, exchanges, CoinJoins) without its last `parts` x `blocks`
    blocks, and those blocks' rows per part, to commit one part at a time."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from costbasis.store import Store
    root = Path(__file__).resolve().parents[1]
    cache = tmp_path / "cache"
    subprocess.run([sys.executable, str(root / "bench" / "flows.py"), "--days", "3", "--tx-per-block", "60",
                    "--fabricate-only", "--keep", str(cache)], check=True, capture_output=True, timeout=600)
    shutil.rmtree(cache / "bitcoin" / "_derived", ignore_errors=True)
    cs = Store(cache).chain("bitcoin")
    tip = cs.tip()[0]
    cut = tip - parts * blocks
    full = {t: pq.read_table(cs.files(t)) for t in cs.tables()}
    rows = []
    for k in range(parts):
        lo, hi = cut + 1 + k * blocks, cut + (k + 1) * blocks
        rows.append({t: tbl.filter(pa.compute.and_(pa.compute.greater_equal(tbl[cs.key_column(t)], lo),
                                                   pa.compute.less_equal(tbl[cs.key_column(t)], hi)))
                     for t, tbl in full.items()})
    cs.rollback(cut)
    return cache, rows


def _grow(cache, rows: dict) -> None:
    from costbasis.store import Store
    cs = Store(cache).chain("bitcoin")
    lo, hi = cs.tip()[0] + 1, int(rows["blocks"]["height"].to_numpy().max())
    with cs.writer_lock():
        cs.commit(lo, hi, rows, f"{hi:064x}", {hi: f"{hi:064x}"}, {t: cs.key_column(t) for t in rows})


def test_an_incremental_expand_reads_the_changes_off_the_roots(tmp_path, monkeypatch):
    """The chain grows by two parts; the clusters file is not written after the first (the run dies
    after the clustering step's commit), so the hooked roots are carried into the next step: the
    changes file equals the diff of the two clusters files (labels_cluster_changes.sql) and the
    per-script brute force, without the diff being run."""
    import shutil

    from costbasis.labels import expand
    from costbasis.store import Store
    from costbasis.store.digest import clusters_changes_path
    cache, parts = _fabricated(tmp_path)
    store = Store(cache)
    expand.expand_labels(Store(cache))   # a new Store each run: it reads the manifest once
    path = store.dataset_path("clusters", "bitcoin")
    old = tmp_path / "old.parquet"
    shutil.copy(path, old)
    _grow(cache, parts[0])
    real_write = expand._write_clusters

    def killed(*a, **k):
        raise KeyboardInterrupt   # after the clustering state's commit, before the clusters file
    monkeypatch.setattr(expand, "_write_clusters", killed)
    try:
        expand.expand_labels(Store(cache))
    except KeyboardInterrupt:
        pass
    monkeypatch.setattr(expand, "_write_clusters", real_write)
    _grow(cache, parts[1])

    def no_diff(*a, **k):
        raise AssertionError("the changes were listed by a diff of the two files")
    monkeypatch.setattr(expand, "_write_changes", no_diff)
    expand.expand_labels(Store(cache))
    got = pq.read_table(clusters_changes_path(store, "bitcoin"))["script"].to_pylist()
    assert len(got) == len(set(got))
    monkeypatch.undo()
    want = tmp_path / "want.parquet"
    _write_changes(duckdb.connect(), old, path, want, "a", "b")
    diffed = set(pq.read_table(want)["script"].to_pylist())

    def wallets(f):
        t = pq.read_table(f)
        by = {}
        for s, c in zip(t["script"].to_pylist(), t["cluster"].to_pylist()):
            by.setdefault(c, set()).add(s)
        return list(by.values())
    assert set(got) == diffed == _brute(wallets(old), wallets(path))
    assert 0 < len(got) < pq.read_metadata(path).num_rows   # some wallets changed, not all
