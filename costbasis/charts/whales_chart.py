"""Whale deposits to exchanges: daily deposit USD as bars, its z-score on a second axis,
signal days highlighted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from costbasis.charts.figure import DEFAULT_SIZE, check_png_path, date_axis, new_figure, save_png, usd_axis_label
from costbasis.errors import CostbasisError

REQUIRED = ("date", "whale_deposit_usd", "zscore")


def plot_whales(table: pa.Table, out: Path | str, title: str = "", z_threshold: float | None = 2.0,
                size: tuple[int, int] = DEFAULT_SIZE) -> Path:
    """`table`: one row per day with date, whale_deposit_usd, zscore [, signal (bool or label)]."""
    check_png_path(out)
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise CostbasisError(f"whale table lacks column(s) {', '.join(missing)}")
    if table.num_rows == 0:
        raise CostbasisError("no whale deposit days in that range")
    rows = sorted(table.to_pylist(), key=lambda r: r["date"])
    x = np.asarray([r["date"] for r in rows], dtype="datetime64[D]")
    usd = np.asarray([r["whale_deposit_usd"] or 0.0 for r in rows], dtype=float)
    z = np.asarray([np.nan if r["zscore"] is None else r["zscore"] for r in rows], dtype=float)
    signal = np.asarray([bool(r.get("signal")) for r in rows])

    fig = new_figure(*size)
    ax = fig.add_subplot()
    width = max(0.8 * float(np.median(np.diff(x).astype(float))) if x.size > 1 else 0.8, 0.5)
    ax.bar(x[~signal], usd[~signal], width=width, color="tab:blue", alpha=0.7, label="whale deposits to exchanges (USD)")
    if signal.any():
        ax.bar(x[signal], usd[signal], width=width, color="tab:red", alpha=0.9, label="signal day")
    ax.yaxis.set_major_formatter(lambda v, _p: usd_axis_label(v))
    ax.set_ylabel("whale deposits per day (USD)")
    ax.set_ylim(0, max(float(usd.max()), 1.0) * 1.15)
    ax.grid(True, axis="y", alpha=0.3)

    az = ax.twinx()
    az.plot(x, z, color="black", lw=1.4, label="z-score vs trailing window")
    if z_threshold is not None:
        az.axhline(z_threshold, color="tab:red", ls="--", lw=1, label=f"z = {z_threshold:g}")
    az.axhline(0, color="0.5", lw=0.8)
    az.set_ylabel("z-score")
    zf = z[np.isfinite(z)]
    zmax = max(float(np.abs(zf).max()) if zf.size else 1.0, (z_threshold or 0) * 1.1, 1.0)
    az.set_ylim(-zmax * 1.1, zmax * 1.1)

    date_axis(ax)
    ax.set_xlim(x[0] - np.timedelta64(1, "D"), x[-1] + np.timedelta64(1, "D"))
    ax.set_title(title or f"Whale deposits to exchanges, {rows[0]['date']} to {rows[-1]['date']}")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = az.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=9, framealpha=0.9)
    return save_png(fig, out)


def whales_chart(store, chain: str | None, date_from, date_to, out: Path | str,
                 size: tuple[int, int] = DEFAULT_SIZE, **whale_options) -> Path:
    """Fetch daily whale signals (costbasis.engine.api.whales with `whale_options`: min_btc or
    min_amount/whale_amount, min_usd, window, z, token, asset, method) and draw them."""
    from costbasis.engine import api

    check_png_path(out)
    t = api.whales(store, chain, date_from=date_from, date_to=date_to, **whale_options)
    what = (t.schema.metadata or {}).get(b"threshold", b"").decode()
    title = ""
    if t.num_rows:
        d = t["date"].to_pylist()
        title = f"Whale deposits to exchanges ({what} per transaction), {min(d)} to {max(d)}"
    return plot_whales(t, out, title, z_threshold=whale_options.get("z", 2.0), size=size)
