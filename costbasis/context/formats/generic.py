"""Generic long format: `time,metric,value` (time as ISO date/time or unix s/ms), optional
`agg` (sum for a flow, last for a level; default last) and `unit` columns. Metric names are
lower-case letters, digits and '_'."""

from __future__ import annotations

from costbasis.context.formats.cells import number, timestamp
from costbasis.context.formats.textfile import Rows
from costbasis.context.names import check_metric_name
from costbasis.context.series import AGGS, Builder
from costbasis.errors import CostbasisError


def detect(header: list[str], path) -> str | None:
    low = [h.lower() for h in header]
    return "generic" if low[:3] == ["time", "metric", "value"] else None


def parse(rows: Rows, kind: str) -> Builder:
    low = [h.lower() for h in rows.header]
    if low[:3] != ["time", "metric", "value"]:
        raise CostbasisError(f"{rows.where(rows.rows[0][0])}: generic files start with the columns time,metric,value "
                             f"(columns: {', '.join(rows.header)})")
    ai = low.index("agg") if "agg" in low else None
    ui = low.index("unit") if "unit" in low else None
    b = Builder(rows.path.name, rows.where)
    for line, row in rows.data():
        where = rows.where(line)
        if len(row) < 3:
            raise CostbasisError(f"{where}: expected time,metric,value, got {len(row)} cells")
        metric = check_metric_name(row[1].strip(), where)
        agg = (row[ai].strip().lower() if ai is not None and ai < len(row) and row[ai].strip() else "last")
        if agg not in AGGS:
            raise CostbasisError(f"{where}: agg {agg!r} is not one of {', '.join(AGGS)}")
        unit = row[ui].strip() if ui is not None and ui < len(row) else ""
        try:
            b.metric(metric, agg, unit)
        except CostbasisError as e:
            raise CostbasisError(f"{where}: {e}") from None
        b.add(line, timestamp(row[0], where), metric, number(row[2], where))
    return b
