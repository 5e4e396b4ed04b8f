"""The points where a heavy build runs on Spark when `--engine spark` is chosen.

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
state's segment files.

SOPR (engine/bitcoin/sopr.py): the per-day aggregate over all of coin_flows.
URPD (engine/bitcoin/urpd.py) and the bands' supply by price (cost_basis.py, session.py): the live
supply by creation price as of a day (sql/urpd/urpd_live.sql, live_by_price.sql) over the
persisted lot segments of the cohort state: see "cohort state queries".
Flows and whale deposits (flows/stored.py) and clustering (labels/expand.py): see their sections below.
Which whole-chain SQL stays on DuckDB, and why: DUCKDB_ONLY (tests/test_spark_coverage.py checks it).
"""

from __future__ import annotations

import contextvars
import weakref
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from costbasis.engine.spark import settings

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
# the logistic split's first build: its sql/ files run on Spark (logistic_transition: hooks.script)
LOGISTIC_SQL = ("logistic_lots_delta", "cohort_events", "live_events_full", "cohort_live", "logistic_transition",
                "cohorts_daily")
# per-day tables of the daily rows (keys x days: the biggest of a cold build): kept on Spark only
COHORT_FILES = ("live_events_day", "live_events_full", "cohort_live")
COHORT_SQL += COHORT_FILES


# how many tables each hook computed on Spark in this process (tests and the bench check it)
RUNS: dict[str, int] = {}
# every sql/ file a call path hands to Spark with --engine spark, recorded with either engine
# (tests/test_spark_coverage.py: the whole-chain SQL a metric runs on DuckDB must be in it)
ASKED: set[str] = set()


