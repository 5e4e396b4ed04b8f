"""CryptoQuant web exports: `Datetime` (ISO, newest first as exported) and one or more metric
columns named as on the site; "-" or blank is an empty cell (the CVD files fill one of three
regime columns per day). Column names become metric names (`Long Liquidations USD` ->
long_liquidations_usd), with a few renamed to the names the other formats use (below).

Aggregation: flows (exchange in/out/netflow, liquidations, taker volumes) [sum]; everything
else (reserve, ratios, funding, open interest, prices, MVRV, SOPR, CVD) [last]."""

from __future__ import annotations

import re

from costbasis.context.formats.cells import number, timestamp
from costbasis.context.formats.textfile import Rows
from costbasis.context.names import slug
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

RENAME = {
    "long_liquidations": "long_liquidations_btc",
    "short_liquidations": "short_liquidations_btc",
    "taker_buy_volume": "taker_buy_usd",
    "taker_sell_volume": "taker_sell_usd",
    "funding_rates": "funding_rate_pct",
    "exchange_inflow_total": "exchange_inflow_btc",
    "exchange_outflow_total": "exchange_outflow_btc",
    "exchange_netflow_total": "exchange_netflow_btc",
    "open_interest": "open_interest_usd",
}
_FLOW = re.compile(r"(inflow|outflow|netflow|liquidations|taker_(buy|sell)_usd|volume)")
_LEVEL = re.compile(r"(ratio|reserve|mean|ema|sma|price|cvd)")


def detect(header: list[str], path) -> str | None:
    return "cryptoquant" if header and header[0].strip().lower() == "datetime" and len(header) >= 2 else None


def _unit(metric: str) -> str:
    if metric.endswith("_usd") or metric in ("open", "high", "low", "close") or "price" in metric:
        return "USD"
    if metric.endswith("_pct"):
        return "pct"
    if "ratio" in metric or "sopr" in metric or "mvrv" in metric:
        return "ratio"
    if metric.endswith("_btc") or "exchange_" in metric or metric in ("volume", "fund_holdings"):
        return "BTC"
    return ""


def parse(rows: Rows, kind: str) -> Builder:
    b = Builder(rows.path.name, rows.where)
    cols = []
    seen = set()
    for i, h in enumerate(rows.header[1:], start=1):
        if not h.strip():
            continue
        m = slug(h)
        m = RENAME.get(m, m)
        if m in seen:
            raise CostbasisError(f"{rows.where(rows.rows[0][0])}: two columns named {h!r}")
        seen.add(m)
        agg = "sum" if _FLOW.search(m) and not _LEVEL.search(m) else "last"
        cols.append((i, b.metric(m, agg, _unit(m))))
    if not cols:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: no metric columns after Datetime")
    for line, row in rows.data():
        where = rows.where(line)
        if len(row) > len(rows.header):
            raise CostbasisError(f"{where}: {len(row)} cells, the header has {len(rows.header)}")
        ts = timestamp(row[0], where)
        for i, metric in cols:
            b.add(line, ts, metric, number(row[i] if i < len(row) else "", where, rows.header[i]))
    return b
