"""`--with a,b,c`: context series as extra columns of an on-chain table, for the same UTC day (or
hour, for `flows --by hour`), through sql/context/context_with.sql. Flows are summed within the
period, levels take its last value; a period without context is null, never 0."""

from __future__ import annotations

import pyarrow as pa

from costbasis.context import catalog
from costbasis.context.query import UNITS, context_rows
from costbasis.engine import budget
from costbasis.engine.db import register_arrow, run
from costbasis.errors import CostbasisError, UsageError


def parse_with(store, text: str | None, option: str = "--with") -> list[tuple[str, str, str]]:
    """'a,b.c' -> [(column name, series, metric)], every name checked against the store."""
    if text is None:
        return []
    names = [s.strip() for s in text.split(",")]
    if not any(names):
        raise UsageError(f"{option}: name at least one context metric (see `costbasis context list`)")
    index = catalog.metric_index(store)
    out, seen = [], set()
    for n in names:
        if not n:
            raise UsageError(f"{option}: empty name in {text!r}")
        if n in seen:
            continue
        seen.add(n)
        series, metric = catalog.resolve(store, n, option, index)
        out.append((n, series, metric))
    return out


def _periods(table: pa.Table) -> tuple[str, pa.Array]:
    """('day'|'hour', period number per row) from the table's date or hour column."""
    import pyarrow.compute as pc

    if "date" in table.column_names:
        col = table["date"]
        if pa.types.is_date(col.type):
            return "day", pc.cast(pc.cast(col, pa.date32()), pa.int32()).combine_chunks()
    if "hour" in table.column_names:
        col = table["hour"]
        if pa.types.is_timestamp(col.type):
            secs = pc.cast(pc.cast(col, pa.timestamp("s", tz=col.type.tz)), pa.int64())
            return "hour", pc.divide(secs, 3600).combine_chunks()
    raise UsageError("--with adds context by day: this output has no date column (use it on the daily table, "
                     "not with --list)")


def add_context(store, table: pa.Table, specs: list[tuple[str, str, str]]) -> pa.Table:
    """`table` with one float column per spec (named as given), aligned on its date/hour column."""
    if not specs:
        return table
    by, periods = _periods(table)
    taken = set(table.column_names)
    clash = [name for name, _, _ in specs if name in taken]
    if clash:
        raise CostbasisError(f"--with {clash[0]}: the output already has a column of that name; "
                             "write it as series.metric")
    con = budget.open_duckdb(store.root)
    try:
        register_arrow(con, "context_rows", context_rows(store, [(s, m) for _, s, m in specs]))
        register_arrow(con, "onchain_periods", pa.table({"row_id": pa.array(range(table.num_rows), pa.int64()),
                                                        "period": pc_int64(periods)}))
        got = run(con, "context_with", {"unit": UNITS[by]})
    finally:
        con.close()
    cols = {f"{s}.{m}": [None] * table.num_rows for _, s, m in specs}
    for rid, key, value in zip(got["row_id"].to_pylist(), got["key"].to_pylist(), got["value"].to_pylist()):
        cols[key][rid] = value
    for name, s, m in specs:
        table = table.append_column(name, pa.array(cols[f"{s}.{m}"], pa.float64()))
    return table


def pc_int64(a: pa.Array) -> pa.Array:
    import pyarrow.compute as pc
    return pc.cast(a, pa.int64())
