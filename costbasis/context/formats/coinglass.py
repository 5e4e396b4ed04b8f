"""CoinGlass exports (API v4 pulls saved as CSV, or the same records as JSON): `time` in ms or s and

- liquidations: (aggregated_)long_liquidation_usd, (aggregated_)short_liquidation_usd
  -> long_liquidations_usd, short_liquidations_usd [sum, USD];
- taker volume: (aggregated_)buy_volume_usd, (aggregated_)sell_volume_usd
  -> taker_buy_usd, taker_sell_usd, net_taker_usd = buy - sell [sum, USD];
- open interest OHLC (USD) -> open_interest_usd [last] and open_interest_usd_open/high/low;
- funding-rate OHLC (% per interval) -> funding_rate_pct [last] and funding_rate_pct_open/high/low;
- Coinbase premium: premium, premium_rate -> coinbase_premium_usd, coinbase_premium_rate_pct [last].

An OHLC file is funding or open interest by its file name (`funding`, `open_interest`/`oi`) or
`--kind funding`; otherwise by magnitude (|close| < 10: a rate in %, > 1e6: open interest in USD).
"""

from __future__ import annotations

import re

from costbasis.context.formats.cells import number, unix_seconds
from costbasis.context.formats.textfile import Rows
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

TIME = ("time", "timestamp", "t", "create_time")
OHLC = ("open", "high", "low", "close")


def _col(low: list[str], pattern: str) -> int | None:
    for i, h in enumerate(low):
        if re.fullmatch(pattern, h):
            return i
    return None


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    if not any(t in low for t in TIME):
        return None
    if _col(low, r"(aggregated_)?long_liquidation_usd") is not None and _col(low, r"(aggregated_)?short_liquidation_usd") is not None:
        return "liquidations"
    if _col(low, r"(aggregated_|taker_)?buy_volume_usd") is not None and _col(low, r"(aggregated_|taker_)?sell_volume_usd") is not None:
        return "taker_volume"
    if {"premium", "premium_rate"} <= set(low):
        return "premium"
    if set(low) == {low[0], *OHLC} and low[0] in TIME:
        name = path.name.lower()
        if "funding" in name:
            return "funding"
        if "open_interest" in name or re.search(r"(^|[^a-z])oi([^a-z]|$)", name):
            return "open_interest"
        if "coinglass" in name:
            return "ohlc"  # decided by magnitude in parse
    return None


def parse(rows: Rows, kind: str) -> tuple[Builder, str]:
    low = [h.lower() for h in rows.header]
    ti = next((low.index(t) for t in TIME if t in low), None)
    if ti is None:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: no time column (columns: {', '.join(rows.header)})")
    b = Builder(rows.path.name, rows.where)
    detected = detect(rows.header, rows.path)
    if kind in ("funding", "open_interest") and set(low) >= set(OHLC):
        detected = kind
    if detected is None:
        raise CostbasisError(f"{rows.path.name}: not a CoinGlass export this version reads (columns: {', '.join(rows.header)})")
    if detected == "ohlc":
        detected = _by_magnitude(rows, low)
    if detected == "liquidations":
        cols = [(_col(low, r"(aggregated_)?long_liquidation_usd"), b.metric("long_liquidations_usd", "sum", "USD"), True),
                (_col(low, r"(aggregated_)?short_liquidation_usd"), b.metric("short_liquidations_usd", "sum", "USD"), True)]
    elif detected == "taker_volume":
        cols = [(_col(low, r"(aggregated_|taker_)?buy_volume_usd"), b.metric("taker_buy_usd", "sum", "USD"), True),
                (_col(low, r"(aggregated_|taker_)?sell_volume_usd"), b.metric("taker_sell_usd", "sum", "USD"), True)]
        net = b.metric("net_taker_usd", "sum", "USD")
    elif detected == "premium":
        cols = [(low.index("premium"), b.metric("coinbase_premium_usd", "last", "USD"), False),
                (low.index("premium_rate"), b.metric("coinbase_premium_rate_pct", "last", "pct"), False)]
    else:
        base, unit = ("funding_rate_pct", "pct") if detected == "funding" else ("open_interest_usd", "USD")
        cols = [(low.index(k), b.metric(base if k == "close" else f"{base}_{k}", agg, unit), detected != "funding")
                for k, agg in zip(OHLC, ("first", "max", "min", "last"))]
    for line, row in rows.data():
        where = rows.where(line)
        if len(row) < len(rows.header):
            raise CostbasisError(f"{where}: {len(row)} cells, the header has {len(rows.header)}")
        ts = unix_seconds(row[ti], where)
        vals = []
        for i, metric, positive in cols:
            v = number(row[i], where, rows.header[i])
            if positive and v is not None and v < 0:
                raise CostbasisError(f"{where}: negative {rows.header[i]} {row[i]!r}")
            b.add(line, ts, metric, v)
            vals.append(v)
        if detected == "taker_volume" and None not in vals:
            b.add(line, ts, net, vals[0] - vals[1])
    return b, detected


def _by_magnitude(rows: Rows, low: list[str]) -> str:
    ci = low.index("close")
    closes = [abs(v) for _, r in rows.data() if len(r) > ci
              for v in [number(r[ci], rows.where(_), "close")] if v is not None]
    top = max(closes, default=0.0)
    if top < 10:
        return "funding"
    if top > 1e6:
        return "open_interest"
    raise CostbasisError(f"{rows.path.name}: an OHLC export that is neither a funding rate nor open interest by its "
                         "values; pass --kind funding, or --kind index for a price")
