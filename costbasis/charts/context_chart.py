"""Price with the cost-basis lines and whale-deposit markers, over panels of imported context:
long/short liquidations and spot-ETF net flows per UTC day (`costbasis chart context`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from costbasis.charts.figure import DEFAULT_SIZE, check_png_path, date_axis, log_usd_axis, new_figure, save_png, \
    usd_axis_label
from costbasis.errors import CostbasisError

COHORTS = {"1d-1w": "tab:orange", "1w-1m": "tab:olive", "1m-3m": "tab:green", "sth": "tab:red"}


def _arr(v) -> np.ndarray:
    return np.asarray([np.nan if x is None else x for x in v], dtype=float)


def _series(store, metric: str, days: list[date]) -> tuple[np.ndarray | None, str]:
    """Daily values of the series holding `metric` with the most days in range (NaN where missing)."""
    from costbasis.context import catalog
    from costbasis.context.query import day_values
    from costbasis.dates import EPOCH

    lo, hi = (days[0] - EPOCH).days, (days[-1] - EPOCH).days
    best, name = None, ""
    for s in sorted(catalog.metric_index(store).get(metric, [])):
        vals = day_values(store, s, metric, lo, hi)
        if vals and (best is None or len(vals) > len(best)):
            best, name = vals, s
    if best is None:
        return None, ""
    return np.asarray([best.get((d - EPOCH).days, np.nan) for d in days], dtype=float), name


def context_chart(store, chain: str | None, date_from, date_to, out: Path | str,
                  size: tuple[int, int] = (DEFAULT_SIZE[0], 1000)) -> Path:
    import pyarrow.compute as pc

    from costbasis.dates import parse_date
    from costbasis.engine import api

    check_png_path(out)
    f, t = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    c = api.cohorts(store, chain, date_from=f, date_to=t)
    c = c.filter(pc.is_in(c["cohort"], value_set=__import__("pyarrow").array(["all", *COHORTS])))
    rows = c.to_pylist()
    days = sorted({r["date"] for r in rows})
    if len(days) < 2:
        raise CostbasisError("need at least two days to draw a chart; widen --from/--to")
    by = {(r["date"], r["cohort"]): r for r in rows}
    x = np.asarray(days, dtype="datetime64[D]")
    price = _arr([by.get((d, "all"), {}).get("price_usd") for d in days])

    fig = new_figure(*size)
    ax, al, ae = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 1.2]})
    ax.plot(x, price, color="black", lw=1.8, label="price")
    for name, color in COHORTS.items():
        label = "STH realized price" if name == "sth" else f"{name} cost basis"
        ax.plot(x, _arr([by.get((d, name), {}).get("realized_price_usd") for d in days]), color=color, lw=1.2,
                label=label)
    signal_days = _whale_days(store, chain, days[0], days[-1])
    if signal_days:
        idx = [days.index(d) for d in signal_days if d in days]
        ax.scatter(x[idx], price[idx], marker="v", s=80, color="tab:purple", zorder=5, label="whale deposit spike")
    finite = price[np.isfinite(price)]
    if finite.size:
        ax.set_ylim(finite.min() * 0.9, finite.max() * 1.1)
    log_usd_axis(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    ax.set_title(f"Price, cost basis and market context, {days[0]} to {days[-1]}")

    long_, ln = _series(store, "long_liquidations_usd", days)
    short, sn = _series(store, "short_liquidations_usd", days)
    if long_ is None and short is None:
        _empty(al, "no liquidation series imported (costbasis context import)")
    else:
        if long_ is not None:
            al.bar(x, long_, color="tab:red", alpha=0.8, label=f"long liquidations ({ln})")
        if short is not None:
            al.bar(x, -short, color="tab:green", alpha=0.8, label=f"short liquidations, shown below 0 ({sn})")
        al.axhline(0, color="0.4", lw=0.8)
        al.yaxis.set_major_formatter(lambda v, _p: usd_axis_label(abs(v)))
        al.legend(loc="upper left", fontsize=8)
    al.set_ylabel("liquidations / day")

    etf, en = _series(store, "etf_flow_total_usd", days)
    if etf is None:
        _empty(ae, "no ETF flow series imported (costbasis context import)")
    else:
        colors = np.where(np.nan_to_num(etf) < 0, "tab:red", "tab:green")
        ae.bar(x, np.nan_to_num(etf), color=colors, alpha=0.85, label=f"spot-ETF net flow ({en})")
        ae.axhline(0, color="0.4", lw=0.8)
        ae.yaxis.set_major_formatter(lambda v, _p: usd_axis_label(v))
        ae.legend(loc="upper left", fontsize=8)
    ae.set_ylabel("ETF flow / day")
    date_axis(ae)
    ae.set_xlim(x[0] - np.timedelta64(1, "D"), x[-1] + np.timedelta64(1, "D"))
    return save_png(fig, out)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_yticks([])


def _whale_days(store, chain, first: date, last: date) -> list[date]:
    from costbasis.flows.whales import whale_signals

    try:
        w = whale_signals(store, chain, first, last)
    except CostbasisError:
        return []  # no labels or prices for deposits: no markers
    return [r["date"] for r in w.to_pylist() if r["signal"]]
