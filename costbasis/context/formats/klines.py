"""Binance kline CSVs: the 12-column archive layout (data.binance.vision, spot or USD-M futures,
with or without its header line; open_time in ms, or µs in spot files since 2025) and subsets
that keep open_time, OHLC, volume and the taker-buy columns (e.g. the 8-column
open_time,open,high,low,close,volume,taker_buy_base,taker_buy_quote).

Stored per kline (agg in brackets): open_usd [first], high_usd [max], low_usd [min], close_usd
[last], volume_<base>, taker_buy_<base>, taker_sell_<base> = volume - taker buy, net_taker_<base>
= taker buy - taker sell [sum, base asset e.g. BTC]; quote_volume_usd, taker_buy_usd,
taker_sell_usd, net_taker_usd [sum, the quote asset (USDT/USDC) taken as USD]; trades [sum].

Without quote_volume (the 8-column subset) the taker-sell USD is estimated as the taker-sell
base volume times the kline's taker-buy average price (taker_buy_quote / taker_buy_base; the
close when nothing was bought), and quote_volume_usd as taker buy USD + that estimate.
"""

from __future__ import annotations

import re

from costbasis.context.formats.cells import number, unix_seconds
from costbasis.context.formats.textfile import Rows
from costbasis.context.series import Builder
from costbasis.errors import CostbasisError

ARCHIVE = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
           "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
ALIASES = {
    "open_time": ("open_time", "opentime", "timestamp"),
    "open": ("open",), "high": ("high",), "low": ("low",), "close": ("close",),
    "volume": ("volume",),
    "quote_volume": ("quote_volume", "quote_asset_volume", "quotevolume"),
    "count": ("count", "trades", "number_of_trades"),
    "taker_buy_base": ("taker_buy_base", "taker_buy_volume", "taker_buy_base_asset_volume", "taker_buy_base_volume"),
    "taker_buy_quote": ("taker_buy_quote", "taker_buy_quote_volume", "taker_buy_quote_asset_volume"),
}
REQUIRED = ("open_time", "open", "high", "low", "close", "volume", "taker_buy_base", "taker_buy_quote")
_SYMBOL = re.compile(r"([a-z0-9]{2,10}?)(usdt|usdc|fdusd|busd|usd)(?![a-z])")
EPS = 1e-9
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$")


def _headerless(header: list[str]) -> bool:
    """An archive file without its header line: the first row is already 12 numbers."""
    return len(header) == 12 and all(_NUMERIC.match(c.strip()) for c in header[:11])


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    if "open_time" in low or _headerless(header):
        return "klines"
    return None


def base_asset(path) -> str:
    m = _SYMBOL.search(path.name.lower())
    return m.group(1) if m else "base"


def _columns(rows: Rows) -> tuple[dict[str, int], bool]:
    if _headerless(rows.header):
        return {name: i for i, name in enumerate(["open_time", "open", "high", "low", "close", "volume", "close_time",
                                                  "quote_volume", "count", "taker_buy_base", "taker_buy_quote"])}, False
    low = [h.lower() for h in rows.header]
    cols = {}
    for key, names in ALIASES.items():
        for n in names:
            if n in low:
                cols[key] = low.index(n)
                break
    missing = [k for k in REQUIRED if k not in cols]
    if missing:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: kline file lacks {', '.join(missing)} "
                             f"(columns: {', '.join(rows.header)})")
    return cols, True


def parse(rows: Rows, kind: str) -> Builder:
    cols, has_header = _columns(rows)
    base = base_asset(rows.path)
    b = Builder(rows.path.name, rows.where)
    m = {k: b.metric(f"{k}_usd", agg, "USD") for k, agg in
         (("open", "first"), ("high", "max"), ("low", "min"), ("close", "last"))}
    for k in ("volume", "taker_buy", "taker_sell", "net_taker"):
        m[k] = b.metric(f"{k}_{base}", "sum", base.upper())
    for k, name in (("quote_volume", "quote_volume_usd"), ("taker_buy_q", "taker_buy_usd"),
                    ("taker_sell_q", "taker_sell_usd"), ("net_taker_q", "net_taker_usd")):
        m[k] = b.metric(name, "sum", "USD")
    if "count" in cols:
        m["count"] = b.metric("trades", "sum", "count")
    need = max(cols.values()) + 1
    for line, row in (rows.data() if has_header else iter(rows.rows)):
        where = rows.where(line)
        if len(row) < need:
            raise CostbasisError(f"{where}: expected at least {need} columns, got {len(row)}")
        v = {k: number(row[i], where, k) for k, i in cols.items() if k != "open_time"}
        for k in REQUIRED[1:]:
            if v[k] is None:
                raise CostbasisError(f"{where}: missing {k}")
            if v[k] < 0:
                raise CostbasisError(f"{where}: negative {k} {row[cols[k]]!r}")
        if not v["low"] <= min(v["open"], v["close"]) <= max(v["open"], v["close"]) <= v["high"]:
            raise CostbasisError(f"{where}: open/high/low/close out of order (low <= open, close <= high)")
        vol, tb, tbq = v["volume"], v["taker_buy_base"], v["taker_buy_quote"]
        if tb > vol * (1 + EPS) + EPS:
            raise CostbasisError(f"{where}: taker buy volume {tb:g} exceeds the volume {vol:g}")
        ts = unix_seconds(row[cols["open_time"]], where)
        ts_sell = max(vol - tb, 0.0)
        qv = v.get("quote_volume")
        if qv is None:
            # no quote volume: taker sells valued at the taker buys' average price in this kline
            avg = tbq / tb if tb > 0 else v["close"]
            sell_q = ts_sell * avg
            qv = tbq + sell_q
        else:
            if tbq > qv * (1 + EPS) + EPS:
                raise CostbasisError(f"{where}: taker buy quote volume {tbq:g} exceeds the quote volume {qv:g}")
            sell_q = max(qv - tbq, 0.0)
        for k in ("open", "high", "low", "close"):
            b.add(line, ts, m[k], v[k])
        b.add(line, ts, m["volume"], vol)
        b.add(line, ts, m["taker_buy"], tb)
        b.add(line, ts, m["taker_sell"], ts_sell)
        b.add(line, ts, m["net_taker"], tb - ts_sell)
        b.add(line, ts, m["quote_volume"], qv)
        b.add(line, ts, m["taker_buy_q"], tbq)
        b.add(line, ts, m["taker_sell_q"], sell_q)
        b.add(line, ts, m["net_taker_q"], tbq - sell_q)
        if "count" in m:
            b.add(line, ts, m["count"], v.get("count"))
    return b
