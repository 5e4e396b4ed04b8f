"""Bands: every level source, merged, classified against a price, as an Arrow table.

`assemble_levels` is the pure step (levels + price + supply distribution -> rows);
`bands` and `bands_series` open an engine session of the chain's family (costbasis.engine.session),
fetch the inputs (see `inputs`) and call it. The supply column is the family's: `supply_btc` on
Bitcoin (BANDS_SCHEMA), `supply` on EVM chains (`bands_schema("supply")`).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Sequence

import pyarrow as pa

from costbasis.bands import inputs
from costbasis.bands.classify import POINT_TOLERANCE_PCT, SupplyIndex, distance_pct, kind_of, note_for
from costbasis.bands.cohort_levels import cohort_levels
from costbasis.bands.level import Level
from costbasis.bands.merge import DEFAULT_MERGE_PCT, merge_levels
from costbasis.bands.quantile_levels import DEFAULT_QUANTILES, quantile_levels
from costbasis.bands.sth_sigma import sth_sigma_levels
from costbasis.bands.urpd_clusters import ClusterParams, cluster_levels
from costbasis.engine.session import open_session


def bands_schema(supply_column: str = "supply_btc") -> pa.Schema:
    return pa.schema([
        ("name", pa.string()),
        ("low_usd", pa.float64()),
        ("high_usd", pa.float64()),
        ("kind", pa.string()),          # support | resistance | at_price
        ("source", pa.string()),        # cohort | sth_sigma | quantile | urpd_cluster | air_gap, "+"-joined when merged
        (supply_column, pa.float64()),  # supply created inside [low, high] (±0.5% for a single price)
        ("distance_pct", pa.float64()), # signed, price to nearest edge; 0 when the price is inside
        ("note", pa.string()),
    ])


def series_schema(supply_column: str = "supply_btc") -> pa.Schema:
    return pa.schema([("date", pa.date32()), ("price_usd", pa.float64())] + list(bands_schema(supply_column)))


BANDS_SCHEMA, SERIES_SCHEMA = bands_schema(), series_schema()   # Bitcoin's


def all_levels(day: inputs.DayInputs, window: int, quantiles: Sequence[float],
               params: ClusterParams | None = None, price: float | None = None) -> list[Level]:
    """Every level source for one day's inputs (URPD levels only when a distribution is present)."""
    price = day.price if price is None else price
    levels = cohort_levels(day.cohort_rows, supply_column=day.supply_column)
    sth = next((r for r in day.cohort_rows if r["cohort"] == "sth"), None)
    if sth is not None:
        levels += sth_sigma_levels(sth.get("realized_price_usd"), day.sth_mvrv_window, window)
        levels += quantile_levels(sth, quantiles, "sth")
    if day.dist_prices is not None and price:
        levels += cluster_levels(day.dist_prices, day.dist_supply, price, params or ClusterParams())
    return levels


def assemble_levels(levels: Sequence[Level], price: float, supply: SupplyIndex | None = None,
                    merge_pct: float = DEFAULT_MERGE_PCT,
                    point_tolerance_pct: float = POINT_TOLERANCE_PCT, supply_column: str = "supply_btc") -> pa.Table:
    """Merge, classify and describe `levels` against `price`; rows sorted by price, highest first."""
    merged = merge_levels(levels, merge_pct)
    rows = []
    for lv in sorted(merged, key=lambda lv: (-lv.mid_usd, lv.name)):
        kind = kind_of(lv.low_usd, lv.high_usd, price)
        rows.append({
            "name": lv.name,
            "low_usd": lv.low_usd,
            "high_usd": lv.high_usd,
            "kind": kind,
            "source": lv.source,
            supply_column: None if supply is None else supply.between(lv.low_usd, lv.high_usd, point_tolerance_pct),
            "distance_pct": distance_pct(lv.low_usd, lv.high_usd, price),
            "note": note_for(lv, kind, merge_pct),
        })
    return pa.Table.from_pylist(rows, schema=bands_schema(supply_column))


