"""The brief's context figures from imported series (costbasis context import): liquidations,
spot-ETF flows, net taker volume, funding and DXY. For each metric the series is chosen among those
holding it: one with data for the day, the finest interval first (hourly liquidations give the
largest hour; CryptoQuant's daily file only the day). None when nothing is imported."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow.compute as pc

from costbasis.context import catalog
from costbasis.context.importer import series_meta
from costbasis.context.query import day_values
from costbasis.context.series import interval_label
from costbasis.dates import EPOCH

DAY = 86400
LOOKBACK_DAYS = 10   # a level (DXY) or an ETF session this far back still counts (weekends, holidays)


class Context:
    """The metric index of the store, read once per brief."""

    def __init__(self, store):
        self.store = store
        self.index = catalog.metric_index(store)
        self._tables = {}

    def table(self, series: str, metric: str):
        key = (series, metric)
        if key not in self._tables:
            self._tables[key] = catalog.load(self.store, series, metric)
        return self._tables[key]

    def source(self, series: str) -> str:
        meta = series_meta(self.store.read_dataset("context", series))
        files = sorted({i["file"] for i in meta.get("imports", [])})
        return f"context {series} ({', '.join(files)})"

    def pick(self, metric: str, t_from: int, t_to: int) -> str | None:
        """The series holding `metric` with rows in [t_from, t_to), finest interval first."""
        best = None
        for s in sorted(self.index.get(metric, [])):
            t = self.table(s, metric)
            hit = t.filter(pc.and_(pc.greater_equal(t["time"], t_from), pc.less(t["time"], t_to)))
            if hit.num_rows:
                iv = hit["interval"][0].as_py()
                if best is None or iv < best[0]:
                    best = (iv, s)
        return None if best is None else best[1]


def _day_no(d: date) -> int:
    return (d - EPOCH).days


def liquidations(ctx: Context, day: date) -> dict | None:
    t0 = _day_no(day) * DAY
    out, sources = {"long_usd": None, "short_usd": None, "largest": None}, []
    for side in ("long", "short"):
        metric = f"{side}_liquidations_usd"
        s = ctx.pick(metric, t0, t0 + DAY)
        if s is None:
            continue
        sources.append(ctx.source(s))
        out[f"{side}_usd"] = day_values(ctx.store, s, metric, _day_no(day), _day_no(day)).get(_day_no(day))
        t = ctx.table(s, metric)
        rows = t.filter(pc.and_(pc.greater_equal(t["time"], t0), pc.less(t["time"], t0 + DAY))).to_pylist()
        iv = rows[0]["interval"]
        if iv < DAY:
            top = max(rows, key=lambda r: r["value"])
            if out["largest"] is None or top["value"] > out["largest"]["usd"]:
                out["largest"] = {"side": side, "usd": top["value"], "interval": interval_label(iv),
                                  "start": datetime.fromtimestamp(top["time"], timezone.utc).strftime("%Y-%m-%d %H:%M")}
    if out["long_usd"] is None and out["short_usd"] is None:
        return None
    out["source"] = "; ".join(dict.fromkeys(sources))
    return out


def etf_sessions(ctx: Context, day: date, sessions: int = 2) -> dict | None:
    metric = "etf_flow_total_usd"
    t_end = (_day_no(day) + 1) * DAY
    s = ctx.pick(metric, t_end - LOOKBACK_DAYS * DAY, t_end)
    if s is None:
        return None
    vals = day_values(ctx.store, s, metric, _day_no(day) - LOOKBACK_DAYS, _day_no(day))
    last = sorted(vals)[-sessions:]
    rows = [{"date": (EPOCH + timedelta(days=d)).isoformat(), "usd": vals[d]} for d in last]
    return {"sessions": rows, "total_usd": sum(r["usd"] for r in rows), "source": ctx.source(s)}


def net_taker(ctx: Context, day: date) -> dict | None:
    t0, d = _day_no(day) * DAY, _day_no(day)
    out, sources = {"btc": None, "usd": None, "method": None}, []
    for unit in ("btc", "usd"):
        s = ctx.pick(f"net_taker_{unit}", t0, t0 + DAY)
        if s is not None:
            out[unit] = day_values(ctx.store, s, f"net_taker_{unit}", d, d).get(d)
            out["method"] = "taker buy − taker sell"
            sources.append(ctx.source(s))
    if out["usd"] is None:
        sb, ss = ctx.pick("taker_buy_usd", t0, t0 + DAY), ctx.pick("taker_sell_usd", t0, t0 + DAY)
        if sb and ss:
            buy = day_values(ctx.store, sb, "taker_buy_usd", d, d).get(d)
            sell = day_values(ctx.store, ss, "taker_sell_usd", d, d).get(d)
            out["usd"], out["method"] = buy - sell, "taker buy USD − taker sell USD"
            sources += [ctx.source(sb), ctx.source(ss)]
    if out["btc"] is None and out["usd"] is None:
        return None
    out["source"] = "; ".join(dict.fromkeys(sources))
    return out


def funding(ctx: Context, day: date) -> dict | None:
    t0 = _day_no(day) * DAY
    s = ctx.pick("funding_rate_pct", t0, t0 + DAY)
    if s is None:
        return None
    t = ctx.table(s, "funding_rate_pct")
    rows = t.filter(pc.and_(pc.greater_equal(t["time"], t0), pc.less(t["time"], t0 + DAY))).to_pylist()
    last = max(rows, key=lambda r: r["time"])
    return {"pct": last["value"], "mean_pct": sum(r["value"] for r in rows) / len(rows), "settlements": len(rows),
            "interval": interval_label(last["interval"]),
            "time": datetime.fromtimestamp(last["time"], timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "source": ctx.source(s)}


def dxy(ctx: Context, day: date, metric: str = "dxy") -> dict | None:
    t_end = (_day_no(day) + 1) * DAY
    s = ctx.pick(metric, t_end - LOOKBACK_DAYS * DAY, t_end)
    if s is None:
        return None
    vals = day_values(ctx.store, s, metric, _day_no(day) - LOOKBACK_DAYS, _day_no(day))
    days = sorted(vals)
    d = days[-1]
    out = {"value": vals[d], "date": (EPOCH + timedelta(days=d)).isoformat(), "prev_value": None, "prev_date": None,
           "change": None, "source": ctx.source(s)}
    if len(days) > 1:
        p = days[-2]
        out.update(prev_value=vals[p], prev_date=(EPOCH + timedelta(days=p)).isoformat(), change=vals[d] - vals[p])
    return out
