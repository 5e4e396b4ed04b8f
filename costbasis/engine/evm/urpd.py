"""URPD on an EVM chain: supply live at the end of a date by holder cost-basis bucket.

Same columns as costbasis.engine.bitcoin.urpd.urpd except `supply` (ETH / token units) instead of
`supply_btc`. The price axis is each holding unit's cost basis (the address's average cost
for --method avg, the lot's acquisition price for fifo).
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import check_cohort
from costbasis.engine.urpd_buckets import bucket_spec
from costbasis.errors import CostbasisError
from costbasis.engine.evm.holdings import open_evm


def urpd(store, chain: str | None = None, asof=None, cohort: str = "all", buckets: int | None = 100,
         log_buckets: int | None = None, bucket_usd: float | None = None, method: str = "avg",
         token: str | None = None, asset: str | None = None, decimals: int | None = None) -> pa.Table:
    """Table(bucket_low_usd, bucket_high_usd, supply, realized_cap_usd, in_profit)."""
    check_cohort(cohort)
    mode, n, width = bucket_spec(buckets if (log_buckets is None and bucket_usd is None) else None,
                                 log_buckets, bucket_usd)
    ctx = open_evm(store, chain, method, token, asset, decimals)
    day, _ = ctx.resolve_days(asof=asof) if asof is not None else (ctx.last_day, ctx.last_day)
    has_price = ctx.con.execute("SELECT count(*) FROM prices WHERE date - DATE '1970-01-01' <= ?", [day]).fetchall()[0][0]
    if not has_price:
        raise CostbasisError(f"no {ctx.asset} price on or before the --asof date")
    ctx.con.execute(db.sql_text("evm_cohort_live"), {"from_day": day, "to_day": day})
    ctx.con.execute(db.sql_text("evm_urpd_live"), {"day": day, "cohort": cohort})
    t = db.run(ctx.con, "urpd_buckets", {"day": day, "mode": mode, "n": n, "width": width, "scale": 1.0})
    return t.replace_schema_metadata({"asof_day": str(day), "method": method})
