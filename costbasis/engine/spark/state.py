"""Queries over a persisted cohort state on Spark: URPD and the bands' supply by price.

URPD (engine/bitcoin/urpd.py) and the bands' supply by price (cost_basis.py, session.py): the live
supply by creation price as of a day (sql/urpd/urpd_live.sql, live_by_price.sql) reads the lot
segments, the whole chain's lots. With --engine spark the sql/ files of STATE_FILES run on Spark
over the very segment files DuckDB's `lots` view reads (recorded by segments(), called where
state_sql makes the view) and hand their (small, per-price) result to DuckDB. A state DuckDB holds
in temp tables (not persisted: read-only cache) stays on DuckDB, as do the per-bucket finishing
steps. The recorded segments also tell cohorts.logistic_build() which files the state is.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import pyarrow as pa

from costbasis.engine.spark import statements, trace
from costbasis.engine.spark.settings import enabled
from costbasis.engine.spark.statements import run_sql

STATE_FILES = ("urpd_live", "live_by_price")
_segs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # con -> {table: (files, temps)}


def segments(con, name: str, files, temps) -> None:
    """cohort_state: DuckDB view `name`_raw of `con` = these segment files + these temp tables."""
    if enabled():
        _segs.setdefault(con, {})[name] = ([str(f) for f in files], list(temps))


def recorded(con) -> dict:
    """{table: (segment files, temp tables)} of DuckDB's `con` as segments() recorded them."""
    return _segs.get(con, {})


def _state_views(con):
    """Spark views lots_raw, lots, cohort_bands as DuckDB's `con` has them, and the store root; None
    when DuckDB's lots are (partly) temp tables or there are none (then DuckDB runs the file)."""
    if not enabled():
        return None
    files, temps = recorded(con).get("lots", ([], ["?"]))
    if temps or not files:
        return None
    from costbasis.engine.age_bands import cohort_table
    from costbasis.engine.spark import session
    f0 = Path(files[0])
    root = f0.parents[3]   # <root>/<chain>/_derived/cohorts-<asset>/<segment file>
    assert f0.parents[1].name == "_derived", f0
    spark = session.get()
    spark.read.parquet(*[session.file_url(root, f, spark) for f in files]).createOrReplaceTempView("lots_raw")
    run_sql(spark, statements.views("state_views")["lots"]).createOrReplaceTempView("lots")
    session.arrow_df(spark, cohort_table(), root).createOrReplaceTempView("cohort_bands")
    return spark, root


def create(con, name: str, params: dict) -> bool:
    """sql/<name>.sql (CREATE TEMP TABLE t AS SELECT, one of STATE_FILES) on Spark over the lot
    segments, t copied into DuckDB. False: DuckDB runs the file."""
    if name not in STATE_FILES:
        return False
    trace.asked(name)
    got = _state_views(con)
    if got is None:
        return False
    spark, root = got
    from costbasis.engine.spark import session
    table, select = statements.created(name)
    scratch = session.Scratch(root)
    try:
        df = run_sql(spark, select, params)
        session.to_duckdb(con, table, df, scratch)   # copied into DuckDB: the scratch files may go
    finally:
        scratch.close()
    trace.ran(name)
    return True


def run(con, name: str, params: dict) -> pa.Table | None:
    """The rows of sql/<name>.sql (a query of STATE_FILES) computed on Spark, as engine.db.run
    gives them; None: DuckDB runs it."""
    trace.asked(name)
    if name not in STATE_FILES:
        return None
    got = _state_views(con)
    if got is None:
        return None
    from costbasis.engine import db
    from costbasis.engine.spark import transpile
    out = run_sql(got[0], transpile.to_spark(db.sql_text(name)), params).toArrow()
    trace.ran(name)
    return out
