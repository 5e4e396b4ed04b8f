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
