"""The stored context series: listing, metric lookup (`metric` or `series.metric`) and loading."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.context.importer import DATASET, series_meta
from costbasis.context.series import interval_label
from costbasis.errors import CostbasisError, UsageError

LIST_SCHEMA = pa.schema([
    ("series", pa.string()), ("metric", pa.string()), ("kind", pa.string()), ("interval", pa.string()),
    ("agg", pa.string()), ("unit", pa.string()), ("first", pa.string()), ("last", pa.string()),
    ("rows", pa.int64()), ("source", pa.string()), ("imported_at", pa.string()),
])


def series_names(store) -> list[str]:
    folder = store.dataset_path(DATASET, "x").parent
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []


def read_series(store, name: str) -> pa.Table:
    t = store.read_dataset(DATASET, name)
    if t is None:
        raise CostbasisError(f"no context series {name!r}; see `costbasis context list`")
    return t


def _when(ts: int, interval: int) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.date().isoformat() if interval % 86400 == 0 and ts % 86400 == 0 else dt.strftime("%Y-%m-%d %H:%M")


def list_series(store) -> pa.Table:
    rows = []
    for name in series_names(store):
        t = read_series(store, name)
        meta = series_meta(t)
        imports = meta.get("imports", [])
        for m in sorted(set(t["metric"].to_pylist())):
            part = t.filter(pc.equal(t["metric"], m))
            iv = part["interval"][0].as_py()
            rows.append({
                "series": name, "metric": m, "kind": meta.get("kind", ""), "interval": interval_label(iv),
                "agg": part["agg"][0].as_py(), "unit": part["unit"][0].as_py(),
                "first": _when(pc.min(part["time"]).as_py(), iv), "last": _when(pc.max(part["time"]).as_py(), iv),
                "rows": part.num_rows, "source": ", ".join(sorted(set(part["source"].to_pylist()))),
                "imported_at": imports[-1]["imported_at"] if imports else "",
            })
    return pa.Table.from_pylist(rows, schema=LIST_SCHEMA)


def metric_index(store) -> dict[str, list[str]]:
    """metric -> the series that hold it."""
    found: dict[str, list[str]] = {}
    for name in series_names(store):
        t = store.read_dataset(DATASET, name)
        for m in set(t["metric"].to_pylist()):
            found.setdefault(m, []).append(name)
    return found


def resolve(store, spec: str, option: str = "--with", index: dict | None = None) -> tuple[str, str]:
    """'metric' (held by exactly one series) or 'series.metric' -> (series, metric)."""
    spec = spec.strip()
    index = metric_index(store) if index is None else index
    if not spec:
        raise UsageError(f"{option}: empty metric name")
    if "." in spec:
        series, metric = spec.split(".", 1)
        if series not in series_names(store):
            raise CostbasisError(f"{option} {spec}: no context series {series!r}; see `costbasis context list`")
        if series not in index.get(metric, []):
            raise CostbasisError(f"{option} {spec}: series {series} has no metric {metric!r}; see `costbasis context list`")
        return series, metric
    holders = index.get(spec, [])
    if not holders:
        if not index:
            raise CostbasisError(f"{option} {spec}: no context imported; run `costbasis context import FILE` first")
        raise CostbasisError(f"{option} {spec}: no imported series has metric {spec!r}; see `costbasis context list`")
    if len(holders) > 1:
        raise CostbasisError(f"{option} {spec}: several series have it ({', '.join(sorted(holders))}); "
                             f"write series.metric, e.g. {sorted(holders)[0]}.{spec}")
    return holders[0], spec


def load(store, series: str, metric: str) -> pa.Table:
    t = read_series(store, series)
    return t.filter(pc.equal(t["metric"], metric))
