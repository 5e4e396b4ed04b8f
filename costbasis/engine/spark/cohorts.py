"""The cohort state's whole-chain builds on Spark: the cold build and the logistic split's first.

Cohort state (engine/bitcoin/cohort_state.py), cold build: block prices (`__hp_new`), lot changes
(`__lots_delta`), their events (`__events_delta`), the daily hard-split rows (`__daily_new`, from
the live value per creation key and day, which stays on Spark) and the `base` snapshot
(`__base_new`) are computed by Spark from the store's committed Parquet files with the same SQL
(transpiled), then handed to DuckDB as the temp tables of the same names; DuckDB writes the
segment files and state.json as ever, so the derived state is the same files and every query
command reads it unchanged. Incremental updates (a few new blocks) stay on DuckDB: Spark's
start-up would cost more than the work.

The logistic holder split's first build beside a persisted hard state (cohort_state.ensure_logistic,
logistic_state.py): its lots by creation time, their events, the 100-210 day shares and daily rows
on Spark the same way (logistic_build()), over the chain files below the state's tip and the
state's segment files (recorded by state.segments()).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from costbasis.engine.spark import statements, trace
from costbasis.engine.spark.settings import enabled
from costbasis.engine.spark.state import recorded
from costbasis.engine.spark.statements import run_sql

_cold: contextvars.ContextVar = contextvars.ContextVar("costbasis_spark_cold", default=None)

# the sql/ files a cold cohort build runs on Spark (cohort_state composes some with GROUP BY / casts)
COHORT_SQL = ("height_price_select", "cohort_lots_delta", "cohort_events", "cohorts_daily", "cohort_dist_base")
# DuckDB temp tables of a cold cohort build that Spark computes, and the Spark views the later
# statements read them under (the DuckDB engine's views of the same names)
COHORT_TABLES = {"__hp_new": ("height_price",), "__lots_delta": ("event_lots", "lots_raw"),
                 "__events_delta": ("events_raw",), "__daily_new": (), "__base_new": (),
                 # the logistic holder split's first build (logistic_build())
                 "__tlots_delta": ("tlots_raw",), "__levents_delta": ("levents_raw",), "__ldaily_new": ()}
# the views the next statements read after a table (the engine's own: state_views.sql, and the
# logistic split's events, cohort_events_logistic_split.sql)
_AFTER = {"__events_delta": ("state_views", ("lots", "cohort_events")),
          "__tlots_delta": ("state_views", ("tlots",)),
          "__levents_delta": ("cohort_events_logistic_split", ("cohort_events",))}
# the logistic split's first build: its sql/ files run on Spark (logistic_transition: script())
LOGISTIC_SQL = ("logistic_lots_delta", "cohort_events", "live_events_full", "cohort_live", "logistic_transition",
                "cohorts_daily")
# per-day tables of the daily rows (keys x days: the biggest of a cold build): kept on Spark only
COHORT_FILES = ("live_events_day", "live_events_full", "cohort_live")
COHORT_SQL += COHORT_FILES


class _Cold:
    def __init__(self, cs, prices: pa.Table, root, bands: pa.Table | None = None):
        from costbasis.bitcoin.schema import TABLES
        from costbasis.engine.age_bands import cohort_table
        from costbasis.engine.spark import session
        self.spark = session.get()
        self.root = root
        self.scratch = session.Scratch(root)
        session.register_chain(self.spark, root, cs, TABLES, tables=("blocks", "outputs", "coin_flows"))
        session.arrow_df(self.spark, prices, root, self.scratch).createOrReplaceTempView("prices")
        session.arrow_df(self.spark, cohort_table() if bands is None else bands, root, self.scratch) \
            .createOrReplaceTempView("cohort_bands")
        # the hard split's (empty) logistic share, as sql/cohorts/cohort_transition_empty.sql makes it
        self.spark.sql("SELECT CAST(NULL AS BIGINT) AS day, CAST(NULL AS STRING) AS cohort, CAST(NULL AS DOUBLE) AS sats, "
                       "CAST(NULL AS DOUBLE) AS cap, CAST(NULL AS DOUBLE) AS nop WHERE false") \
            .createOrReplaceTempView("cohort_transition")
        self.cached = []
        self.tables = {}


@contextmanager
def cohort_cold_build(cs, prices: pa.Table, root, cold: bool):
    """Around a cohort state build: when it is a cold build with --engine spark, the whole-chain
    temp tables of it are computed on Spark (see offload())."""
    if cold:
        trace.asked(*COHORT_SQL)
    if not (cold and enabled()):
        yield
        return
    with _in_cold(_Cold(cs, prices, root)):
        yield


@contextmanager
def _in_cold(c):
    token = _cold.set(c)
    try:
        yield
    finally:
        _cold.reset(token)
        for df in c.cached + list(c.tables.values()):
            df.unpersist()
        c.scratch.close()


class _Snapshot:
    """The chain's committed files up to height `tip` (the ones a cohort state was built from)."""

    def __init__(self, cs, tip: int):
        self.cs, self.tip = cs, tip

    def tables(self):
        return self.cs.tables()

    def files(self, table: str):
        return [self.cs.path / table / e.file for e in self.cs.entries(table) if e.last <= self.tip]


