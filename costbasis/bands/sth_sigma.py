"""STH cost-basis bands: RP_sth × (mean + k·sd of STH-MVRV over a trailing window).

STH-MVRV = price / RP_sth. Its mean and standard deviation over the window say how far
above or below their cost basis short-term holders usually sit; multiplying back by
today's RP_sth turns that into prices. The standard deviation is the sample one
(ddof=1). Days with a missing MVRV (no STH supply yet) are skipped.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from costbasis.bands.level import Level, point

DEFAULT_KS = (-2, -1, 0, 1, 2)


def level_name(k: int) -> str:
    return "sth mean" if k == 0 else f"sth {k:+d}σ"


def mvrv_stats(mvrv: Sequence[float]) -> tuple[float, float] | None:
    """(mean, sample sd) of the finite values, or None with fewer than two."""
    a = np.asarray([v for v in mvrv if v is not None], dtype=float)
    a = a[np.isfinite(a)]
    if a.size < 2:
        return None
    return float(a.mean()), float(a.std(ddof=1))


def sigma_prices(rp_sth: float, mvrv_window: Sequence[float], ks: Sequence[int] = DEFAULT_KS) -> dict[int, float]:
    """{k: RP_sth × (mean + k·sd)} for the MVRV values of the window; {} when undefined."""
    stats = mvrv_stats(mvrv_window)
    if stats is None or rp_sth is None or not math.isfinite(rp_sth) or rp_sth <= 0:
        return {}
    mean, sd = stats
    return {k: rp_sth * (mean + k * sd) for k in ks}


def sth_sigma_levels(rp_sth: float, mvrv_window: Sequence[float], window_days: int,
                     ks: Sequence[int] = DEFAULT_KS) -> list[Level]:
    """Point levels for each k; levels that come out non-positive (k very negative) are dropped."""
    out = []
    n = sum(1 for v in mvrv_window if v is not None and math.isfinite(v))
    for k, p in sigma_prices(rp_sth, mvrv_window, ks).items():
        if p <= 0:
            continue
        what = (f"STH cost basis × mean STH-MVRV ({n}d)" if k == 0
                else f"STH cost basis × (mean {k:+d}sd of STH-MVRV, {n}d)")
        out.append(point(level_name(k), p, "sth_sigma", what, sigma_k=k))
    return out


def rolling_sigma_bands(rp_sth: Sequence[float], mvrv: Sequence[float], window_days: int,
                        ks: Sequence[int] = DEFAULT_KS) -> dict[int, np.ndarray]:
    """Per-day band prices for a daily series (consecutive days): the window ending each day.

    Used for charts and per-day output; a day gets NaN until its window holds two MVRV values.
    """
    rp = np.asarray([np.nan if v is None else v for v in rp_sth], dtype=float)
    m = np.asarray([np.nan if v is None else v for v in mvrv], dtype=float)
    out = {k: np.full(rp.size, np.nan) for k in ks}
    for i in range(rp.size):
        prices = sigma_prices(rp[i], m[max(0, i - window_days + 1): i + 1], ks)
        for k, p in prices.items():
            out[k][i] = p
    return out