def _ran(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


def _asked(*names: str) -> None:
    ASKED.update(names)


def enabled() -> bool:
    return settings.current().spark


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
        _asked(*COHORT_SQL)
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
    _asked(*LOGISTIC_SQL)
    segs = _segs.get(con, {})
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
    views = _views("state_views")
    for v in ("height_price", "lots", "cohort_events"):
        run_sql(c.spark, views[v]).createOrReplaceTempView(v)
    c.spark.table("lots").createOrReplaceTempView("event_lots")   # as ensure_logistic makes it
    with _in_cold(c):
        yield


def _views(name: str) -> dict[str, str]:
    """The CREATE ... VIEW|TABLE x AS SELECT statements of sql/<name>.sql as {x: Spark SQL}."""
    from costbasis.engine.bitcoin import state_sql
    from costbasis.engine.spark import transpile
    return {k: transpile.to_spark(v) for k, v in state_sql.statements(name).items()}


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
    _ran(name)
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
        sqls = _views(file)
        for v in views:
            run_sql(c.spark, sqls[v]).createOrReplaceTempView(v)
    session.to_duckdb(con, name, df, c.scratch)
    _ran(name)
    return True


def run_sql(spark, sql: str, params=None):
    args = {k: v for k, v in (params or {}).items() if f":{k}" in sql}
    return spark.sql(sql, args=args) if args else spark.sql(sql)


def sopr(ctx, store, params: dict) -> pa.Table | None:
    """sql/sopr/sopr.sql on Spark over the store's coin_flows; None: not with --engine spark."""
    _asked(*SOPR_FILES)
    if not enabled():
        return None
    from costbasis.bitcoin.schema import TABLES
    from costbasis.engine.spark import session, transpile
    from costbasis.prices import load_prices
    spark = session.get()
    scratch = session.Scratch(store.root)
    try:
        cs = store.chain(ctx.chain)
        session.register_chain(spark, store.root, cs, TABLES, tables=("blocks", "coin_flows"))
        session.arrow_df(spark, load_prices(store, ctx.asset), store.root, scratch).createOrReplaceTempView("prices")
        hp_sql, sopr_sql = SOPR_FILES
        hp = run_sql(spark, transpile.file_sql(hp_sql), {"after": -1}).persist()
        hp.createOrReplaceTempView("height_price")
        out = run_sql(spark, transpile.file_sql(sopr_sql), params).toArrow()
        _ran("sopr")
        hp.unpersist()
        return out
    finally:
        scratch.close()


# ---------------------------------------------------------------- flows and whale deposits
# Flow tables (flows/stored.py) are built in committed steps of height ranges; with --engine spark
# each step's exchange-flow transactions (sql/flows/flows_exchange_txs.sql) and deposit sources'
# keys (sql/whales/whales_source_keys.sql) are computed by Spark over the store's files and handed
# to DuckDB as the temp tables the SQL files create. The row queries DuckDB writes into the segment
# files (FLOW_QUERIES: deposit sources' balances, deposited coins, per-script balance changes) run on
# Spark too and DuckDB writes their rows (query()). Keys made by DuckDB's hash() (Spark's differs)
# are carried, never recomputed by Spark: the members' keys and their stored base balances come
# from DuckDB (small inputs copied to Spark), and the key column of the balance changes is added by
# DuckDB to Spark's (script, delta) rows as it writes them.
_flows: contextvars.ContextVar = contextvars.ContextVar("costbasis_spark_flows", default=None)
FLOW_FILES = ("flows_exchange_txs", "whales_source_keys")
FLOW_QUERIES = ("whales_source_balances", "whales_deposit_coins", "whales_balance_delta")
FLOW_VIEWS = ("blocks", "outputs", "inputs", "xlabels", "clusters")   # registered on Spark per build


class _Flows:
    def __init__(self, store, chain: str, xlabels: pa.Table):
        from costbasis.bitcoin.schema import TABLES
        from costbasis.engine.spark import session
        self.spark = session.get()
        self.scratch = session.Scratch(store.root)
        session.register_chain(self.spark, store.root, store.chain(chain), TABLES,
                               tables=("blocks", "outputs", "inputs"))
        session.arrow_df(self.spark, xlabels.select(["script", "entity", "address"]), store.root,
                         self.scratch).createOrReplaceTempView("xlabels")
        path = store.dataset_path("clusters", chain)
        if path.is_file():
            df = self.spark.read.parquet(session.file_url(store.root, path, self.spark)) \
                .selectExpr("script", "CAST(cluster AS BIGINT) AS cluster", "CAST(address AS STRING) AS address")
        else:
            df = self.spark.sql("SELECT CAST(NULL AS BINARY) AS script, CAST(NULL AS BIGINT) AS cluster, "
                                "CAST(NULL AS STRING) AS address WHERE false")
        df.createOrReplaceTempView("clusters")
        self.tables = {}
        self.duck = []   # DuckDB temp tables of Spark results (dropped at the end of the build)


@contextmanager
def flows_build(store, chain: str, xlabels: pa.Table):
    _asked(*FLOW_FILES, *FLOW_QUERIES)
    if not enabled():
        yield
        return
    c = _Flows(store, chain, xlabels)
    token = _flows.set(c)
    try:
        yield
    finally:
        _flows.reset(token)
        for df in c.tables.values():
            df.unpersist()
        for con, t in c.duck:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        c.scratch.close()


def create(con, name: str, params: dict) -> bool:
    """Run sql/<name>.sql (a CREATE TEMP TABLE t AS SELECT ...) on Spark: DuckDB temp table t and
    Spark view t hold the result. False: not in a Spark build or state query, DuckDB runs the file."""
    if name in STATE_FILES:   # (in a build: recorded by the build's context)
        _asked(name)
    c = _flows.get()
    spark_only = False
    if c is None or name not in FLOW_FILES:
        c = _cold.get()
        if c is None or name not in COHORT_FILES:
            return _state_create(con, name, params)
        spark_only = True   # read only by the next Spark statements, never by DuckDB
    from costbasis.engine.spark import session
    table, select = _created(name)
    df = run_sql(c.spark, select, params).persist()
    old = c.tables.pop(table, None)   # the previous step's table of this name is not read again
    if old is not None:
        old.unpersist()
    c.tables[table] = df
    df.createOrReplaceTempView(table)
    if not spark_only:
        session.to_duckdb(con, table, df, c.scratch)
    _ran(name)
    return True


def _duck_hash(node) -> bool:
    import sqlglot.expressions as exp
    return any(str(f.this).lower() == "hash" for f in node.find_all(exp.Anonymous))


def query(con, name: str, params: dict) -> str | None:
    """In a Spark flows build: sql/<name>.sql (a SELECT of FLOW_QUERIES) computed on Spark, and the
    DuckDB query that gives its rows from there (same columns and order; binds the same parameters,
    so the caller runs it as it would the file). None: DuckDB runs the file.
    Top-level columns made by DuckDB's hash() are computed by DuckDB over Spark's rows."""
    c = _flows.get()
    if c is None or name not in FLOW_QUERIES:
        return None
    from costbasis.engine.spark import session
    on_spark, finish = split_query(name)
    _duckdb_inputs(con, c, on_spark)
    table = f"__spark_{name}"
    df = run_sql(c.spark, transpile_tree(on_spark), params)
    session.to_duckdb(con, table, df, c.scratch)
    c.duck.append((con, table))
    _ran(name)
    return finish.format(table=table)


def transpile_tree(tree) -> str:
    from costbasis.engine.spark import transpile
    return transpile.to_spark(tree.sql(dialect="duckdb"))


def split_query(name: str):
    """sql/<name>.sql (a SELECT) as (the part Spark runs: a sqlglot tree without the ORDER BY and
    the top-level hash() columns, DuckDB's query over its rows in table {table}: those columns and
    the ORDER BY)."""
    import re
    import sqlglot
    import sqlglot.expressions as exp
    from costbasis.engine import db
    text = db.sql_text(name)
    tree = sqlglot.parse_one(text, read="duckdb")
    keyed = {i for i, p in enumerate(tree.selects) if _duck_hash(p)}
    on_spark = tree.copy()
    on_spark.set("order", None)   # DuckDB orders the rows as it writes them
    on_spark.set("expressions", [p for i, p in enumerate(on_spark.selects) if i not in keyed])
    outs = {p.alias_or_name for p in on_spark.selects}
    cols = []
    for i, p in enumerate(tree.selects):
        if i in keyed:
            p = p.copy().transform(lambda n: exp.column(n.name) if isinstance(n, exp.Column) else n)
            assert {x.name for x in p.find_all(exp.Column)} <= outs, (name, p.sql())
            cols.append(p.sql(dialect="duckdb"))
        else:
            cols.append(p.alias_or_name)
    # the caller binds the file's parameters: the query names each (always true) so DuckDB accepts them
    bind = " AND ".join(f"(${k} IS NULL OR ${k} IS NOT NULL)" for k in dict.fromkeys(re.findall(r"\$(\w+)", text)))
    order = tree.args.get("order")
    finish = (f"SELECT {', '.join(cols)} FROM {{table}}" + (f" WHERE {bind}" if bind else "")
              + (" " + order.sql(dialect="duckdb") if order else ""))
    return on_spark, finish


def _duckdb_inputs(con, c, tree) -> None:
    """The tables `tree` reads that Spark does not hold (made by DuckDB in this step, e.g. the
    members' keys and stored base balances: small) copied to Spark views of the same names."""
    import sqlglot.expressions as exp
    ctes = {t.alias_or_name for t in tree.find_all(exp.CTE)}
    for name in sorted({t.name for t in tree.find_all(exp.Table)} - ctes - set(FLOW_VIEWS) - set(c.tables)):
        out = c.scratch.new(f"{name}.parquet")   # `name` is a table of our SQL files, not user input
        con.execute(f"COPY (SELECT * FROM {name}) TO $p (FORMAT parquet)", {"p": str(out)})
        c.spark.read.parquet(out.as_uri()).createOrReplaceTempView(name)


def _created(name: str) -> tuple[str, str]:
    """sql/<name>.sql is CREATE TEMP TABLE t AS SELECT ...: (t, the SELECT as Spark SQL)."""
    import sqlglot
    import sqlglot.expressions as exp
    from costbasis.engine import db
    from costbasis.engine.spark import transpile
    tree = sqlglot.parse_one(db.sql_text(name), read="duckdb")
    assert isinstance(tree, exp.Create), name
    table = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
    return table, transpile.to_spark(tree.expression.sql(dialect="duckdb"))


# ---------------------------------------------------------------- cohort state queries (URPD)
# A query over a persisted cohort state (URPD as of a day) reads the lot segments, the whole
# chain's lots: with --engine spark the sql/ files of STATE_FILES run on Spark over the very
# segment files DuckDB's `lots` view reads (recorded by segments(), called where cohort_state makes
# the view) and hand their (small, per-price) result to DuckDB. A state DuckDB holds in temp tables
# (not persisted: read-only cache) stays on DuckDB, as do the per-bucket finishing steps.
STATE_FILES = ("urpd_live", "live_by_price")
_segs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # con -> {table: (files, temps)}


def segments(con, name: str, files, temps) -> None:
    """cohort_state: DuckDB view `name`_raw of `con` = these segment files + these temp tables."""
    if enabled():
        _segs.setdefault(con, {})[name] = ([str(f) for f in files], list(temps))


def _state_views(con):
    """Spark views lots_raw, lots, cohort_bands as DuckDB's `con` has them, and the store root; None
    when DuckDB's lots are (partly) temp tables or there are none (then DuckDB runs the file)."""
    if not enabled():
        return None
    files, temps = _segs.get(con, {}).get("lots", ([], ["?"]))
    if temps or not files:
        return None
    from costbasis.engine.age_bands import cohort_table
    from costbasis.engine.spark import session
    f0 = Path(files[0])
    root = f0.parents[3]   # <root>/<chain>/_derived/cohorts-<asset>/<segment file>
    assert f0.parents[1].name == "_derived", f0
    spark = session.get()
    spark.read.parquet(*[session.file_url(root, f, spark) for f in files]).createOrReplaceTempView("lots_raw")
    run_sql(spark, _views("state_views")["lots"]).createOrReplaceTempView("lots")
    session.arrow_df(spark, cohort_table(), root).createOrReplaceTempView("cohort_bands")
    return spark, root


def _state_create(con, name: str, params: dict) -> bool:
    if name not in STATE_FILES:
        return False
    got = _state_views(con)
    if got is None:
        return False
    spark, root = got
    from costbasis.engine.spark import session
    table, select = _created(name)
    scratch = session.Scratch(root)
    try:
        df = run_sql(spark, select, params)
        session.to_duckdb(con, table, df, scratch)   # copied into DuckDB: the scratch files may go
    finally:
        scratch.close()
    _ran(name)
    return True


def run(con, name: str, params: dict) -> pa.Table | None:
    """The rows of sql/<name>.sql (a query of STATE_FILES) computed on Spark, as engine.db.run
    gives them; None: DuckDB runs it."""
    _asked(name)
    if name not in STATE_FILES:
        return None
    got = _state_views(con)
    if got is None:
        return None
    from costbasis.engine import db
    from costbasis.engine.spark import transpile
    out = run_sql(got[0], transpile.to_spark(db.sql_text(name)), params).toArrow()
    _ran(name)
    return out


# ---------------------------------------------------------------- which SQL runs where
SOPR_FILES = ("height_price_select", "sopr")


def spark_files() -> set[str]:
    """Every sql/ file a Spark hook runs (transpiled) in place of DuckDB."""
    return set(COHORT_SQL) | set(LOGISTIC_SQL) | set(SOPR_FILES) | set(FLOW_FILES) | set(FLOW_QUERIES) | set(STATE_FILES)


# Whole-chain SQL (reads the chain's outputs/inputs/coin_flows or all lots) that DuckDB runs under
# --engine spark too, and why. tests/test_spark_coverage.py traces every Bitcoin metric on DuckDB and
# fails when a whole-chain file runs neither on Spark nor is listed here, so a metric cannot exist
# on one engine only without it being said.
DUCKDB_ONLY = {
    "labels_cluster_txs": "clustering: DuckDB numbers the scripts (the ids the union-find is kept in) and "
                          "finds the multi-input txs; the connected components of their edges run on Spark",
    "labels_cluster_inputs": "clustering: as labels_cluster_txs (the edges' inputs)",
    "labels_cluster_scripts": "clustering: as labels_cluster_txs (new script ids)",
    "labels_spend_counts": "exchange-label sweeps (labels expand), not clustering: per-segment counts kept by DuckDB",
    "labels_sweep_hits": "exchange-label sweeps (labels expand): as labels_spend_counts",
    "cohort_lots_reprice": "incremental update after a price change: a few blocks, DuckDB",
    "live_events_recent": "incremental update / query: the days since the base snapshot only, DuckDB",
    "recent_lots": "as live_events_recent: the lots changed since the base snapshot (a filter in the query)",
    "live_events_day": "query of one past day (bands --asof): that day's live lots, DuckDB (on Spark in a cold build)",
}


# ---------------------------------------------------------------- common-input clustering
MAX_CC_ROUNDS = 200


def union_components(con, edges_sql: str, parent, root, chunk: int = 1 << 20) -> int | None:
    """With --engine spark: the connected components of the new blocks' input edges
    (sql/labels/labels_cluster_edges.sql, (a, b) = (smallest script id of a tx, script id)) found
    on Spark by an iterative DataFrame loop (minimum-label propagation with pointer jumping, each
    round checkpointed), then applied to the union-find `parent` as (component minimum, id) pairs:
    the same roots as the edges themselves give (a root is its component's smallest id), from
    far fewer unions. Returns the number of edges (as the DuckDB loop counts them); None: not
    with --engine spark. The edges come from DuckDB (their script keys are DuckDB's hash())."""
    if not enabled():
        return None
    import pyarrow.dataset as pads
    from costbasis.engine.spark import session
    from costbasis.labels import unionfind as uf
    spark = session.get()
    scratch = session.Scratch(root)
    try:
        ep = scratch.new("edges.parquet")
        con.execute(f"COPY ({edges_sql.rstrip().rstrip(';')}) TO $p (FORMAT parquet)", {"p": str(ep)})
        n = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(ep)}).fetchall()[0][0]
        if n == 0:
            return 0
        labels = components(spark, spark.read.parquet(ep.as_uri()))
        out = scratch.new("roots")
        labels.where("label <> v").selectExpr("label AS a", "v AS b").write.parquet(out.as_uri())
        for batch in pads.dataset(str(out), format="parquet").to_batches(batch_size=chunk):
            uf.union(parent, batch.column(0).to_numpy(), batch.column(1).to_numpy())
            uf.release(parent)
        _ran("clusters")
        return int(n)
    finally:
        scratch.close()


