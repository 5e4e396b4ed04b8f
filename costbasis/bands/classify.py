"""Place a level against a price: kind, signed distance, supply inside, and the note."""

from __future__ import annotations

import numpy as np

from costbasis.bands.level import Level, usd_short

SUPPORT, RESISTANCE, AT_PRICE = "support", "resistance", "at_price"

# A single-price level holds no supply exactly at its price, so the supply reported
# for it is the supply created within ±POINT_TOLERANCE_PCT of that price.
POINT_TOLERANCE_PCT = 0.5


def kind_of(low: float, high: float, price: float) -> str:
    if high < price:
        return SUPPORT
    if low > price:
        return RESISTANCE
    return AT_PRICE


def distance_pct(low: float, high: float, price: float) -> float:
    """Signed % from the price to the nearest edge: negative for support, 0 inside."""
    if high < price:
        return (high - price) / price * 100
    if low > price:
        return (low - price) / price * 100
    return 0.0


class SupplyIndex:
    """Supply by creation price, sorted once so each band's supply is two binary searches."""

    def __init__(self, prices, supply):
        p = np.asarray(prices, dtype=float)
        w = np.asarray(supply, dtype=float)
        keep = np.isfinite(p) & np.isfinite(w)
        order = np.argsort(p[keep], kind="stable")
        self.prices = p[keep][order]
        self.cum = np.concatenate([[0.0], np.cumsum(w[keep][order])])

    def between(self, low: float, high: float, point_tolerance_pct: float = POINT_TOLERANCE_PCT) -> float:
        """Supply with low <= creation price <= high (widened by the tolerance when low == high)."""
        if low == high:
            low, high = low * (1 - point_tolerance_pct / 100), high * (1 + point_tolerance_pct / 100)
        i = np.searchsorted(self.prices, low, side="left")
        j = np.searchsorted(self.prices, high, side="right")
        return float(self.cum[j] - self.cum[i])


_HOLDERS = {SUPPORT: "above it they are in profit, a line buyers defend",
            RESISTANCE: "below it they are underwater and tend to sell into rallies to break even",
            AT_PRICE: "price is at it: these holders are at break-even"}
_CLUSTER = {SUPPORT: "much supply bought here is in profit; buyers tend to defend it",
            RESISTANCE: "much supply bought here is underwater; sellers wait to break even",
            AT_PRICE: "price is inside: much supply is at break-even here"}


def _sigma_clause(k: int | None, kind: str) -> str:
    if kind == AT_PRICE:
        return "price is at it"
    if k is None or k == 0:
        return ("price is above STH holders' usual premium" if kind == SUPPORT
                else "price is below STH holders' usual premium")
    if k > 0:
        return ("price is above it: STH profits unusually high (overheated)" if kind == SUPPORT
                else "upper edge of STH holders' usual range; rallies tend to stall here")
    return ("lower edge of STH holders' usual range; sell-offs tend to stop here" if kind == SUPPORT
            else "price is below it: STH losses unusually deep (capitulation zone)")


def _clause(level: Level, kind: str) -> str:
    sources = level.source.split("+")
    if "air_gap" in sources:
        return "little supply changed hands here, so price tends to move through it quickly"
    if "urpd_cluster" in sources:
        return _CLUSTER[kind]
    if sources == ["sth_sigma"]:
        return _sigma_clause(level.sigma_k, kind)
    return _HOLDERS[kind]


def note_for(level: Level, kind: str, merge_pct: float) -> str:
    lo, hi = usd_short(level.low_usd), usd_short(level.high_usd)
    if level.is_point:
        rng = lo
    elif lo == hi:  # too close for the short form
        rng = f"${level.low_usd:,.0f}-${level.high_usd:,.0f}"
    else:
        rng = f"{lo}-{hi}"
    head = f"{level.what} {rng}"
    if level.merged_from:
        head += f" (merged, within {merge_pct:g}%: {', '.join(level.merged_from)})"
    return f"{head}; {_clause(level, kind)}"
