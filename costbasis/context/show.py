"""`costbasis context show`: metrics per day or hour as one table (period column + one column per metric)."""

from __future__ import annotations

import pyarrow as pa

from costbasis.context.join import parse_with
from costbasis.context.query import UNITS, by_period
from costbasis.dates import parse_day
from costbasis.errors import UsageError


def show(store, metrics: str, date_from=None, date_to=None, by: str = "day") -> pa.Table:
    if by not in UNITS:
        raise UsageError(f"--by must be day or hour, got {by!r}")
    f, t = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    if f is not None and t is not None and f > t:
        raise UsageError(f"--from {date_from} is after --to {date_to}")
    specs = parse_with(store, metrics, "--metric")
    got = by_period(store, [(s, m) for _, s, m in specs], by,
                    None if f is None else f * 86400, None if t is None else (t + 1) * 86400)
    periods = sorted(set(got["period"].to_pylist()))
    pos = {p: i for i, p in enumerate(periods)}
    cols = {f"{s}.{m}": [None] * len(periods) for _, s, m in specs}
    for key, p, v in zip(got["key"].to_pylist(), got["period"].to_pylist(), got["value"].to_pylist()):
        cols[key][pos[p]] = v
    if by == "day":
        first = ("date", pa.array(periods, pa.int32()).cast(pa.date32()))
    else:
        first = ("hour", pa.array([p * 3600 for p in periods], pa.int64()).cast(pa.timestamp("s", tz="UTC")))
    table = pa.table({first[0]: first[1]})
    for name, s, m in specs:
        table = table.append_column(name, pa.array(cols[f"{s}.{m}"], pa.float64()))
    return table
