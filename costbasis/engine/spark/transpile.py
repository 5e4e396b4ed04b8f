"""sql/*.sql (DuckDB dialect) -> Spark SQL with sqlglot, at run time.

sqlglot does the dialect work; the few DuckDB constructs it leaves as they are get their Spark
twin here (an AST rewrite, not a second copy of the SQL):
  HUGEINT (sqlglot: INT128)   -> DECIMAL(38,0): realized cap in 1e-15 USD x sat is < 1e36 for all
                                 of Bitcoin, so 38 digits hold every sum exactly
  fsum (compensated sum)      -> sum: Spark has no compensated sum; results agree to ~1e-12 relative
  d - DATE '1970-01-01'       -> unix_date(d): days since the epoch (a Spark date difference is an interval)
  a / b                       -> CAST(a AS DOUBLE) / b: DuckDB divides every numeric type as DOUBLE, Spark
                                 a DECIMAL (literals like 86400.0) as a DECIMAL rounded to its scale
Constructs without any Spark twin (ASOF JOIN, DuckDB's hash()) are not translated: the SQL file is written in the
common subset instead (sql/prices/height_price_select.sql uses a window, not ASOF).
Parameters `$x` become Spark named parameters `:x`, bound by spark.sql(args=...).
"""

from __future__ import annotations

from functools import lru_cache

from costbasis.engine import db
from costbasis.errors import CostbasisError

# Metric SQL that runs on both engines (tests/test_spark.py runs every one on Spark and compares
# results with DuckDB's where a build uses it). Adding a Spark build means adding its files here.
PORTABLE = (
    "height_price_select",
    "cohort_lots_delta",
    "cohort_events",
    "sopr",
    "cohorts_daily",
    "cohort_dist_base",
    "live_events_day",       # CREATE TEMP TABLE t AS SELECT (hooks.create, kept on Spark)
    "live_events_full",
    "cohort_live",
    "flows_exchange_txs",    # CREATE TEMP TABLE t AS SELECT: the SELECT runs on Spark (hooks.create)
    "whales_source_keys",
    "whales_build_clusters",   # the clusters a flows build can need (its wallets' balances: flows/stored/wallets.py)
    "whales_range_clustered",  # a build step's rows of clustered scripts
    "whales_source_timeline",  # SELECTs whose rows DuckDB sums (flows/stored/running.py) or
    "whales_source_balances",  # SELECTs whose rows DuckDB writes (hooks.query; a hash() key column
    "whales_deposit_coins",    # is added by DuckDB over Spark's rows)
    "whales_balance_delta",
    "logistic_lots_delta",   # the logistic split's first build (hooks.logistic_build)
    "logistic_transition",   # statements run one by one (hooks.script)
    "urpd_live",             # over the persisted lot segments (hooks.STATE_FILES)
    "live_by_price",
)


def _rewrite(node):
    import sqlglot.expressions as exp
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("DECIMAL(38,0)")
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "fsum":
        return exp.Sum(this=node.expressions[0])
    if (isinstance(node, exp.Sub) and isinstance(node.expression, exp.Cast)
            and node.expression.to.this == exp.DataType.Type.DATE
            and node.expression.this.is_string and node.expression.this.name == "1970-01-01"):
        # DuckDB's `d - DATE '1970-01-01'` is days since the epoch (Spark: an interval)
        return exp.Anonymous(this="UNIX_DATE", expressions=[node.this])
    if isinstance(node, exp.Div) and not node.args.get("_costbasis_double"):
        # DuckDB's `/` is a DOUBLE division for every numeric type; Spark's divides a DECIMAL
        # (e.g. the literal 86400.0) as a DECIMAL, rounded to its scale (1e-6: a day's fraction)
        node.set("this", exp.cast(node.this, exp.DataType.build("DOUBLE")))   # in place: children still visited
        node.set("_costbasis_double", True)
        return node
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "hash":
        # Spark's hash() is a 32-bit Murmur3: a stored key computed by it would never match DuckDB's
        raise CostbasisError("DuckDB hash() has no Spark twin; key by a column both engines compute")
    if isinstance(node, exp.Join) and str(node.args.get("method") or "").upper() == "ASOF":
        raise CostbasisError("ASOF JOIN has no Spark twin; write the SQL file in the common subset")
    return node


def to_spark(sql: str) -> str:
    """One DuckDB statement -> Spark SQL (raises CostbasisError when it cannot be translated)."""
    import sqlglot
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise CostbasisError(f"SQL not understood by sqlglot: {str(e).splitlines()[0]}") from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise CostbasisError(f"expected one SQL statement, got {len(trees)}")
    tree = trees[0].transform(_rewrite)
    return tree.sql(dialect="spark", comments=False, unsupported_level=sqlglot.ErrorLevel.RAISE)


@lru_cache(maxsize=None)
def file_sql(name: str) -> str:
    """sql/<name>.sql as Spark SQL."""
    return to_spark(db.sql_text(name))


def file_statements(name: str) -> list[str]:
    """Each statement of sql/<name>.sql as Spark SQL (a script such as logistic_transition.sql)."""
    import sqlglot
    return [to_spark(t.sql(dialect="duckdb")) for t in sqlglot.parse(db.sql_text(name), read="duckdb") if t is not None]