def bands_for_day(day: inputs.DayInputs, price: float | None = None, window: int = 365,
                  quantiles: Sequence[float] = DEFAULT_QUANTILES, merge_pct: float = DEFAULT_MERGE_PCT,
                  clusters: ClusterParams | None = None) -> pa.Table:
    """Bands for already fetched inputs, against `price` (default: the day's price)."""
    p = day.price if price is None else float(price)
    if price is not None and not (math.isfinite(p) and p > 0):
        raise inputs.CostbasisError(f"--price must be a positive USD price, got {price:g}")
    if p is None or not (math.isfinite(p) and p > 0):
        raise inputs.CostbasisError(f"no price for {day.date}; pass --price USD")
    supply = SupplyIndex(day.dist_prices, day.dist_supply) if day.dist_prices is not None else None
    table = assemble_levels(all_levels(day, window, quantiles, clusters, p), p, supply, merge_pct,
                            supply_column=day.supply_column)
    return table.replace_schema_metadata({"date": day.date.isoformat(), "price_usd": repr(p), "chain": day.chain})


def bands(store, chain: str | None = None, asof: date | str | None = None, price: float | None = None,
          window: int = 365, quantiles: Sequence[float] = DEFAULT_QUANTILES,
          merge_pct: float = DEFAULT_MERGE_PCT, clusters: ClusterParams | None = None, *,
          token: str | None = None, asset: str | None = None, method: str | None = None) -> pa.Table:
    """Support/resistance bands as of `asof` (default: the last stored day) around `price`
    (default: that day's price); metadata carries date, price_usd and chain. token/asset/method:
    EVM chains' options (costbasis.engine.session.open_session)."""
    inputs.check_window(window)
    with open_session(store, chain, token=token, asset=asset, method=method) as s:
        day = inputs.session_day(s, asof, window, quantiles, with_distribution=True)
    return bands_for_day(day, price, window, quantiles, merge_pct, clusters)


def bands_series(store, chain: str | None, date_from: date | str, date_to: date | str,
                 window: int = 365, quantiles: Sequence[float] = DEFAULT_QUANTILES,
                 merge_pct: float = DEFAULT_MERGE_PCT, clusters: ClusterParams | None = None,
                 with_urpd: bool = True, progress=None, *, token: str | None = None, asset: str | None = None,
                 method: str | None = None) -> pa.Table:
    """Band levels per day in long format (series_schema), each day against its own price.

    with_urpd=False skips the per-day live cost-basis distribution (no URPD clusters or
    air gaps, supply null) — much faster over long ranges. `progress(i, n)` is called per day.
    """
    inputs.check_window(window)
    with open_session(store, chain, token=token, asset=asset, method=method) as s:
        days = inputs.session_days(s, date_from, date_to, window, quantiles, with_distribution=with_urpd,
                                   progress=progress)
        supply_column = s.supply_column
    return series_from_days(days, window, quantiles, merge_pct, clusters, with_urpd, supply_column)


def series_from_days(days, window: int, quantiles: Sequence[float], merge_pct: float,
                     clusters: ClusterParams | None, with_urpd: bool, supply_column: str = "supply_btc") -> pa.Table:
    """Long-format levels (series_schema) for prepared day inputs, each against its own price."""
    parts = []
    for day in days:
        if day.price is None or not day.price > 0:
            continue
        supply = SupplyIndex(day.dist_prices, day.dist_supply) if with_urpd else None
        t = assemble_levels(all_levels(day, window, quantiles, clusters), day.price, supply, merge_pct,
                            supply_column=supply_column)
        n = t.num_rows
        t = t.add_column(0, "price_usd", pa.array([day.price] * n, pa.float64()))
        t = t.add_column(0, "date", pa.array([day.date] * n, pa.date32()))
        parts.append(t)
    return pa.concat_tables(parts) if parts else series_schema(supply_column).empty_table()
