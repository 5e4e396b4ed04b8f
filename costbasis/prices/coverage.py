"""Coverage of a stored price series: first/last date, count, and the missing-date gaps."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa


def coverage(prices: pa.Table) -> dict:
    dates = prices["date"].to_pylist()
    gaps = []
    for a, b in zip(dates, dates[1:]):
        if (b - a).days > 1:
            gaps.append((a + timedelta(days=1), b - timedelta(days=1)))
    return {
        "first_date": dates[0], "last_date": dates[-1], "dates": len(dates),
        "missing_dates": sum((g[1] - g[0]).days + 1 for g in gaps), "gaps": gaps,
        "min_price_usd": min(prices["price_usd"].to_pylist()), "max_price_usd": max(prices["price_usd"].to_pylist()),
    }
