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


def test_a_lookup_needs_both_keys(tmp_path):
    """Two scripts whose first keys collide in one segment (forced here): each finds its own delta."""
    (ka, a2), (_, b2), (_, c2) = _keys([b"\x00\x14alice", b"\x00\x14bob", b"\x00\x14carol"])
    # the index of a segment in which bob's first key is alice's (DuckDB would compute bob's own)
    idx = tmp_path / "seg.i64"
    idx.write_bytes(np.array([ka, ka, a2, b2, 5, 7], np.uint64).tobytes() + b"s" + bi.TRAILER.pack(1, 2, bi.MAGIC))
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