def components(spark, edges):
    """DataFrame (v, label): label = the smallest vertex of v's connected component, for every
    vertex of `edges` (columns a, b). Iterative: each round every vertex takes the smallest label
    among itself and its neighbours, then the label of its label (pointer jumping), until no
    label changes."""
    from pyspark.sql import functions as F
    e = edges.select(F.col("a").cast("long").alias("u"), F.col("b").cast("long").alias("w")) \
        .where("u <> w").distinct()
    e = e.unionByName(e.select(F.col("w").alias("u"), F.col("u").alias("w"))).localCheckpoint()
    lab = edges.select(F.col("a").cast("long").alias("v")).unionByName(
        edges.select(F.col("b").cast("long").alias("v"))).distinct() \
        .withColumn("label", F.col("v")).localCheckpoint()
    for _ in range(MAX_CC_ROUNDS):
        nb = e.join(lab.withColumnRenamed("v", "u"), "u").select(F.col("w").alias("v"), "label")
        new = nb.unionByName(lab).groupBy("v").agg(F.min("label").alias("label"))
        jump = new.alias("x").join(new.alias("y"), F.col("x.label") == F.col("y.v")) \
            .select(F.col("x.v").alias("v"), F.least(F.col("x.label"), F.col("y.label")).alias("label"))
        jump = jump.localCheckpoint()
        changed = jump.alias("n").join(lab.alias("o"), "v").where("n.label <> o.label").limit(1).count()
        lab = jump
        if not changed:
            return lab
    raise RuntimeError("connected components did not converge")   # diameter > 2^200: impossible
