"""Daily realized metrics per age cohort (DESIGN.md "Definitions").

Supply and realized cap come from ±value events per cohort and running sums
(sql/cohort_events.sql, sql/cohorts_daily.sql), so the cost grows with the number of
events, not days x coins. Profit share, standard deviation and quantiles need the
creation-price distribution of each day: sql/cohort_live.sql builds it per creation key
(creation day x price, not per coin) and only for the requested days.

The rows of every day up to the last block are kept in the persisted cohort state
(engine/bitcoin/cohort_state.py; the logistic split's from its first call, logistic_state.py) and
only extended as blocks arrive; a query reads them. Days after the last block and quantiles are
computed here from the state's lots.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.engine import db
from costbasis.engine.age_bands import COHORTS, cohort_table
from costbasis.engine.bitcoin import logistic_state
from costbasis.engine.bitcoin.context import ChainContext, open_chain
from costbasis.dates import EPOCH, fmt_day, parse_range, today_day
from costbasis.errors import CostbasisError
from costbasis.quantiles import parse_quantiles, quantile_column  # noqa: F401 (re-exported)

HOLDER_SPLITS = ("hard", "logistic")


def resolve_range(ctx: ChainContext, asof, date_from, date_to) -> tuple[int, int]:
    a, f, t = parse_range(asof, date_from, date_to)
    if a is not None:
        f = t = ctx.check_asof(a)
    else:
        f = ctx.first_day if f is None else f
        t = ctx.last_day if t is None else t
        ctx.check_day(t, "--to")   # --from after --to is refused by parse_range
        f = max(f, ctx.first_day)
        # Past the last block coins only age; that is worth computing up to today, but a far
        # --to (a typo such as 2206) would otherwise compute millions of empty days.
        t = min(t, max(ctx.last_day, today_day()))
        if t < f:
            raise CostbasisError(f"--from {fmt_day(f)} is after the last stored day {fmt_day(ctx.last_day)} "
                                 f"of {ctx.chain}")
    return f, t


def cohort_series(store, chain: str | None = None, asof=None, date_from=None, date_to=None,
                  holder_split: str = "hard", quantiles=None, asset: str = "BTC",
                  threads: int | None = None) -> pa.Table:
    """One row per (date, cohort): supply_btc, realized_cap_usd, realized_price_usd, price_usd, mvrv,
    cost_basis_std_usd, supply_in_profit_pct, coins_without_price_btc [, pQ_usd ...]."""
    if holder_split not in HOLDER_SPLITS:
        raise CostbasisError(f"--holder-split must be hard or logistic, not {holder_split!r}")
    qs = parse_quantiles(quantiles)
    ctx = open_chain(store, chain, asset, threads=threads)
    f, t = resolve_range(ctx, asof, date_from, date_to)
    return series_for_days(ctx, f, t, holder_split, qs)


def series_for_days(ctx: ChainContext, from_day: int, to_day: int, holder_split: str = "hard",
                    qs: list[float] | None = None) -> pa.Table:
    """Stored rows up to the last block day (the logistic split's built on its first call); later
    days (no blocks yet, coins still age) and quantiles computed from the state's lots."""
    con, st = ctx.con, ctx.state
    qs = qs or []
    logistic = holder_split == "logistic"
    if logistic:
        st.ensure_logistic()
    db.register_arrow(con, "cohort_bands", cohort_table(holder_split))
    try:
        if logistic:
            con.execute(db.sql_text("cohort_events_logistic_split"))
        stored_to = min(to_day, st.last_day)
        parts = []
        if from_day <= stored_to:
            parts.append(db.run(con, "cohorts_stored_logistic" if logistic else "cohorts_stored",
                                {"from_day": from_day, "to_day": stored_to}))
        if to_day > st.last_day:
            lo = max(from_day, st.last_day + 1)
            _live(con, st, lo, to_day, logistic)
            parts.append(db.run(con, "cohorts_daily", {"from_day": lo, "to_day": to_day}))
        table = _with_date(pa.concat_tables([p.cast(parts[0].schema) for p in parts]))
        if qs:
            _live(con, st, from_day, to_day, logistic)
            table = _add_quantiles(con, table, qs)
        return table
    finally:
        db.register_arrow(con, "cohort_bands", cohort_table("hard"))
        st.reattach()   # put back the hard-split cohort_events view


def _live(con, st, from_day: int, to_day: int, logistic: bool) -> None:
    """cohort_live and cohort_transition for [from_day, to_day] of the registered cohort_bands."""
    if logistic:
        logistic_state.live(con, from_day, to_day, st.base_day)
    else:
        st.live_for_days(from_day, to_day)
        con.execute(db.sql_text("cohort_transition_empty"))


def _with_date(table: pa.Table) -> pa.Table:
    # date32 is days since 1970-01-01, the same numbering as the SQL day columns
    return table.set_column(0, "date", table["day"].cast(pa.int32()).cast(pa.date32()))


def _add_quantiles(con, table: pa.Table, qs: list[float]) -> pa.Table:
    qt = con.execute(db.sql_text("cohort_quantiles"), {"qs": [q / 100.0 for q in qs]}).fetchall()
    lookup = {(d, c, round(q * 100.0, 9)): p for d, c, q, p in qt}
    days = [(d - EPOCH).days for d in table["date"].to_pylist()]
    cohorts = table["cohort"].to_pylist()
    for q in qs:
        key = round(q, 9)
        col = [lookup.get((d, c, key)) for d, c in zip(days, cohorts)]
        table = table.append_column(quantile_column(q), pa.array(col, pa.float64()))
    return table


__all__ = ["cohort_series", "COHORTS", "parse_quantiles", "quantile_column"]
