"""Levels from cohort realized prices: the age bands, STH and LTH.

A cohort's realized price is the average price at which its live coins last moved;
holders are in profit above it and underwater below it, which is why price tends
to react there.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from costbasis.bands.level import Level, point

# Age bands used as levels. "<1d" is left out on purpose: coins moved today were
# priced at (about) today's price, so that "level" is the price itself, not a band.
AGE_BANDS = ("1d-1w", "1w-1m", "1m-3m", "3m-6m", "6m-12m", "1y-2y", "2y-3y", "3y-5y",
             "5y-7y", "7y-10y", ">10y")
LEVEL_COHORTS = AGE_BANDS + ("sth", "lth")

_WHAT = {
    "sth": "short-term holders' cost basis (STH realized price)",
    "lth": "long-term holders' cost basis (LTH realized price)",
}


def what_for(cohort: str) -> str:
    return _WHAT.get(cohort, f"{cohort} holders' cost basis")


def cohort_levels(rows: Iterable[Mapping], cohorts: tuple[str, ...] = LEVEL_COHORTS,
                  supply_column: str = "supply_btc") -> list[Level]:
    """One point level per cohort in `cohorts` with supply and a finite positive realized price.

    `rows`: one date's cohort rows, each with `cohort`, `realized_price_usd` and the supply in
    `supply_column` (`supply_btc` on Bitcoin, `supply` on EVM chains).
    """
    out = []
    by_name = {r["cohort"]: r for r in rows}
    for c in cohorts:
        r = by_name.get(c)
        if r is None:
            continue
        rp, supply = r.get("realized_price_usd"), r.get(supply_column)
        if rp is None or supply is None or not supply > 0 or not math.isfinite(rp) or rp <= 0:
            continue
        out.append(point(c, rp, "cohort", what_for(c)))
    return out
