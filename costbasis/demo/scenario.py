"""The default demo scenario: a January-2026-shaped market.

Shape (not the exact figures of any article): a long pre-history that gives old coins,
a run-up to a top, a slide, fresh buyers accumulating near 90k, a bounce, whales depositing
to spot exchanges on two days five days apart, and a final drop below the young cohorts'
cost basis. Anchors are fractions of the active window so any --days keeps the shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY = 86400

# The last TAIL_DAYS are fixed in days before the end, so the young cohorts (1d-1w, 1w-1m,
# 1m-3m) always see the same story: consolidation near 90k, a bounce, the drop.
TAIL_DAYS = 40
TAIL_ANCHORS = [(40, 91_500), (30, 88_500), (20, 90_500), (12, 89_500), (7, 96_500), (4, 93_000), (0, 86_800)]
# The head (run-up, top, slide) stretches over the rest: (fraction of the head, price USD).
HEAD_ANCHORS = [(0.00, 108_000), (0.25, 124_000), (0.40, 121_000), (0.80, 86_000), (1.00, 91_500)]
MIN_DAYS = TAIL_DAYS + 10
# Pre-history anchors (absolute dates) so long-term cohorts have coins and prices.
PRE_ANCHORS = [
    (date(2019, 1, 1), 3_800), (date(2020, 3, 15), 5_400), (date(2021, 4, 14), 63_000),
    (date(2022, 11, 20), 16_300), (date(2024, 3, 14), 72_000), (date(2024, 12, 17), 106_000),
    (date(2025, 4, 8), 77_000),
]
# The active window must start after the last pre-history anchor (the price path joins them in
# date order; an earlier start would put the join point before the anchors and scramble the path).
MAX_DAYS = (date(2026, 1, 22) - PRE_ANCHORS[-1][0]).days


@dataclass(frozen=True)
class Scenario:
    seed: int = 7
    days: int = 120
    end: date = date(2026, 1, 22)
    pre_start: date = date(2019, 1, 1)
    pre_blocks: int = 330           # > 2 halvings (regtest halves every 150): most supply is old
    blocks_per_day: int = 8
    holders: int = 80
    whales: int = 3
    exchanges: tuple = ("ExchangeA", "ExchangeB")
    whale_deposit_btc: tuple = (1_400, 1_100)   # the two deposit days, in that order
    whale_gap_days: int = 5
    noise: float = 0.012

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def whale_days(self) -> tuple[date, date]:
        second = self.end - timedelta(days=2)
        return second - timedelta(days=self.whale_gap_days), second

    def active_dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def _interp_log(x: float, xs: list[float], ys: list[float]) -> float:
    return math.exp(float(np.interp(x, xs, np.log(ys))))


def price_path(sc: Scenario) -> list[tuple[date, float]]:
    """Deterministic daily close prices from pre_start to end (seeded noise on a log path)."""
    rng = np.random.default_rng(sc.seed)
    out = []
    d = sc.pre_start
    pre_x = [(a - sc.pre_start).days for a, _ in PRE_ANCHORS]
    pre_y = [p for _, p in PRE_ANCHORS]
    # join the pre-history smoothly into the first active anchor
    pre_x.append((sc.start - sc.pre_start).days)
    pre_y.append(HEAD_ANCHORS[0][1])
    ax, ay = active_anchors(sc)
    while d <= sc.end:
        if d < sc.start:
            base = _interp_log((d - sc.pre_start).days, pre_x, pre_y)
            noise = sc.noise * 2
        else:
            base = _interp_log((d - sc.start).days, ax, ay)
            noise = sc.noise
        last_day = d == sc.end
        p = base * (1.0 if last_day else math.exp(rng.normal(0, noise)))
        out.append((d, round(p, 2)))
        d += timedelta(days=1)
    return out


def active_anchors(sc: Scenario) -> tuple[list[float], list[float]]:
    """Anchor x (days since the first active day) and y (price) for the whole active window."""
    head = sc.days - 1 - TAIL_DAYS
    xs = [f * head for f, _ in HEAD_ANCHORS[:-1]] + [sc.days - 1 - b for b, _ in TAIL_ANCHORS]
    ys = [p for _, p in HEAD_ANCHORS[:-1]] + [p for _, p in TAIL_ANCHORS]
    return xs, ys


def top_day(sc: Scenario) -> int:
    """Days since the first active day of the scenario's top."""
    return round(HEAD_ANCHORS[1][0] * (sc.days - 1 - TAIL_DAYS))

