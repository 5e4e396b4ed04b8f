"""engine/db.narrowed: one SQL file over a chosen subset of a chain view's rows, the view unchanged after."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costbasis.engine import db


def test_a_file_view_reads_the_subset_inside_and_its_files_after(tmp_path):
    f = tmp_path / "outputs.parquet"
    pq.write_table(pa.table({"height": list(range(10))}), f)
    con = duckdb.connect()
    db.register_files(con, "outputs", [f], None)
    db.register_files(con, "inputs", [], pa.schema([("height", pa.int32())]))   # empty: a temp view
    con.execute("CREATE TEMP TABLE few AS SELECT * FROM outputs WHERE height % 3 = 0")
    with db.narrowed(con, {"outputs": "few", "inputs": "few"}):
        assert con.execute("SELECT sum(height) FROM outputs").fetchone()[0] == 0 + 3 + 6 + 9
        assert con.execute("SELECT count(*) FROM inputs").fetchone()[0] == 0    # left as it is
    assert con.execute("SELECT sum(height) FROM outputs").fetchone()[0] == 45
    assert con.execute("SELECT count(*) FROM inputs").fetchone()[0] == 0


def test_the_view_comes_back_when_the_block_fails(tmp_path):
    f = tmp_path / "outputs.parquet"
    pq.write_table(pa.table({"height": [1, 2]}), f)
    con = duckdb.connect()
    db.register_files(con, "outputs", [f], None)
    con.execute("CREATE TEMP TABLE few AS SELECT 7 AS height")
    with pytest.raises(ZeroDivisionError), db.narrowed(con, {"outputs": "few"}):
        assert con.execute("SELECT sum(height) FROM outputs").fetchone()[0] == 7
        1 / 0
    assert con.execute("SELECT sum(height) FROM outputs").fetchone()[0] == 3
