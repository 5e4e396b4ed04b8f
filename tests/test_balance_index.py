"""The balance indexes' two keys (flows/balance_index.py): a wallet's stored balance is found by
(key, key2), so key2 must not be a function of key, and a lookup must tell apart two scripts that
share the first key."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from costbasis.engine import db
from costbasis.flows import balance_index as bi

M64 = (1 << 64) - 1


def _keys(scripts: list[bytes]) -> list[tuple[int, int]]:
    con = duckdb.connect()
    con.register("s", pa.table({"script": pa.array(scripts, pa.binary())}))
    return con.execute(f"SELECT hash(script), {db.KEY2_SQL.format('script')} FROM s").fetchall()


def test_the_second_key_is_not_a_function_of_the_first():
    """DuckDB's hash(script, c) is combine(hash(script), hash(c)) = ((k ^ k >> 32) * C) ^ hash(c): a
    collision of the first key would be one of that second key too. KEY2_SQL follows no such rule."""
    con = duckdb.connect()
    rows = con.execute("SELECT hash(s), hash(s, 1) FROM (SELECT ('script' || i)::BLOB AS s FROM range(50) t(i))").fetchall()

    def mix(k):
        return ((k ^ (k >> 32)) * 0xd6e8feb86659fd93) & M64
    assert len({mix(k) ^ k2 for k, k2 in rows}) == 1      # the rule holds for hash(s, 1): dependent
    keys = _keys([f"script{i}".encode() for i in range(50)])
    assert len({mix(k) ^ k2 for k, k2 in keys}) == 50     # and not for KEY2_SQL
    assert len({k2 ^ k for k, k2 in keys}) == 50


def _raw_index(path, keys: np.ndarray, keys2: np.ndarray, deltas: np.ndarray, stamp: bytes = b"s"):
    """An index file as write_index lays it out (keys sorted), written directly."""
    with open(path, "wb") as f:
        for a in (keys.astype(np.uint64), keys2.astype(np.uint64), deltas.astype(np.int64)):
            a.tofile(f)
        f.write(stamp + bi.TRAILER.pack(len(stamp), len(keys), bi.MAGIC))
    return path


def test_a_lookup_needs_both_keys(tmp_path):
    """Two scripts whose first keys collide in one segment (forced here): each finds its own delta."""
    (ka, a2), (_, b2), (_, c2) = _keys([b"\x00\x14alice", b"\x00\x14bob", b"\x00\x14carol"])
    # the index of a segment in which bob's first key is alice's (DuckDB would compute bob's own)
    idx = _raw_index(tmp_path / "seg.i64", np.array([ka, ka], np.uint64), np.array([a2, b2], np.uint64),
                     np.array([5, 7]))
    got = bi.lookup([idx], np.array([ka, ka, ka], np.uint64), np.array([b2, a2, c2], np.uint64))
    assert got.tolist() == [7, 5, 0]


def _index(tmp_path, scripts: list[bytes], stamp: str = "stamp"):
    con = duckdb.connect()
    db.register_script_key2(con)
    con.register("s", pa.table({"script": pa.array(scripts, pa.binary()),
                                "delta": pa.array(range(len(scripts)), pa.int64())}))
    out = tmp_path / "seg.i64"
    bi.write_index(con, "SELECT hash(script) AS key, script_key2(script) AS key2, delta FROM s ORDER BY key, key2",
                   {}, out, stamp)
    return out


def test_the_index_holds_both_keys_of_each_row(tmp_path):
    scripts = [f"s{i}".encode() for i in range(100)]
    keys = sorted(_keys(scripts))
    idx = _index(tmp_path, scripts)
    mm = np.fromfile(idx, np.int64)[:300].view(np.uint64)
    assert list(zip(mm[:100].tolist(), mm[100:200].tolist())) == keys
    k = np.array([k for k, _ in keys], np.uint64)
    k2 = np.array([k2 for _, k2 in keys], np.uint64)
    assert sorted(bi.lookup([idx], k, k2).tolist()) == list(range(100))
    rows = [r for b in bi.batches(idx) for r in zip(*(c.to_pylist() for c in b.columns))]
    assert [(a, b) for a, b, _ in rows] == keys and sorted(d for _, _, d in rows) == list(range(100))


def test_the_index_carries_its_stamp_and_a_damaged_one_is_refused(tmp_path):
    """The index is the only copy of a segment's balance changes: its trailer names what it was built
    from (read_state compares it), and a truncated or foreign file has no stamp (rebuilt, never read)."""
    idx = _index(tmp_path, [f"s{i}".encode() for i in range(10)], '{"range": [0, 9]}')
    assert bi.index_stamp(idx) == '{"range": [0, 9]}'
    raw = idx.read_bytes()
    idx.write_bytes(raw[:-1])
    assert bi.index_stamp(idx) is None
    idx.write_bytes(raw[:24] + raw[48:])   # a row short
    assert bi.index_stamp(idx) is None
    try:
        bi.lookup([idx], np.zeros(1, np.uint64), np.zeros(1, np.uint64))
    except OSError as e:
        assert "not a balance index" in str(e)
    else:
        raise AssertionError("a damaged index was read")
    empty = _index(tmp_path, [])
    assert bi.index_stamp(empty) == "stamp" and bi.lookup([empty], np.ones(2, np.uint64), np.ones(2, np.uint64)).tolist() == [0, 0]


def test_a_lookup_window_by_window_finds_what_a_whole_lookup_finds(tmp_path):
    """Windows of any size (1 row, 3, 7, the whole index) give the same sums, also for first keys that
    collide across a window's edge and for keys between or beyond the index's."""
    rng = np.random.default_rng(3)
    keys = np.sort(rng.integers(10, 1 << 40, 200, dtype=np.uint64))
    keys[50:54] = keys[50]          # four rows share a first key, across the 3- and 7-row windows' edges
    keys[98:100] = keys[98]
    keys2 = rng.integers(0, 1 << 63, 200, dtype=np.uint64)
    deltas = rng.integers(-10**9, 10**9, 200)
    idx = _raw_index(tmp_path / "a.i64", keys, keys2, deltas)
    probe = np.concatenate([keys, keys[::7] + np.uint64(1), np.array([0, 1 << 62], np.uint64)])
    probe2 = np.concatenate([keys2, keys2[::7], np.zeros(2, np.uint64)])
    want = np.concatenate([deltas, np.zeros(len(keys[::7]) + 2, np.int64)])
    for window in (1, 3, 7, 200, 1 << 21):
        assert bi.lookup([idx, idx], probe, probe2, window=window).tolist() == (2 * want).tolist()


def test_members_in_batches_sum_as_one(tmp_path, monkeypatch):
    """balances_by streams the members sorted by key, BATCH_MEMBERS at a time: a group whose members
    span batches gets the sum of all of them."""
    scripts = [f"m{i}".encode() for i in range(60)]
    idx = _index(tmp_path, scripts)     # delta of scripts[i] is i
    con = duckdb.connect()
    db.register_script_key2(con)
    con.register("m", pa.table({"grp": pa.array([i % 4 for i in range(60)], pa.int64()),
                                "script": pa.array(scripts, pa.binary())}))
    whole = bi.balances_by(con, [idx], "SELECT grp, script FROM m")
    monkeypatch.setattr(bi, "BATCH_MEMBERS", 7)
    ids, sums = bi.balances_by(con, [idx], "SELECT grp, script FROM m")
    assert ids.tolist() == whole[0].tolist() == [0, 1, 2, 3]
    assert sums.tolist() == whole[1].tolist() == [sum(range(g, 60, 4)) for g in range(4)]


CHILD = """
import os, sys
from pathlib import Path
import numpy as np
from costbasis.flows import balance_index as bi

