"""URPD as a horizontal histogram (supply by creation price), with the price and the bands."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
from matplotlib.transforms import blended_transform_factory

from costbasis.bands.level import usd_short
from costbasis.charts.figure import DEFAULT_SIZE, check_png_path, log_usd_axis, new_figure, plain, save_png
from costbasis.errors import CostbasisError

_KIND_COLOR = {"support": "tab:green", "resistance": "tab:red", "at_price": "tab:orange"}
_GAP_COLOR = "0.6"


def log_buckets(prices: Sequence[float], supply: Sequence[float], low: float, high: float,
                n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket_low, bucket_high, supply) on n log-spaced buckets over [low, high]."""
    edges = np.geomspace(low, high, n + 1)
    p = np.asarray(prices, dtype=float)
    w = np.asarray(supply, dtype=float)
    keep = np.isfinite(p) & (p >= low) & (p <= high)
    s, _ = np.histogram(p[keep], bins=edges, weights=w[keep])
    return edges[:-1], edges[1:], s


def _spread_labels(ys: list[float], lo: float, hi: float, min_gap: float) -> list[float]:
    """Nudge label positions (log10 price) apart by at least min_gap, keeping their order."""
    out = []
    for y in ys:
        out.append(max(y, out[-1] + min_gap) if out else y)
    # pull back down from the top if the stack overflowed
    for i in range(len(out) - 1, -1, -1):
        top = hi if i == len(out) - 1 else out[i + 1] - min_gap
        out[i] = min(out[i], top)
    return [max(y, lo) for y in out]


def plot_urpd(bucket_low: Sequence[float], bucket_high: Sequence[float], supply: Sequence[float],
              price: float, bands: pa.Table | None, out: Path | str, title: str = "",
              span: float = 2.5, size: tuple[int, int] = DEFAULT_SIZE, unit: str = "BTC") -> Path:
    """Supply (in `unit`) per creation-price bucket as horizontal bars on a log price axis limited to
    [price/span, price*span]; the price as a line; bands as shaded ranges or dashed lines."""
    check_png_path(out)
    lo_b = np.asarray(bucket_low, dtype=float)
    hi_b = np.asarray(bucket_high, dtype=float)
    s = np.asarray(supply, dtype=float)
    if s.size == 0 or not np.nansum(s) > 0:
        raise CostbasisError("nothing to draw: no live supply in the URPD")
    if not price or price <= 0:
        raise CostbasisError("nothing to draw: no price for that day; pass --price")
    ylo, yhi = price / span, price * span
    view = (hi_b > ylo) & (lo_b < yhi) & (lo_b > 0)
    fig = new_figure(*size, layout=None)
    # fixed margins: the level labels sit to the right of the axes
    fig.subplots_adjust(left=0.08, right=0.80, top=0.94, bottom=0.08)
    ax = fig.add_subplot()
    ax.barh(lo_b[view], s[view], height=(hi_b - lo_b)[view], align="edge", color="tab:blue", alpha=0.75,
            edgecolor="none", zorder=2)
    ax.set_ylim(ylo, yhi)
    ax.set_xlim(0, max(float(s[view].max()) if view.any() else 1.0, 1e-9) * 1.08)
    label_items = []
    if bands is not None and bands.num_rows:
        for r in bands.to_pylist():
            low, high = r["low_usd"], r["high_usd"]
            if high < ylo or low > yhi:
                continue
            color = _GAP_COLOR if r["source"] == "air_gap" else _KIND_COLOR.get(r["kind"], "tab:gray")
            if high > low * 1.001:
                ax.axhspan(low, high, color=color, alpha=0.12 if r["source"] == "air_gap" else 0.18, lw=0, zorder=0)
            else:
                ax.axhline(low, color=color, lw=1.1, ls="--", alpha=0.9, zorder=3)
            text = r["name"] if high > low * 1.001 else f"{r['name']} {usd_short(low)}"
            label_items.append((math.log10(math.sqrt(low * high)), text, color))
    ax.axhline(price, color="black", lw=2.0, zorder=4)
    label_items.append((math.log10(price), f"price {usd_short(price)}", "black"))
    label_items.sort()
    ys = _spread_labels([y for y, _, _ in label_items], math.log10(ylo), math.log10(yhi),
                        (math.log10(yhi) - math.log10(ylo)) / 45)
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    for y, (_, text, color) in zip(ys, label_items):
        ax.text(1.01, 10 ** y, plain(text), transform=tr, fontsize=8, color=color, va="center", ha="left",
                fontweight="bold" if color == "black" else "normal", clip_on=False)
    log_usd_axis(ax)
    ax.set_ylabel("creation price (USD, log scale)")
    ax.set_xlabel(f"supply ({unit})")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title or "URPD: live supply by the price it last moved at")
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D
    handles = [Patch(color="tab:blue", alpha=0.75, label="live supply by creation price"),
               Line2D([], [], color="black", lw=2, label="current price"),
               Patch(color="tab:green", alpha=0.3, label="support band / level (dashed)"),
               Patch(color="tab:red", alpha=0.3, label="resistance band / level (dashed)"),
               Patch(color=_GAP_COLOR, alpha=0.3, label="air gap")]
    ax.legend(handles=handles, loc="upper right", fontsize=9, framealpha=0.9)
    return save_png(fig, out)


def urpd_chart(store, chain: str | None, asof, out: Path | str, price: float | None = None, span: float = 2.5,
               window: int = 365, size: tuple[int, int] = DEFAULT_SIZE, buckets: int = 150,
               token: str | None = None, asset: str | None = None, method: str | None = None) -> Path:
    """Bands as of `asof` (costbasis.bands.assemble.bands) over log-spaced URPD buckets of the same
    live cost-basis distribution (on an EVM chain the creation price is the holder's cost basis,
    as `costbasis urpd --chain`; token/asset/method as there)."""
    from costbasis.bands.assemble import DEFAULT_QUANTILES, bands_for_day
    from costbasis.bands.inputs import session_day
    from costbasis.engine import api

    check_png_path(out)
    with api.session(store, chain, token=token, asset=asset, method=method) as s:
        day = session_day(s, asof, window, DEFAULT_QUANTILES, with_distribution=True)
        unit, what = s.unit, s.label
    t = bands_for_day(day, price, window)
    meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
    p = float(meta["price_usd"])
    lo_b, hi_b, s = log_buckets(day.dist_prices, day.dist_supply, p / span, p * span, buckets)
    return plot_urpd(lo_b, hi_b, s, p, t, out,
                     f"{meta['chain']}{what} URPD as of {meta['date']}: live supply by creation price "
                     f"({buckets} log buckets), price ${p:,.0f}", span, size, unit)
