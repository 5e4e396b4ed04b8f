"""How the brief writes numbers: $86,800 for prices, $543.9M / $1.19B for flows, signed where a sign matters."""

from __future__ import annotations


def usd(v: float, signed: bool = False) -> str:
    sign = ("+" if v > 0 else "−" if v < 0 else "") if signed else ("−" if v < 0 else "")
    a = abs(v)
    for div, unit in ((1e9, "B"), (1e6, "M")):
        if a >= div:
            return f"{sign}${a / div:,.{2 if unit == 'B' else 1}f}{unit}"
    return f"{sign}${a:,.0f}"


def price(v: float) -> str:
    return f"${v:,.0f}"


def btc(v: float, signed: bool = False) -> str:
    sign = ("+" if v > 0 else "−" if v < 0 else "") if signed else ("−" if v < 0 else "")
    return f"{sign}{abs(v):,.0f} BTC" if abs(v) >= 100 else f"{sign}{abs(v):,.2f} BTC"


def pct(v: float, digits: int = 1) -> str:
    return f"{'+' if v > 0 else '−' if v < 0 else ''}{abs(v):.{digits}f}%"


def signed(v: float, digits: int = 2) -> str:
    """-0.52 -> '−0.52', 0.3 -> '+0.30' (the typographic minus, as the other figures)."""
    return f"{'+' if v > 0 else '−' if v < 0 else ''}{abs(v):.{digits}f}"
