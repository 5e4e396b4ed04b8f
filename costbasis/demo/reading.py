"""A short plain-text reading of the situation, built only from engine outputs."""

from __future__ import annotations

import pyarrow as pa

from costbasis.flows.whales import whale_summary

YOUNG = ("1d-1w", "1w-1m")


def k(v: float) -> str:
    """90012.3 -> '90.0k' (how analysts write prices)."""
    return f"{v / 1000:.1f}k" if abs(v) >= 1000 else f"{v:,.0f}"


def _side(level: float, price: float) -> str:
    return "overhead" if level > price else "below (support)"


def reading(cohorts: pa.Table, bands: pa.Table, whales: pa.Table) -> str:
    last = max(cohorts["date"].to_pylist())
    rows = {r["cohort"]: r for r in cohorts.to_pylist() if r["date"] == last}
    price = rows["all"]["price_usd"]
    parts = []
    young = [rows[c]["realized_price_usd"] for c in YOUNG if rows.get(c) and rows[c]["realized_price_usd"]]
    if young:
        lo, hi = min(young), max(young)
        span = k(lo) if k(lo) == k(hi) else f"{k(lo)}-{k(hi)}"
        where = "below" if price < lo else "above" if price > hi else "inside"
        parts.append(f"price {k(price)} is {where} the {'/'.join(YOUNG)} cost basis {span}")
    else:
        parts.append(f"price {k(price)}")
    m = rows.get("1m-3m")
    if m and m["realized_price_usd"]:
        parts.append(f"1m-3m cost basis {k(m['realized_price_usd'])} {_side(m['realized_price_usd'], price)}")
    s = rows.get("sth")
    if s and s["realized_price_usd"]:
        parts.append(f"STH realized price {k(s['realized_price_usd'])} {_side(s['realized_price_usd'], price)}")
    text = "; ".join(parts)
    support = [r for r in bands.to_pylist() if r["kind"] == "support"]
    if support:
        best = max(support, key=lambda r: r["high_usd"])
        lo, hi = k(best["low_usd"]), k(best["high_usd"])
        text += f"; nearest support {best['name']} at {lo if lo == hi else lo + '-' + hi}"
    text += "; " + whale_summary(whales)
    return text + "."
