"""The normalized context row and the builder every format fills.

One stored row is (time, metric, value, interval, agg, unit, source):
- time: unix seconds UTC of the period start (a kline's open time, a day's 00:00);
- interval: the series' step in seconds (3600, 14400, 28800, 86400), per metric, from the most
  common gap between its timestamps (Farside's trading days are still daily);
- agg: how periods add up to a day: `sum` for flows (ETF flows, volumes, taker and liquidation
  amounts, exchange in/out/netflow), `last` for levels (closes, index values, funding rates,
  open interest, ratios), `first`/`max`/`min` for an OHLC's open/high/low;
- unit: USD, BTC, pct (per funding interval), index, ratio, count...;
- source: the file name the row came from.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from costbasis.errors import CostbasisError

AGGS = ("sum", "last", "first", "max", "min")
DAY = 86400

SCHEMA = pa.schema([
    ("time", pa.int64()),
    ("metric", pa.string()),
    ("value", pa.float64()),
    ("interval", pa.int32()),
    ("agg", pa.string()),
    ("unit", pa.string()),
    ("source", pa.string()),
])


def interval_of(times: list[int]) -> int:
    """The most common positive step between sorted distinct times (ties: the smaller one);
    a single row is daily when stamped at 00:00, else hourly."""
    ts = sorted(set(times))
    steps = Counter(b - a for a, b in zip(ts, ts[1:]))
    if not steps:
        return DAY if not ts or ts[0] % DAY == 0 else 3600
    top = max(steps.values())
    return min(s for s, c in steps.items() if c == top)


def interval_label(seconds: int) -> str:
    if seconds % DAY == 0:
        return f"{seconds // DAY}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class Builder:
    """Collects (time, metric, value) of one file; a metric is declared with its agg and unit first.
    A metric twice at the same time is an error naming both lines (an export never repeats a row)."""

    def __init__(self, source: str, where):
        self.source = source
        self.where = where          # line -> "file line N"
        self.meta: dict[str, tuple[str, str]] = {}
        self.rows: dict[tuple[str, int], tuple[float, int]] = {}

    def metric(self, name: str, agg: str, unit: str) -> str:
        if agg not in AGGS:
            raise CostbasisError(f"aggregation {agg!r} for {name} is not one of {', '.join(AGGS)}")
        prev = self.meta.get(name)
        if prev is not None and prev != (agg, unit):
            raise CostbasisError(f"{self.source}: metric {name} given as {prev[0]} {prev[1]} and as {agg} {unit}")
        self.meta[name] = (agg, unit)
        return name

    def add(self, line: int, ts: int, metric: str, value: float | None) -> None:
        if value is None:
            return  # an empty cell is a missing value, never a zero
        key = (metric, ts)
        if key in self.rows:
            raise CostbasisError(f"{self.where(line)}: {metric} given twice for the same time "
                                 f"(also line {self.rows[key][1]})")
        self.rows[key] = (float(value), line)

    def table(self) -> pa.Table:
        if not self.rows:
            raise CostbasisError(f"{self.source}: no values (only a header or empty cells)")
        keys = sorted(self.rows)
        by_metric: dict[str, list[int]] = {}
        for m, t in keys:
            by_metric.setdefault(m, []).append(t)
        steps = {m: interval_of(ts) for m, ts in by_metric.items()}
        return pa.table({
            "time": pa.array([t for _, t in keys], pa.int64()),
            "metric": pa.array([m for m, _ in keys], pa.string()),
            "value": pa.array([self.rows[k][0] for k in keys], pa.float64()),
            "interval": pa.array([steps[m] for m, _ in keys], pa.int32()),
            "agg": pa.array([self.meta[m][0] for m, _ in keys], pa.string()),
            "unit": pa.array([self.meta[m][1] for m, _ in keys], pa.string()),
            "source": pa.array([self.source] * len(keys), pa.string()),
        }, schema=SCHEMA)


def with_intervals(table: pa.Table) -> pa.Table:
    """Recompute each metric's interval over all its rows (after an upsert merged two imports)."""
    times: dict[str, list[int]] = {}
    for m, t in zip(table["metric"].to_pylist(), table["time"].to_pylist()):
        times.setdefault(m, []).append(t)
    steps = {m: interval_of(ts) for m, ts in times.items()}
    col = pa.array([steps[m] for m in table["metric"].to_pylist()], pa.int32())
    return table.set_column(table.schema.get_field_index("interval"), "interval", col)
