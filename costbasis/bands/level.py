"""A price level (or range) before it is classified against the current price."""

from __future__ import annotations

from dataclasses import dataclass

# Values of the `source` column. A merged level joins its members' sources with "+".
SOURCES = ("cohort", "sth_sigma", "quantile", "urpd_cluster", "air_gap")
# Sources that give a single price; only these are merged when they nearly coincide
# (clusters and air gaps are ranges by construction and keep their own extent).
POINT_SOURCES = ("cohort", "sth_sigma", "quantile")


@dataclass(frozen=True)
class Level:
    name: str        # short label, e.g. "1w-1m", "sth +1σ", "sth p85", "cluster 88.1k-91.3k"
    low_usd: float
    high_usd: float
    source: str      # one of SOURCES, or "a+b" after a merge
    what: str        # what the level is, without the price-relative clause: "1w-1m holders' cost basis"
    merged_from: tuple[str, ...] = ()   # "name $price" of each member when this level is a merge
    sigma_k: int | None = None          # k of an STH ±σ level (its note depends on the sign)

    @property
    def mid_usd(self) -> float:
        return (self.low_usd + self.high_usd) / 2

    @property
    def is_point(self) -> bool:
        return self.low_usd == self.high_usd


def point(name: str, price: float, source: str, what: str, sigma_k: int | None = None) -> Level:
    return Level(name, float(price), float(price), source, what, sigma_k=sigma_k)


def usd_short(v: float) -> str:
    """$89.9k, $1.25M, $12.30 — compact prices for names and notes."""
    a = abs(v)
    if a >= 1e6:
        return f"${v / 1e6:,.2f}M"
    if a >= 1e4:
        return f"${v / 1e3:,.1f}k"
    if a >= 100:
        return f"${v:,.0f}"
    return f"${v:,.2f}"
