"""Daily SOPR, STH-/LTH-SOPR and coin-days destroyed from coin_flows (sql/sopr.sql)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.bitcoin.context import open_chain
from costbasis.dates import fmt_day, parse_day
from costbasis.engine.spark import hooks as spark_hooks
from costbasis.errors import CostbasisError


def sopr_series(store, chain: str | None = None, date_from=None, date_to=None, asset: str = "BTC") -> pa.Table:
    """Table(date, spent_btc, spent_value_usd, sopr, sth_sopr, lth_sopr, cdd), one row per day."""
    ctx = open_chain(store, chain, asset, with_lots=False)
    f = parse_day(date_from, "--from")
    t = parse_day(date_to, "--to")
    if t is not None and f is not None and t < f:
        raise CostbasisError("--to is before --from")
    f = ctx.first_day if f is None else f
    if t is None and f > ctx.last_day:  # the default --to (last block) is not the user's mistake
        raise CostbasisError(f"--from {fmt_day(f)} is after the last stored day {fmt_day(ctx.last_day)} of {ctx.chain}")
    t = ctx.last_day if t is None else t
    ctx.check_day(t, "--to")
    f = max(f, ctx.first_day)
    if f > ctx.last_day:
        raise CostbasisError(f"--from {fmt_day(f)} is after the last stored day {fmt_day(ctx.last_day)} of {ctx.chain}")
    t = min(t, ctx.last_day)  # nothing is spent in blocks not stored yet: no rows of zeros for them
    params = {"from_day": f, "to_day": t}
    table = spark_hooks.sopr(ctx, store, params)   # None unless --engine spark
    table = db.run(ctx.con, "sopr", params) if table is None else table
    return table.set_column(0, "date", table["day"].cast(pa.int32()).cast(pa.date32()))
