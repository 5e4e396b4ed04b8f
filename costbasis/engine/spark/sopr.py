"""SOPR (engine/bitcoin/sopr.py) on Spark: the per-day aggregate over all of coin_flows.

Block prices (sql/cohorts/height_price_select.sql) then sql/sopr/sopr.sql, both transpiled, over
the store's committed blocks and coin_flows files; the (small, per-day) result comes back as Arrow.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine.spark import trace
from costbasis.engine.spark.settings import enabled
from costbasis.engine.spark.statements import run_sql

SOPR_FILES = ("height_price_select", "sopr")


def sopr(ctx, store, params: dict) -> pa.Table | None:
    """sql/sopr/sopr.sql on Spark over the store's coin_flows; None: not with --engine spark."""
    trace.asked(*SOPR_FILES)
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
        trace.ran("sopr")
        hp.unpersist()
        return out
    finally:
        scratch.close()
