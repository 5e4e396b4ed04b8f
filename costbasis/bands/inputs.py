"""The thin layer between an engine session (costbasis.engine.session) and the pure band code:
one day's (or a range of days') cohort rows, STH-MVRV window and live cost-basis distribution.

The session is of either chain family; the rows keep its supply column (`session.supply_column`:
`supply_btc` on Bitcoin, `supply` on EVM), which the band tables then carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import numpy as np
import pyarrow as pa

from costbasis.dates import day_to_date, parse_date, parse_range, today_day
from costbasis.errors import CostbasisError, UsageError

# The STH-MVRV window looks back this many days; 100 years covers any chain and keeps the
# date arithmetic (day - window) inside Python's date range.
MAX_WINDOW_DAYS = 36_525


def _today() -> date:
    return day_to_date(today_day())


def check_window(window: int) -> int:
    if not 2 <= window <= MAX_WINDOW_DAYS:
        raise UsageError(f"--window must be between 2 and {MAX_WINDOW_DAYS} days, got {window}")
    return int(window)


@dataclass
class DayInputs:
    date: date
    chain: str
    price: float | None                 # that day's price (engine's price_usd of cohort "all")
    cohort_rows: list[dict]             # one row per cohort for the day
    sth_mvrv_window: list[float]        # STH-MVRV of the `window` days ending on the day
    dist_prices: np.ndarray | None = None   # live supply by creation price (None when not fetched)
    dist_supply: np.ndarray | None = None
    supply_column: str = "supply_btc"   # the family's supply column in cohort_rows (and the band table)


def _days_from_table(t: pa.Table, s, first: date, last: date, window: int) -> list[DayInputs]:
    rows = t.to_pylist()
    by_date: dict[date, list[dict]] = {}
    for r in rows:
        by_date.setdefault(r["date"], []).append(r)
    dates = sorted(by_date)
    sth_mvrv = {d: next((r.get("mvrv") for r in by_date[d] if r["cohort"] == "sth"), None) for d in dates}
    out = []
    for d in dates:
        if d < first or d > last:
            continue
        start = d - timedelta(days=window - 1)
        win = [sth_mvrv[x] for x in dates if start <= x <= d and sth_mvrv[x] is not None]
        price = next((r.get("price_usd") for r in by_date[d] if r["cohort"] == "all"), None)
        out.append(DayInputs(d, s.chain, price, by_date[d], win, supply_column=s.supply_column))
    return out


def _check_range(session, first: date, last: date) -> date:
    if first > session.last_date:
        raise CostbasisError(f"--from {first} is after the last stored day {session.last_date} of {session.chain}")
    if last < session.first_date:
        raise CostbasisError(f"--to {last} is before the first stored day {session.first_date} of {session.chain}")
    return min(last, session.last_date)


def session_days(s, date_from, date_to, window: int, quantiles: Sequence[float],
                 with_distribution: bool = True, progress=None) -> list[DayInputs]:
    """Day inputs for [date_from, date_to] from an open session (costbasis.engine.session)."""
    check_window(window)
    _, f, t = parse_range(None, date_from, date_to)   # --from after --to is refused there
    if f is None or t is None:
        raise UsageError("--from and --to are both needed for a range")
    first, last = day_to_date(f), day_to_date(t)
    last = _check_range(s, first, last)
    first = max(first, s.first_date)
    t = s.cohort_table(first - timedelta(days=window - 1), last, quantiles)
    days = _days_from_table(t, s, first, last, window)
    if not days:
        raise CostbasisError(f"no cohort data for {s.chain} between {first} and {last}")
    if with_distribution:
        for i, d in enumerate(days):
            d.dist_prices, d.dist_supply = s.distribution(d.date)
            if progress:
                progress(i + 1, len(days))
    return days


def session_day(s, asof, window: int, quantiles: Sequence[float], with_distribution: bool = True) -> DayInputs:
    """Day inputs for `asof` (default: the last stored day) from an open session."""
    check_window(window)
    day = parse_date(asof)
    if day is None:
        day = s.last_date
    elif day > max(s.last_date, _today()):
        # past the last block coins only age (as `costbasis cohorts --asof` computes), but a
        # date after today is a typo, not a question
        raise CostbasisError(f"--asof {day} is after today ({_today()}); the last stored day of {s.chain} "
                             f"is {s.last_date}")
    elif day < s.first_date:
        raise CostbasisError(f"--asof {day} is before the first stored day {s.first_date} of {s.chain}")
    # the window only needs each day's STH-MVRV; quantiles (a creation-price distribution per day
    # and cohort, the costly part) are needed for `day` alone
    t = s.cohort_table(day - timedelta(days=window - 1), day, [])
    days = _days_from_table(t, s, day, day, window)
    if not days:
        raise CostbasisError(f"no cohort data for {s.chain} on {day}")
    d = days[0]
    if quantiles:
        d.cohort_rows = _days_from_table(s.cohort_table(day, day, quantiles), s, day, day, 1)[0].cohort_rows
    if with_distribution:
        d.dist_prices, d.dist_supply = s.distribution(d.date)
    return d
