"""URPD: live supply by creation-price bucket as of a date (sql/urpd.sql)."""

from __future__ import annotations


import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import check_cohort
from costbasis.engine.urpd_buckets import MAX_BUCKETS, bucket_spec
from costbasis.engine.bitcoin.context import open_chain
from costbasis.engine.bitcoin.cost_basis import asof_day
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.dates import fmt_day
from costbasis.errors import CostbasisError

def urpd(store, chain: str | None = None, asof=None, cohort: str = "all", buckets: int | None = 100,
         log_buckets: int | None = None, bucket_usd: float | None = None, asset: str = "BTC") -> pa.Table:
    """Table(bucket_low_usd, bucket_high_usd, supply_btc, realized_cap_usd, in_profit)."""
    check_cohort(cohort)
    mode, n, width = bucket_spec(buckets if (log_buckets is None and bucket_usd is None) else None,
                                 log_buckets, bucket_usd)
    ctx = open_chain(store, chain, asset)
    day = asof_day(ctx, asof)
    if day < ctx.first_price_day:
        raise CostbasisError(f"no {asset} price on or before {fmt_day(day)} (prices start {fmt_day(ctx.first_price_day)})")
    if mode == "usd":
        ath = ctx.con.execute("SELECT max(price_usd) FROM prices WHERE date - DATE '1970-01-01' <= ?", [day]).fetchall()[0][0]
        if ath / width > MAX_BUCKETS:
            raise CostbasisError(f"--bucket-usd {width:g} gives more than {MAX_BUCKETS} buckets up to ${ath:,.0f}")
    spark_hooks.create(ctx.con, "urpd_live", {"day": day, "cohort": cohort}) or ctx.con.execute(db.sql_text("urpd_live"), {"day": day, "cohort": cohort})
    t = db.run(ctx.con, "urpd_buckets", {"day": day, "mode": mode, "n": n, "width": width, "scale": 1e8})
    t = t.rename_columns(["supply_btc" if c == "supply" else c for c in t.column_names])
    # the without-price part from the same live rows (urpd_live on either engine): a second scan of
    # the lots (live_by_price) would double the cost
    without = sum(r[0] for r in ctx.con.execute(db.sql_text("urpd_without_price")).fetchall())
    return t.replace_schema_metadata({"coins_without_price_btc": repr(without), "asof_day": str(day)})
