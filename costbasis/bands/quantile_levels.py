"""Levels from supply-weighted creation-price quantiles of a cohort (STH by default).

p85 of STH supply is the price below which 85% of short-term holders' coins were
bought: above it almost all of them are in profit, below it most are not.
The quantile values themselves come from the engine (cohort_series(quantiles=...));
`weighted_quantile` is the same definition on a plain distribution.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from costbasis.bands.level import Level, point
from costbasis.quantiles import quantile_column

DEFAULT_QUANTILES = (75, 85, 95)


def quantile_levels(row: Mapping, quantiles: Sequence[float] = DEFAULT_QUANTILES, cohort: str = "sth") -> list[Level]:
    """One point level per requested percentile present (finite, positive) in the cohort's `row`."""
    out = []
    for q in quantiles:
        v = row.get(quantile_column(q))
        if v is None or not math.isfinite(v) or v <= 0:
            continue
        out.append(point(f"{cohort} p{q:g}", v, "quantile",
                         f"{cohort.upper()} p{q:g} cost basis ({q:g}% of {cohort.upper()} supply bought below)"))
    return out


def weighted_quantile(prices: Sequence[float], weights: Sequence[float], q: float) -> float:
    """Smallest price p with (supply priced <= p) >= q% of the supply (inverse CDF, no interpolation)."""
    p = np.asarray(prices, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    p, w = p[keep], w[keep]
    if p.size == 0:
        return math.nan
    order = np.argsort(p, kind="stable")
    p, cw = p[order], np.cumsum(w[order])
    i = int(np.searchsorted(cw, q / 100.0 * cw[-1] * (1 - 1e-12), side="left"))
    return float(p[min(i, p.size - 1)])
