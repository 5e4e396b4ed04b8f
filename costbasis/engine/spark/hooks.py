"""The points where a heavy build runs on Spark when `--engine spark` is chosen.

Cohort state (engine/cohort_state.py), cold build: the three whole-chain tables, block prices
(`__hp_new`), lot changes (`__lots_delta`) and their events (`__events_delta`), are computed by
Spark from the store's committed Parquet files with the same SQL (transpiled), then handed to
DuckDB as the temp tables of the same names; everything after (the daily rows, the `base`
snapshot, writing the segment files and state.json) is the DuckDB code as ever, so the derived
state is the same files and every query command reads it unchanged. Incremental updates (a few
new blocks) stay on DuckDB: Spark's start-up would cost more than the work.

SOPR (engine/sopr.py): the per-day aggregate over all of coin_flows runs on Spark.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

import pyarrow as pa

from costbasis.engine.spark import settings

_cold: contextvars.ContextVar = contextvars.ContextVar("costbasis_spark_cold", default=None)

# DuckDB temp tables of a cold cohort build that Spark computes, and the Spark views the later
# statements read them under (the DuckDB engine's views of the same names)
COHORT_TABLES = {"__hp_new": ("height_price",), "__lots_delta": ("event_lots", "__lots_delta"),
                 "__events_delta": ()}


def enabled() -> bool:
    return settings.current().spark


class _Cold:
    def __init__(self, cs, prices: pa.Table, root):
        from costbasis.bitcoin.schema import TABLES
        from costbasis.engine.age_bands import cohort_table
        from costbasis.engine.spark import session
        self.spark = session.get()
        self.root = root
        self.scratch = session.Scratch(root)
        session.register_chain(self.spark, root, cs, TABLES, tables=("blocks", "outputs", "coin_flows"))
        session.arrow_df(self.spark, prices, root, self.scratch).createOrReplaceTempView("prices")
        session.arrow_df(self.spark, cohort_table(), root, self.scratch).createOrReplaceTempView("cohort_bands")
        self.cached = []


@contextmanager
def cohort_cold_build(cs, prices: pa.Table, root, cold: bool):
    """Around a cohort state build: when it is a cold build with --engine spark, the whole-chain
    temp tables of it are computed on Spark (see offload())."""
    if not (cold and enabled()):
        yield
        return
    c = _Cold(cs, prices, root)
    token = _cold.set(c)
    try:
        yield
    finally:
        _cold.reset(token)
        for df in c.cached:
            df.unpersist()
        c.scratch.close()


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
    session.to_duckdb(con, name, df, c.scratch)
    return True


def run_sql(spark, sql: str, params=None):
    args = {k: v for k, v in (params or {}).items() if f":{k}" in sql}
    return spark.sql(sql, args=args) if args else spark.sql(sql)


def sopr(ctx, store, params: dict) -> pa.Table | None:
    """sql/sopr/sopr.sql on Spark over the store's coin_flows; None: not with --engine spark."""
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
        hp = run_sql(spark, transpile.file_sql("height_price_select"), {"after": -1}).persist()
        hp.createOrReplaceTempView("height_price")
        out = run_sql(spark, transpile.file_sql("sopr"), params).toArrow()
        hp.unpersist()
        return out
    finally:
        scratch.close()
