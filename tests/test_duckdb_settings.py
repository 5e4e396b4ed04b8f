"""Every DuckDB connection the engine opens (engine.budget.open_duckdb) carries the budget: memory
limit, threads, spill folder inside the cache, and no DuckDB progress bar (ours is rich; stderr stays
one line per error and one per `follow` batch)."""

from __future__ import annotations

from costbasis.engine import budget


def _setting(con, name: str):
    return con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]


def test_connection_carries_the_budget_and_prints_no_progress_bar(tmp_path):
    con = budget.open_duckdb(tmp_path, threads=1)
    assert _setting(con, "enable_progress_bar") is False
    assert _setting(con, "threads") == 1
    assert str(tmp_path / "_tmp") in _setting(con, "temp_directory")
    limit = _setting(con, "memory_limit")
    assert limit and limit != "0 bytes"
