"""Live cost-basis distribution of a cohort as of a date (input of URPD, clusters, quantiles)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import check_cohort
from costbasis.engine.bitcoin.context import ChainContext, open_chain
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.dates import parse_day


def asof_day(ctx: ChainContext, asof) -> int:
    d = parse_day(asof, "--asof")
    if d is None:
        return ctx.last_day
    return ctx.check_asof(d)


def live_cost_basis(store, chain: str | None = None, asof=None, cohort: str = "all", asset: str = "BTC") -> pa.Table:
    """(creation_price_usd float64, supply_btc float64) by distinct creation price, ascending.

    Coins created before the first price point appear at creation_price_usd 0; the table's
    schema metadata `coins_without_price_btc` says how much.
    """
    check_cohort(cohort)
    ctx = open_chain(store, chain, asset)
    day = asof_day(ctx, asof)
    t = spark_hooks.run(ctx.con, "live_by_price", {"day": day, "cohort": cohort}) or db.run(ctx.con, "live_by_price", {"day": day, "cohort": cohort})
    nop = sum(t["without_price_btc"].to_pylist())
    t = t.select(["creation_price_usd", "supply_btc"]).cast(
        pa.schema([("creation_price_usd", pa.float64()), ("supply_btc", pa.float64())]))
    return t.replace_schema_metadata({"coins_without_price_btc": repr(nop), "asof_day": str(day)})
