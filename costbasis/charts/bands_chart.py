"""Price against holder cost basis over time: cohort realized prices and the STH ±σ bands."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from costbasis.charts.figure import DEFAULT_SIZE, check_png_path, date_axis, log_usd_axis, new_figure, save_png
from costbasis.errors import CostbasisError

DEFAULT_COHORTS = ("1w-1m", "1m-3m", "3m-6m", "6m-12m", "sth", "lth")
_STYLE = {"sth": dict(color="tab:red", lw=2.0), "lth": dict(color="tab:blue", lw=2.0)}
_AGE_COLORS = ["tab:orange", "tab:olive", "tab:green", "tab:cyan", "tab:purple", "tab:brown", "tab:pink", "tab:gray"]


def _arr(v) -> np.ndarray:
    return np.asarray([np.nan if x is None else x for x in v], dtype=float)


def plot_bands(dates: Sequence[date], price: Sequence[float], realized: Mapping[str, Sequence[float]],
               sigma: Mapping[int, Sequence[float]], out: Path | str, title: str = "",
               size: tuple[int, int] = DEFAULT_SIZE, unit: str | None = None) -> Path:
    """Price (black), one line per cohort realized price, STH ±1σ/±2σ areas; log y axis.
    unit: the coin the prices are of, named in the legend (None: plain "price", the Bitcoin chart)."""
    check_png_path(out)
    if len(dates) < 2:
        raise CostbasisError("need at least two days to draw a chart; widen --from/--to")
    x = np.asarray(dates, dtype="datetime64[D]")
    fig = new_figure(*size)
    ax = fig.add_subplot()
    if sigma:
        if -2 in sigma and 2 in sigma:
            ax.fill_between(x, _arr(sigma[-2]), _arr(sigma[2]), color="tab:red", alpha=0.08, lw=0,
                            label="STH cost basis ±2σ (MVRV)")
        if -1 in sigma and 1 in sigma:
            ax.fill_between(x, _arr(sigma[-1]), _arr(sigma[1]), color="tab:red", alpha=0.16, lw=0,
                            label="STH cost basis ±1σ (MVRV)")
        if 0 in sigma:
            ax.plot(x, _arr(sigma[0]), color="tab:red", lw=1, ls="--", alpha=0.7, label="STH cost basis × mean MVRV")
    age_i = 0
    for name, values in realized.items():
        style = _STYLE.get(name)
        if style is None:
            style = dict(color=_AGE_COLORS[age_i % len(_AGE_COLORS)], lw=1.2)
            age_i += 1
        label = {"sth": "STH realized price", "lth": "LTH realized price"}.get(name, f"{name} realized price")
        ax.plot(x, _arr(values), label=label, **style)
    ax.plot(x, _arr(price), color="black", lw=2.2, label="price" if unit is None else f"{unit} price")
    finite = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in
                             [_arr(price)] + [_arr(v) for v in realized.values()] +
                             [_arr(sigma[k]) for k in sigma if abs(k) <= 1]] or [np.array([])])
    if finite.size == 0:
        raise CostbasisError("nothing to draw: no prices or realized prices in that range")
    ax.set_ylim(finite.min() * 0.9, finite.max() * 1.1)
    log_usd_axis(ax)
    date_axis(ax)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("USD (log scale)" if unit is None else f"USD per {unit} (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(title or f"Price and holder cost basis, {dates[0]} to {dates[-1]}")
    fig.legend(loc="outside lower center", fontsize=9, ncols=5, frameon=False)
    return save_png(fig, out)


def bands_chart(store, chain: str | None, date_from, date_to, out: Path | str, window: int = 365,
                cohorts: Sequence[str] = DEFAULT_COHORTS, size: tuple[int, int] = DEFAULT_SIZE,
                token: str | None = None, asset: str | None = None, method: str | None = None) -> Path:
    """Fetch cohort series (with `window` days of lead-in for the σ bands) and draw them; on an EVM
    chain token/asset/method choose the account-model engine's series (costbasis.engine.api.session)."""
    from costbasis.bands.sth_sigma import rolling_sigma_bands
    from costbasis.dates import parse_date
    from costbasis.engine import api

    from costbasis import limits

    check_png_path(out)
    limits.check_dates(**{"--from": date_from, "--to": date_to})
    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    with api.session(store, chain, token=token, asset=asset, method=method) as session:
        tip, name, unit, label = session.last_date, session.chain, session.price_unit, session.label
        last = min(last or tip, tip)
        first = first or (last - timedelta(days=365))
        if first > last:
            raise CostbasisError(f"--from {first} is after --to {last} (last stored day {tip})")
        if last < session.first_date:
            raise CostbasisError(f"--to {last} is before the first stored day {session.first_date} of {name}")
        t = session.cohort_table(first - timedelta(days=window - 1), last, ())
    by = {}
    for r in t.select(["date", "cohort", "realized_price_usd", "price_usd", "mvrv"]).to_pylist():
        by.setdefault(r["cohort"], {})[r["date"]] = r
    all_days = sorted(by.get("all", {}))
    if not all_days:
        raise CostbasisError(f"no cohort data for {name} between {first} and {last}")
    # one row per calendar day so the rolling window counts days
    d0, d1 = all_days[0], all_days[-1]
    days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]

    def col(cohort, field):
        rows = by.get(cohort, {})
        return [rows.get(d, {}).get(field) for d in days]

    sigma = rolling_sigma_bands(col("sth", "realized_price_usd"), col("sth", "mvrv"), window)
    keep = [i for i, d in enumerate(days) if first <= d <= last]
    pick = lambda seq: [seq[i] for i in keep]  # noqa: E731
    realized = {c: pick(col(c, "realized_price_usd")) for c in cohorts if c in by}
    name = f"{name}{label}"
    return plot_bands(pick(days), pick(col("all", "price_usd")), realized, {k: pick(list(v)) for k, v in sigma.items()},
                      out, f"{name}: price and holder cost basis, {days[keep[0]] if keep else first} to "
                      f"{days[keep[-1]] if keep else last} (STH σ window {window}d)", size, unit)
