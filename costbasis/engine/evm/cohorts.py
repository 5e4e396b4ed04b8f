"""Daily cost-basis metrics per holder-age cohort on an EVM chain (account model).

Same columns as the Bitcoin engine (costbasis.engine.bitcoin.cohorts.cohort_series) except that the
supply column is `supply` (ETH or token units) instead of `supply_btc`, and there is no
`coins_without_price_btc`. Ages come from the walk's acquisition times (value-weighted
average per address for `avg`, per lot for `fifo`). Only the hard 155-day STH/LTH split.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.quantiles import parse_quantiles, quantile_column
from costbasis.dates import EPOCH
from costbasis.engine.evm.holdings import EvmContext, open_evm

COLUMNS = ["date", "cohort", "supply", "realized_cap_usd", "realized_price_usd", "price_usd", "mvrv",
           "cost_basis_std_usd", "supply_in_profit_pct"]


def cohort_series(store, chain: str | None = None, asof=None, date_from=None, date_to=None, method: str = "avg",
                  token: str | None = None, quantiles=None, asset: str | None = None,
                  decimals: int | None = None) -> pa.Table:
    """One row per (date, cohort): supply, realized_cap_usd, realized_price_usd, price_usd, mvrv,
    cost_basis_std_usd, supply_in_profit_pct [, pQ_usd ...]. Default range: first..last block day."""
    qs = parse_quantiles(quantiles)
    ctx = open_evm(store, chain, method, token, asset, decimals)
    f, t = ctx.resolve_days(asof, date_from, date_to)
    return series_for_days(ctx, f, t, qs)


def series_for_days(ctx: EvmContext, from_day: int, to_day: int, qs: list[float] | None = None) -> pa.Table:
    params = {"from_day": from_day, "to_day": to_day}
    ctx.con.execute(db.sql_text("evm_cohort_live"), params)
    table = db.run(ctx.con, "evm_cohorts_daily", params)
    table = table.set_column(0, "date", table["day"].cast(pa.int32()).cast(pa.date32()))
    if qs:
        rows = ctx.con.execute(db.sql_text("evm_cohort_quantiles"), {"qs": [q / 100.0 for q in qs]}).fetchall()
        lookup = {(d, c, round(q * 100.0, 9)): p for d, c, q, p in rows}
        days = [(d - EPOCH).days for d in table["date"].to_pylist()]
        cohorts = table["cohort"].to_pylist()
        for q in qs:
            col = [lookup.get((d, c, round(q, 9))) for d, c in zip(days, cohorts)]
            table = table.append_column(quantile_column(q), pa.array(col, pa.float64()))
    return table
