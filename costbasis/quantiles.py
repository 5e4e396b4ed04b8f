"""Percentiles: how `--quantiles` is read and how a percentile names its column, in one place.

`costbasis cohorts --quantiles 5,25,50` adds columns p5_usd, p25_usd, p50_usd; `costbasis bands
--quantiles 75,85,95` adds the STH levels "sth p75" ... read from those same columns.
"""

from __future__ import annotations

from typing import Sequence

from costbasis import limits
from costbasis.errors import UsageError


def _percents(quantiles, example: str) -> list[float]:
    """Each item a percent strictly between 0 and 100, in the order given."""
    items = [s for s in quantiles.split(",") if s.strip()] if isinstance(quantiles, str) else list(quantiles)
    out = []
    for it in items:
        try:
            q = float(str(it).strip())
        except (TypeError, ValueError):
            raise UsageError(f"--quantiles: {it!r} is not a number (use percents such as {example})") from None
        if not 0 < q < 100:
            raise UsageError(f"--quantiles: {it!r} must be strictly between 0 and 100 (percent)")
        out.append(q)
    return out


def parse_quantiles(quantiles) -> list[float]:
    """Cohort percentiles: '5,25,50' or [5, 25, 50] (percent) -> sorted, unique."""
    if quantiles is None or quantiles == "" or quantiles == []:
        return []
    return sorted(set(_percents(quantiles, "5,25,50,75,95")))


def parse_quantile_list(text: str | Sequence[float]) -> tuple[float, ...]:
    """Band percentiles from "75,85,95" (or a sequence), in the order given, duplicates dropped
    (75,75 would list the same level twice, merged with itself); names checked (limits)."""
    out: list[float] = []
    for q in _percents(text, "75,85,95"):
        if q not in out:
            out.append(q)
    limits.check_quantile_names(out)
    return tuple(out)


def quantile_column(q: int | float) -> str:
    """Column name of percentile q: p75_usd, p99_5_usd."""
    return "p" + f"{q:g}".replace(".", "_") + "_usd"