@contextmanager
def logistic_build(con, ds, state: dict):
    """Around the logistic split's first build from the whole store (cohort_state.ensure_logistic):
    with --engine spark its whole-chain tables (LOGISTIC_SQL) are computed on Spark over the chain
    files the state was built from and the state's segment files DuckDB's views read. DuckDB
    builds it when the state is not (only) files or the chain's files below its tip changed."""
    trace.asked(*LOGISTIC_SQL)
    segs = recorded(con)
    parts = ("height_price", "lots", "events")
    if not enabled() or any(segs.get(t, ([], ["?"]))[1] or not segs[t][0] for t in parts):
        yield
        return
    from costbasis.engine.bitcoin import logistic_state
    from costbasis.engine.spark import session
    from costbasis.prices import load_prices
    from costbasis.store import Store
    path = Path(ds.path)   # <root>/<chain>/_derived/cohorts-<asset>
    assert path.parent.name == "_derived" and path.name.startswith("cohorts-"), path
    store = Store(path.parents[2])
    cs = store.chain(path.parents[1].name)
    if cs.file_set(state["tip"][0]) != state.get("files"):
        yield
        return
    c = _Cold(_Snapshot(cs, state["tip"][0]), load_prices(store, path.name[len("cohorts-"):]), store.root,
              logistic_state.split_bands())
    for t in parts:
        c.spark.read.parquet(*[session.file_url(store.root, f, c.spark) for f in segs[t][0]]) \
            .createOrReplaceTempView(f"{t}_raw")
    views = statements.views("state_views")
    for v in ("height_price", "lots", "cohort_events"):
        run_sql(c.spark, views[v]).createOrReplaceTempView(v)
    c.spark.table("lots").createOrReplaceTempView("event_lots")   # as ensure_logistic makes it
    with _in_cold(c):
        yield


def script(con, name: str, params: dict) -> bool:
    """In a Spark cold build: every statement of sql/<name>.sql (CREATE TEMP TABLE t AS SELECT, or
    INSERT INTO t SELECT) on Spark, its tables kept as Spark views (read by the next Spark
    statements only). False: DuckDB runs the file."""
    c = _cold.get()
    if c is None or name not in LOGISTIC_SQL:
        return False
    import sqlglot
    import sqlglot.expressions as exp
    from costbasis.engine import db
    from costbasis.engine.spark import transpile
    for stmt in sqlglot.parse(db.sql_text(name), read="duckdb"):
        if stmt is None:
            continue
        table = stmt.this.name if isinstance(stmt.this, exp.Table) else stmt.this.this.name
        df = run_sql(c.spark, transpile.to_spark(stmt.expression.sql(dialect="duckdb")), params)
        if isinstance(stmt, exp.Insert):
            old = c.tables[table]
            df = old.unionByName(df.toDF(*old.columns))
        else:
            assert isinstance(stmt, exp.Create), (name, stmt.sql()[:60])
        df = df.persist()
        c.tables[table] = df   # the replaced frame stays cached until the build ends (read by this one)
        df.createOrReplaceTempView(table)
    trace.ran(name)
    return True


def offload(con, name: str, sql: str, params) -> bool:
    """Make DuckDB temp table `name` from `sql` on Spark when this is one of the cold build's
    whole-chain tables; False: DuckDB does it."""
    c = _cold.get()
    if c is None or name not in COHORT_TABLES:
        return False
    from costbasis.engine.spark import session, transpile
    df = run_sql(c.spark, transpile.to_spark(sql), params).persist()
    c.cached.append(df)
    for view in COHORT_TABLES[name]:
        df.createOrReplaceTempView(view)
    if name in _AFTER:   # the engine's views over the segments, as the sql/ file defines them
        file, views = _AFTER[name]
        sqls = statements.views(file)
        for v in views:
            run_sql(c.spark, sqls[v]).createOrReplaceTempView(v)
    session.to_duckdb(con, name, df, c.scratch)
    trace.ran(name)
    return True


def create(con, name: str, params: dict) -> bool:
    """In a Spark cold build: sql/<name>.sql (one of COHORT_FILES) on Spark, kept as a Spark view
    only (read by the next Spark statements, never by DuckDB). False: not here."""
    c = _cold.get()
    if c is None or name not in COHORT_FILES:
        return False
    return statements.keep(con, c, name, params, to_duckdb=False)