def peak_kb():   # VmHWM: the peak resident set, mapped file pages included
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
path, window = Path(sys.argv[1]), int(sys.argv[2])
n = bi._rows(path)
with open(path, "rb") as f:   # every 8th row's keys as probes, read without holding the whole column
    def every8th(col):
        return np.concatenate([np.frombuffer(os.pread(f.fileno(), 8 << 20, 8 * (col * n + lo)), np.uint64)[::8].copy()
                               for lo in range(0, n, 1 << 20)])
    k, k2 = every8th(0), every8th(1)
before = peak_kb()
got = bi.lookup([path], k, k2, window=window)
after = peak_kb()
assert (got == 1).all(), "every probe found"
print((after - before) // 1024)
"""


def test_a_lookup_holds_a_window_of_the_index_not_all_of_it(tmp_path):
    """Looking up every 8th key of a 192 MB index (a big cluster's members touch every page) in a child
    process: resident memory grows by about the probes and one window, not by the index."""
    import subprocess
    import sys
    n = 8 << 20
    rng = np.random.default_rng(5)
    idx = _raw_index(tmp_path / "big.i64", np.sort(rng.integers(0, 1 << 63, n, dtype=np.uint64)),
                     rng.integers(0, 1 << 63, n, dtype=np.uint64), np.ones(n, np.int64))

    def grown(window: int) -> int:
        out = subprocess.run([sys.executable, "-c", CHILD, str(idx), str(window)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return int(out.stdout)
    whole, windowed = grown(n), grown(1 << 18)
    assert whole > 150, whole            # mapped whole: the touched pages of all three columns stay
    assert windowed < 100, (windowed, whole)
