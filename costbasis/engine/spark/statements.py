"""The sql/ files' statements run on Spark: the pieces every hook shares.

run_sql binds only the parameters a statement names (Spark rejects unused ones); views() and
created() give a file's CREATE statements as Spark SQL (transpiled from the one DuckDB source);
keep() is the body of a CREATE TEMP TABLE run on Spark inside a build, whose result later Spark
statements (and, unless it is Spark-only, DuckDB) read.
"""

from __future__ import annotations

from costbasis.engine.spark import trace


def run_sql(spark, sql: str, params=None):
    args = {k: v for k, v in (params or {}).items() if f":{k}" in sql}
    return spark.sql(sql, args=args) if args else spark.sql(sql)


def views(name: str) -> dict[str, str]:
    """The CREATE ... VIEW|TABLE x AS SELECT statements of sql/<name>.sql as {x: Spark SQL}."""
    from costbasis.engine.bitcoin import state_sql
    from costbasis.engine.spark import transpile
    return {k: transpile.to_spark(v) for k, v in state_sql.statements(name).items()}


def created(name: str) -> tuple[str, str]:
    """sql/<name>.sql is CREATE TEMP TABLE t AS SELECT ...: (t, the SELECT as Spark SQL)."""
    import sqlglot
    import sqlglot.expressions as exp
    from costbasis.engine import db
    from costbasis.engine.spark import transpile
    tree = sqlglot.parse_one(db.sql_text(name), read="duckdb")
    assert isinstance(tree, exp.Create), name
    table = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
    return table, transpile.to_spark(tree.expression.sql(dialect="duckdb"))


def transpile_tree(tree) -> str:
    from costbasis.engine.spark import transpile
    return transpile.to_spark(tree.sql(dialect="duckdb"))


def keep(con, c, name: str, params: dict, to_duckdb: bool) -> bool:
    """sql/<name>.sql (CREATE TEMP TABLE t AS SELECT) on Spark in build `c` (its spark, tables,
    scratch): Spark view t, and DuckDB temp table t when `to_duckdb`."""
    from costbasis.engine.spark import session
    table, select = created(name)
    df = run_sql(c.spark, select, params).persist()
    old = c.tables.pop(table, None)   # the previous step's table of this name is not read again
    if old is not None:
        old.unpersist()
    c.tables[table] = df
    df.createOrReplaceTempView(table)
    if to_duckdb:
        session.to_duckdb(con, table, df, c.scratch)
    trace.ran(name)
    return True
