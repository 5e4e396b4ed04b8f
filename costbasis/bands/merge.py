"""Merge point levels that nearly coincide, and say so.

Two cohorts with cost bases $89.8k and $90.0k are one line on a chart, so they are
reported as one band "$89.8k-$90.0k" whose note names both. Levels are taken in price
order; a level joins the current group while it lies within `merge_pct` percent above
the group's lowest price (so a group never spans more than merge_pct, however many
levels chain together). Only point sources (cohort, sth_sigma, quantile) are merged;
URPD clusters and air gaps are ranges and stay as they are.
"""

from __future__ import annotations

from typing import Iterable

from costbasis.bands.level import POINT_SOURCES, Level, usd_short

DEFAULT_MERGE_PCT = 0.5


def _join_sources(levels: list[Level]) -> str:
    seen: list[str] = []
    for lv in levels:
        for s in lv.source.split("+"):
            if s not in seen:
                seen.append(s)
    return "+".join(seen)


def merge_group(group: list[Level]) -> Level:
    if len(group) == 1:
        return group[0]
    members = tuple(f"{lv.name} {usd_short(lv.low_usd)}" for lv in group)
    names = [lv.name for lv in group]
    if all(lv.source == "cohort" for lv in group):
        what = f"{' + '.join(names)} holders' cost basis"
    else:
        what = " / ".join(lv.what for lv in group)
    return Level(
        name=" + ".join(names),
        low_usd=min(lv.low_usd for lv in group),
        high_usd=max(lv.high_usd for lv in group),
        source=_join_sources(group),
        what=what,
        merged_from=members,
    )


def merge_levels(levels: Iterable[Level], merge_pct: float = DEFAULT_MERGE_PCT) -> list[Level]:
    """Point levels within merge_pct of each other become one band; other levels pass through."""
    levels = list(levels)
    points = sorted((lv for lv in levels if lv.source in POINT_SOURCES and lv.is_point), key=lambda lv: lv.low_usd)
    others = [lv for lv in levels if not (lv.source in POINT_SOURCES and lv.is_point)]
    out: list[Level] = []
    group: list[Level] = []
    for lv in points:
        if group and lv.low_usd <= group[0].low_usd * (1 + merge_pct / 100):
            group.append(lv)
            continue
        if group:
            out.append(merge_group(group))
        group = [lv]
    if group:
        out.append(merge_group(group))
    return sorted(out + others, key=lambda lv: (lv.mid_usd, lv.name))
