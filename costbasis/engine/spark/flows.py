"""Flow tables and whale deposits (flows/stored/) built on Spark, step by step.

Flow tables are built in committed steps of height ranges; with --engine spark each step's
exchange-flow transactions (sql/flows/flows_exchange_txs.sql) and deposit sources' keys
(sql/whales/whales_source_keys.sql) are computed by Spark over the store's files and handed to
DuckDB as the temp tables the SQL files create (create()). The row queries DuckDB writes into the
segment files (FLOW_QUERIES: deposit sources' events and balances, deposited coins, per-script
balance changes) run on Spark too and DuckDB writes their rows (query()). Keys made by DuckDB's hash()
(Spark's differs) are carried, never recomputed by Spark: the members' keys and their stored base
balances come from DuckDB (small inputs copied to Spark, _duckdb_inputs()), and the key column of
the balance changes is added by DuckDB to Spark's (script, delta) rows as it writes them
(split_query()).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager


from costbasis.engine.spark import statements, trace
from costbasis.engine.spark.settings import enabled
from costbasis.engine.spark.statements import run_sql, transpile_tree

_flows: contextvars.ContextVar = contextvars.ContextVar("costbasis_spark_flows", default=None)
FLOW_FILES = ("flows_exchange_txs", "whales_source_keys", "whales_build_clusters", "whales_range_clustered")
FLOW_QUERIES = ("whales_source_timeline", "whales_source_balances", "whales_deposit_coins", "whales_balance_delta")
FLOW_VIEWS = ("blocks", "outputs", "inputs", "xlabels", "clusters_file")   # registered on Spark per build


class _Flows:
    def __init__(self, store, chain: str, con):
        from costbasis.bitcoin.schema import TABLES
        from costbasis.engine.spark import session
        self.spark = session.get()
        self.scratch = session.Scratch(store.root)
        session.register_chain(self.spark, store.root, store.chain(chain), TABLES,
                               tables=("blocks", "outputs", "inputs"))
        xlabels = con.sql("SELECT script, entity, address FROM xlabels").to_arrow_table()   # DuckDB's view
        session.arrow_df(self.spark, xlabels, store.root,
                         self.scratch).createOrReplaceTempView("xlabels")
        path = store.dataset_path("clusters", chain)
        if path.is_file():
            df = self.spark.read.parquet(session.file_url(store.root, path, self.spark)) \
                .selectExpr("script", "CAST(cluster AS BIGINT) AS cluster")
        else:
            df = self.spark.sql("SELECT CAST(NULL AS BINARY) AS script, CAST(NULL AS BIGINT) AS cluster WHERE false")
        df.createOrReplaceTempView("clusters_file")   # sql/whales_build_clusters.sql makes `clusters` of it
        self.tables = {}
        self.duck = []   # DuckDB temp tables of Spark results (dropped at the end of the build)


@contextmanager
def flows_build(store, chain: str, con):
    trace.asked(*FLOW_FILES, *FLOW_QUERIES)
    if not enabled():
        yield
        return
    c = _Flows(store, chain, con)
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
    """In a Spark flows build: sql/<name>.sql (one of FLOW_FILES) on Spark, its table both a Spark
    view and a DuckDB temp table. False: not here."""
    c = _flows.get()
    if c is None or name not in FLOW_FILES:
        return False
    return statements.keep(con, c, name, params, to_duckdb=True)


def _duck_hash(node) -> bool:
    import sqlglot.expressions as exp
    return any(str(f.this).lower() in ("hash", "script_key2") for f in node.find_all(exp.Anonymous))


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
    trace.ran(name)
    return finish.format(table=table)


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
