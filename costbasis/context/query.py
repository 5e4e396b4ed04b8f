"""Context series per hour or day through DuckDB (sql/context/context_by_period.sql)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.context import catalog
from costbasis.engine import budget
from costbasis.engine.db import register_arrow, run

UNITS = {"hour": 3600, "day": 86400}


def context_rows(store, specs: list[tuple[str, str]]) -> pa.Table:
    """(key, time, value, agg) of the given (series, metric) pairs; key = 'series.metric'."""
    parts = []
    for series, metric in specs:
        t = catalog.load(store, series, metric)
        key = pa.array([f"{series}.{metric}"] * t.num_rows, pa.string())
        parts.append(pa.table({"key": key, "time": t["time"], "value": t["value"], "agg": t["agg"]}))
    if not parts:
        return pa.schema([("key", pa.string()), ("time", pa.int64()), ("value", pa.float64()),
                          ("agg", pa.string())]).empty_table()
    return pa.concat_tables(parts)


def connect(store, specs: list[tuple[str, str]]):
    con = budget.open_duckdb(store.root)
    register_arrow(con, "context_rows", context_rows(store, specs))
    return con


def by_period(store, specs: list[tuple[str, str]], by: str = "day", t_from: int | None = None,
              t_to: int | None = None) -> pa.Table:
    """(key, period, value, n) per period number (time // unit) of each series."""
    con = connect(store, specs)
    try:
        return run(con, "context_by_period", {"unit": UNITS[by], "t_from": t_from, "t_to": t_to})
    finally:
        con.close()


def day_values(store, series: str, metric: str, day_from: int | None = None, day_to: int | None = None) -> dict[int, float]:
    """{UTC day number: value} of one metric, aggregated by its agg (sum/last/...)."""
    t = by_period(store, [(series, metric)], "day", None if day_from is None else day_from * 86400,
                  None if day_to is None else (day_to + 1) * 86400)
    return dict(zip(t["period"].to_pylist(), t["value"].to_pylist()))


def raw_rows(store, series: str, metric: str, t_from: int, t_to: int) -> pa.Table:
    t = catalog.load(store, series, metric)
    return t.filter(pc.and_(pc.greater_equal(t["time"], t_from), pc.less(t["time"], t_to)))
