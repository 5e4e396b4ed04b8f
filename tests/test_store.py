import json

import pyarrow as pa
import pytest

from costbasis.errors import CostbasisError
from costbasis.store import Store


def _t(lo, hi):
    return pa.table({"height": pa.array(range(lo, hi + 1), pa.int32()), "v": pa.array(range(lo, hi + 1), pa.int64())})


def test_commit_rollback_and_uncommitted_files(tmp_path):
    cs = Store(tmp_path).chain("x")
    with cs.writer_lock():
        cs.commit(0, 9, {"a": _t(0, 9)}, "h9", hashes={i: f"h{i}" for i in range(10)})
        cs.commit(10, 19, {"a": _t(10, 19)}, "h19", hashes={i: f"h{i}" for i in range(10, 20)})
    assert cs.tip() == (19, "h19")
    assert [p.name for p in cs.files("a")] == ["0000000000-0000000009.parquet", "0000000010-0000000019.parquet"]
    # a stray file from an interrupted write is invisible and removed by the next writer
    stray = cs.path / "a" / "0000000020-0000000029.parquet"
    stray.write_bytes(b"partial")
    with cs.writer_lock():
        assert not stray.exists()
        with pytest.raises(CostbasisError):
            cs.commit(25, 29, {"a": _t(25, 29)}, "h29")
        cs.rollback(14)
    cs2 = Store(tmp_path).chain("x")
    assert cs2.tip() == (14, "h14")
    import pyarrow.parquet as pq
    rows = pa.concat_tables([pq.read_table(f) for f in cs2.files("a")])
    assert rows["height"].to_pylist() == list(range(15))
    assert json.loads((cs.path / "_manifest.json").read_text())["tables"]["a"]["files"][-1]["last"] == 14
    assert sorted(p.name for p in (cs.path / "a").iterdir()) == ["0000000000-0000000009.parquet", "0000000010-0000000014.parquet"]


def test_writer_lock_is_exclusive(tmp_path):
    cs = Store(tmp_path).chain("x")
    with cs.writer_lock():
        with pytest.raises(CostbasisError, match="another costbasis process"):
            with Store(tmp_path).chain("x").writer_lock():
                pass
