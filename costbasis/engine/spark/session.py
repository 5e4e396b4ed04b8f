"""One SparkSession per process, and the store's committed Parquet files as Spark views.

Spark reads exactly the files the manifest lists (the Store snapshot the DuckDB views come from,
store/chain_store.py), by URL: file:// for a local cache (tested); a cache synced to a data lake
is read from there with `--spark-conf spark.costbasis.storeUrl=s3a://bucket/prefix` (or hdfs://...):
the manifest is still read locally and each file's path under the cache root is appended to that
URL. s3a/hdfs need only Spark's own connectors (hadoop-aws etc. via spark.jars.packages); they are
documented, not tested here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from costbasis.bitcoin.outpoints import tx_key_spark
from costbasis.bitcoin.schema import FROM_OLDER
from costbasis.engine.spark import settings
from costbasis.errors import CostbasisError

_session = None
_session_key = None


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java), or None."""
    home = os.environ.get("JAVA_HOME")
    if (home and Path(home, "bin", "java").exists()) or shutil.which("java"):
        return None
    return "--engine spark needs Java 17 or later (e.g. apt-get install default-jre-headless); no java found"


def get():
    """The process's SparkSession for the configured master and settings (started on first use)."""
    global _session, _session_key
    s = settings.current()
    key = (s.master, s.conf)
    if _session is not None and _session_key == key:
        return _session
    problem = java_problem()
    if problem:
        raise CostbasisError(problem)
    try:
        import sqlglot  # noqa: F401  (the SQL files are transpiled with it)
        from pyspark.sql import SparkSession
    except ImportError:
        raise CostbasisError("--engine spark needs pyspark: pip install 'costbasis[spark]'") from None
    if _session is not None:
        _session.stop()
    b = (SparkSession.builder.master(s.master).appName("costbasis")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "8")
         .config("spark.sql.ansi.enabled", "true"))   # overflow is an error, never a silent NULL
    for k, v in s.conf:
        b = b.config(k, v)
    try:
        _session = b.getOrCreate()
    except Exception as e:   # JVM failed to start: one line, not a Py4J traceback
        raise CostbasisError(f"Spark did not start ({s.master}): {str(e).strip().splitlines()[0][:200]}") from None
    _session.sparkContext.setLogLevel("ERROR")
    _session_key = key
    return _session


def stop() -> None:
    global _session, _session_key
    if _session is not None:
        _session.stop()
    _session = _session_key = None


def file_url(store_root: Path, f: Path, spark) -> str:
    base = spark.conf.get("spark.costbasis.storeUrl", None)
    if base:
        return base.rstrip("/") + "/" + Path(f).resolve().relative_to(Path(store_root).resolve()).as_posix()
    return Path(f).resolve().as_uri()


def register_chain(spark, store_root: Path, cs, schemas: dict[str, pa.Schema] | None = None,
                   tables=None) -> None:
    """A Spark temp view per table of the chain snapshot `cs`, over its committed files only."""
    names = set(cs.tables()) | set(schemas or {})
    for t in sorted(names if tables is None else set(tables) & names):
        files = cs.files(t)
        if files:
            df = _read_table(spark, t, [file_url(store_root, f, spark) for f in files], (schemas or {}).get(t))
        else:
            df = arrow_df(spark, (schemas or {})[t].empty_table(), store_root)
        df.createOrReplaceTempView(t)


def _read_table(spark, table: str, urls: list[str], schema: pa.Schema | None):
    """The files of one table as the schema's columns, whatever store format wrote them (bitcoin/schema.py).
    Spark takes the column list from one file (not necessarily the first): dropped columns are simply
    not selected; a column that replaced an older one (FROM_OLDER) is derived from it when the first
    file, of the oldest format (older files are a prefix), lacks it: then the files are read with their
    schemas merged (missing columns NULL) and the new column taken where a file has it."""
    names = schema.names if schema is not None else []
    derive = {c: old for c, old in FROM_OLDER.get(table, {}).items() if c in names}
    if derive and set(derive) - set(spark.read.parquet(urls[0]).columns):
        from pyspark.sql import functions as F

        df = spark.read.option("mergeSchema", "true").parquet(*urls)
        for c, old in derive.items():
            key = tx_key_spark(old)
            df = df.withColumn(c, F.coalesce(F.col(c), key) if c in df.columns else key)
    else:
        df = spark.read.parquet(*urls)
    keep = [c for c in names if c in df.columns]
    if keep and df.columns != keep:   # older-format files' dropped columns, or the schema's order
        df = df.select(*keep)
    return df


class Scratch:
    """A folder for Parquet exchanged between the two engines (removed by close())."""

    def __init__(self, root: Path | None):
        base = Path(root) / "_tmp" if root is not None else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-spark-", dir=base))
        self.n = 0

    def new(self, name: str) -> Path:
        self.n += 1
        return self.path / f"{self.n:03d}-{name}"

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def arrow_df(spark, table: pa.Table, root: Path | None, scratch: Scratch | None = None):
    """A small Arrow table (prices, cohort bands) as a Spark DataFrame, through a Parquet file so
    the types are exactly Arrow's."""
    own = scratch is None
    scratch = scratch or Scratch(root)
    p = scratch.new("arrow.parquet")
    pq.write_table(table, p)
    df = spark.read.parquet(p.as_uri())
    if own:
        df = df.localCheckpoint(eager=True)   # materialised: the file may go
        scratch.close()
    return df


def to_duckdb(con, name: str, df, scratch: Scratch) -> None:
    """DuckDB temp table `name` (ours) = the Spark DataFrame, through Parquet in the scratch folder."""
    out = scratch.new(name)
    df.write.mode("overwrite").parquet(out.as_uri())
    files = sorted(str(p) for p in out.glob("*.parquet"))
    if files:
        con.read_parquet(files).create_view(f"__spark_{name}", replace=True)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM __spark_{name}")
        con.execute(f"DROP VIEW __spark_{name}")
    else:   # Spark writes no part file for an empty result: same columns, no rows
        cols = ", ".join(f"CAST(NULL AS {_duck_type(f.dataType)}) AS {f.name}" for f in df.schema.fields)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} WHERE false")


def _duck_type(t) -> str:
    n = t.simpleString()
    return {"bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "boolean": "BOOLEAN",
            "string": "VARCHAR", "date": "DATE", "binary": "BLOB"}.get(n, n.upper())
