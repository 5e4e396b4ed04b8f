"""`costbasis events`: an event study on the user's own store.

For every past signal day, the forward price return at each horizon (and, where imported, ETF net
flows and long/short liquidations over the same horizon), then mean, median, share negative and
count, with the same statistics over all days of the range as the baseline
(sql/context/event_returns.sql, event_stats.sql). Signals:

- whale_deposit: a whales signal day (deposit USD z-score >= --z against the trailing --window days);
- netflow_spike: a day of net exchange inflow whose z-score against the trailing window is >= --z
  (sql/context/netflow_spikes.sql);
- sth_cross_down / sth_cross_up: the price closes below / at or above the STH realized price after
  closing on the other side the day before (sql/context/sth_crosses.sql);
- etf_outflow_streak: the session completing --streak consecutive spot-ETF outflow sessions
  (sql/context/etf_streaks.sql).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from costbasis.engine import budget
from costbasis.dates import EPOCH, fmt_day, parse_day
from costbasis.engine.db import register_arrow, run
from costbasis.errors import CostbasisError, UsageError

SIGNALS = ("whale_deposit", "netflow_spike", "sth_cross_down", "sth_cross_up", "etf_outflow_streak")
MAX_HORIZON = 3650
MIN_PERIODS = 2
CONTEXT_METRICS = {"etf_usd": "etf_flow_total_usd", "long_usd": "long_liquidations_usd",
                   "short_usd": "short_liquidations_usd"}


def parse_horizons(text: str) -> list[int]:
    out = []
    for s in str(text).split(","):
        s = s.strip()
        if not s:
            continue
        if not s.isdigit() or not 1 <= int(s) <= MAX_HORIZON:
            raise UsageError(f"--horizons: {s!r} is not a whole number of days from 1 to {MAX_HORIZON}")
        if int(s) not in out:
            out.append(int(s))
    if not out:
        raise UsageError("--horizons: give at least one horizon in days, e.g. 1,3,7,30")
    return sorted(out)


def _con(store):
    return budget.open_duckdb(getattr(store, "root", None))


def event_study(prices: dict[int, float], signal_days, horizons, from_day: int, to_day: int,
                context: pa.Table | None = None, store=None) -> tuple[pa.Table, pa.Table]:
    """(statistics per horizon for signal and baseline, the signal days' rows). `prices`: UTC day ->
    close; `context`: (day, etf_usd, long_usd, short_usd), one row per covered day."""
    con = _con(store)
    try:
        days = sorted(prices)
        register_arrow(con, "event_prices", pa.table({"day": pa.array(days, pa.int64()),
                                                      "price": pa.array([prices[d] for d in days], pa.float64())}))
        register_arrow(con, "event_horizons", pa.table({"horizon": pa.array(list(horizons), pa.int64())}))
        register_arrow(con, "event_signals", pa.table({"day": pa.array(sorted(set(signal_days)), pa.int64())}))
        if context is None:
            context = pa.table({"day": pa.array([], pa.int64()), **{k: pa.array([], pa.float64()) for k in CONTEXT_METRICS}})
        register_arrow(con, "event_context", context)
        con.execute(_sql("event_returns"), {"from_day": from_day, "to_day": to_day})
        stats = run(con, "event_stats")
        listing = run(con, "event_list")
    finally:
        con.close()
    listing = listing.set_column(0, "date", listing["day"].cast(pa.int32()).cast(pa.date32()))
    return stats, listing


def _sql(name: str) -> str:
    from costbasis.engine.db import sql_text
    return sql_text(name)


def _prices(store, asset: str) -> dict[int, float]:
    from costbasis.prices import load_prices

    t = load_prices(store, asset)
    return {(d - EPOCH).days: p for d, p in zip(t["date"].to_pylist(), t["price_usd"].to_pylist())}


def context_days(store, from_day: int | None = None, to_day: int | None = None) -> pa.Table | None:
    """One row per day covered by the imported ETF/liquidation series (0 on a covered day without rows)."""
    from costbasis.context import catalog

    index = catalog.metric_index(store)
    cols: dict[str, dict[int, float]] = {}
    for col, metric in CONTEXT_METRICS.items():
        holders = sorted(index.get(metric, []))
        if holders:
            vals = _best(store, holders, metric, from_day, to_day)
            if vals:
                lo, hi = min(vals), max(vals)
                cols[col] = {d: vals.get(d, 0.0) for d in range(lo, hi + 1)}
    if not cols:
        return None
    days = sorted(set().union(*[set(v) for v in cols.values()]))
    return pa.table({"day": pa.array(days, pa.int64()),
                     **{c: pa.array([cols.get(c, {}).get(d) for d in days], pa.float64()) for c in CONTEXT_METRICS}})


def signal_days(store, chain: str | None, signal: str, from_day: int | None, to_day: int | None,
                min_btc: float = 100, window: int = 30, z: float = 2.0, streak: int = 2,
                asset: str = "BTC") -> tuple[list[int], int, int]:
    """(signal days, first and last day the signal can be computed on)."""
    if signal not in SIGNALS:
        raise UsageError(f"unknown --signal {signal!r}; use one of {', '.join(SIGNALS)}")
    f = None if from_day is None else EPOCH.fromordinal(EPOCH.toordinal() + from_day)
    t = None if to_day is None else EPOCH.fromordinal(EPOCH.toordinal() + to_day)
    if signal == "whale_deposit":
        from costbasis.flows.whales import whale_signals
        w = whale_signals(store, chain, f, t, min_btc=min_btc, window=window, z=z)
        rows = w.to_pylist()
        return [_d(r["date"]) for r in rows if r["signal"]], *_span([_d(r["date"]) for r in rows])
    if signal == "netflow_spike":
        from costbasis.flows.flows import exchange_flows
        fl = exchange_flows(store, chain, f, t)
        days = [_d(d) for d in fl["date"].to_pylist()]
        got = _run_one("netflow_spikes", {"netflow_days": pa.table({"day": pa.array(days, pa.int64()),
                                                                    "netflow": fl["netflow_btc"]})},
                       {"window": int(window), "min_periods": MIN_PERIODS, "z": float(z)}, store)
        return [d for d, s in zip(got["day"].to_pylist(), got["signal"].to_pylist()) if s], *_span(days)
    if signal in ("sth_cross_down", "sth_cross_up"):
        from costbasis.engine import api
        c = api.cohorts(store, chain, date_from=f, date_to=t, asset=asset, cohort="sth")
        days = [_d(d) for d in c["date"].to_pylist()]
        got = _run_one("sth_crosses", {"sth_days": pa.table({"day": pa.array(days, pa.int64()), "price": c["price_usd"],
                                                            "realized_price": c["realized_price_usd"]})}, {}, store)
        want = signal.rsplit("_", 1)[1]
        return [d for d, x in zip(got["day"].to_pylist(), got["cross"].to_pylist()) if x == want], *_span(days)
    return _etf_streak_days(store, from_day, to_day, streak)


def _etf_streak_days(store, from_day, to_day, streak):
    from costbasis.context import catalog

    holders = sorted(catalog.metric_index(store).get("etf_flow_total_usd", []))
    if not holders:
        raise CostbasisError("--signal etf_outflow_streak needs spot-ETF flows: import a Farside table or CoinGlass "
                             "ETF JSON with `costbasis context import` first")
    vals = _best(store, holders, "etf_flow_total_usd", from_day, to_day)
    days = sorted(d for d in vals if (from_day is None or d >= from_day) and (to_day is None or d <= to_day))
    if not days:
        raise CostbasisError("no ETF sessions in that range")
    got = _run_one("etf_streaks", {"etf_sessions": pa.table({"day": pa.array(days, pa.int64()),
                                                             "usd": pa.array([vals[d] for d in days], pa.float64())})},
                   {}, store)
    return [d for d, s in zip(got["day"].to_pylist(), got["streak"].to_pylist()) if s == streak], days[0], days[-1]


def _best(store, holders: list[str], metric: str, from_day, to_day) -> dict[int, float]:
    """The day values of the series (among several holding `metric`) with the most days in the range."""
    from costbasis.context.query import day_values

    def inside(vals):
        return sum(1 for d in vals if (from_day is None or d >= from_day) and (to_day is None or d <= to_day))

    options = [day_values(store, h, metric) for h in holders]
    return max(options, key=inside)


def _run_one(name: str, views: dict, params: dict, store) -> pa.Table:
    con = _con(store)
    try:
        for k, v in views.items():
            register_arrow(con, k, v)
        return run(con, name, params)
    finally:
        con.close()


def _d(d: date) -> int:
    return (d - EPOCH).days


def _span(days: list[int]) -> tuple[int, int]:
    if not days:
        raise CostbasisError("no days with data for that signal in the range")
    return min(days), max(days)


def events(store, signal: str, horizons=(1, 3, 7, 30), chain: str | None = None, date_from=None, date_to=None,
           asset: str = "BTC", min_btc: float = 100, window: int = 30, z: float = 2.0, streak: int = 2,
           listing: bool = False) -> pa.Table:
    f, t = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    if f is not None and t is not None and f > t:
        raise UsageError(f"--from {date_from} is after --to {date_to}")
    if streak < 1:
        raise UsageError("--streak must be at least 1 session")
    days, lo, hi = signal_days(store, chain, signal, f, t, min_btc, window, z, streak, asset)
    prices = _prices(store, asset)
    if not prices:
        raise CostbasisError(f"no {asset} prices stored; run `costbasis prices import FILE` first")
    # the range: where the signal is defined, inside --from/--to and the price series
    lo = max(lo, f if f is not None else lo, min(prices))
    hi = min(hi, t if t is not None else hi, max(prices))
    if lo > hi:
        raise CostbasisError(f"the {signal} days and the {asset} prices do not overlap")
    days = [d for d in days if lo <= d <= hi]
    stats, rows = event_study(prices, days, horizons, lo, hi, context_days(store, lo, hi), store)
    if listing:
        return rows.replace_schema_metadata({"signal": signal, "from": fmt_day(lo), "to": fmt_day(hi),
                                             "signal_days": str(len(days))})
    meta = {"signal": signal, "from": fmt_day(lo), "to": fmt_day(hi), "signal_days": str(len(days))}
    return stats.replace_schema_metadata(meta)
