"""`costbasis context import`: parse a file fully, then upsert it into `<cache>/context/<name>.parquet`.

Upsert key (metric, time): a re-import (or a later export of the same series) replaces the rows
it holds again and keeps the others. The Parquet file's metadata records the series' kind and
format and every import (file name, SHA-256, row count, import time), so the store says where
each number came from; each row also carries its file name (`source`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.context.formats import Parsed, parse_file
from costbasis.context.names import check_series_name, default_series_name
from costbasis.context.series import SCHEMA, with_intervals
from costbasis.errors import CostbasisError

DATASET = "context"
META_KEY = b"costbasis.context"


def series_meta(table: pa.Table | None) -> dict:
    raw = (table.schema.metadata or {}).get(META_KEY) if table is not None else None
    return json.loads(raw) if raw else {}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _keys(t: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(t["metric"], pc.cast(t["time"], pa.string()), "@")


@dataclass
class Pending:
    """A parsed file, not yet written: every file of one command is parsed before any is stored."""
    path: Path
    series: str
    parsed: Parsed
    sha256: str


def prepare(path: Path | str, kind: str | None = None, name: str | None = None) -> Pending:
    path = Path(path)
    series = check_series_name(name) if name else default_series_name(path)
    parsed = parse_file(path, kind, name)
    return Pending(path, series, parsed, _sha256(path))


def check_kind_of(store, p: Pending) -> None:
    meta = series_meta(store.read_dataset(DATASET, p.series))
    if meta and meta.get("kind") != p.parsed.kind:
        raise CostbasisError(f"series {p.series} holds {meta.get('kind')} data, {p.path.name} is {p.parsed.kind}; "
                             f"import it under another --name")


def commit(store, p: Pending, imported_at: datetime | None = None) -> dict:
    """Upsert a prepared file by (metric, time). `imported_at`: the time recorded for this import
    (default now; the demo passes a fixed one so its store is byte-identical for the same seed)."""
    check_kind_of(store, p)
    new, series = p.parsed.table, p.series
    old = store.read_dataset(DATASET, series)
    meta = series_meta(old)
    updated = 0
    if old is not None and old.num_rows:
        old = old.select(SCHEMA.names).cast(SCHEMA)
        hit = pc.is_in(_keys(old), value_set=_keys(new))
        updated = pc.sum(hit).as_py() or 0
        merged = pa.concat_tables([old.filter(pc.invert(hit)), new])
    else:
        merged = new
    merged = with_intervals(merged.sort_by([("metric", "ascending"), ("time", "ascending")]))
    stamp = (imported_at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    record = {"file": p.path.name, "sha256": p.sha256, "rows": new.num_rows, "kind": p.parsed.kind,
              "format": p.parsed.format, "imported_at": stamp.isoformat().replace("+00:00", "Z")}
    meta = {"name": series, "kind": p.parsed.kind, "format": p.parsed.format,
            "imports": meta.get("imports", []) + [record]}
    merged = merged.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()})
    out = store.write_dataset(DATASET, series, merged)
    times = new["time"]
    return {
        "series": series, "file": str(p.path), "kind": p.parsed.kind, "format": p.parsed.format,
        "metrics": ",".join(sorted(set(new["metric"].to_pylist()))),
        "rows_in_file": new.num_rows, "rows_added": new.num_rows - updated, "rows_updated": updated,
        "rows_total": merged.num_rows,
        "first": _iso(pc.min(times).as_py()), "last": _iso(pc.max(times).as_py()),
        "stored_at": str(out),
    }


def import_files(store, paths, kind: str | None = None, name: str | None = None,
                 imported_at: datetime | None = None) -> list[dict]:
    """Parse every file first (any bad row aborts before anything is written), then upsert each."""
    pending = [prepare(p, kind, name) for p in paths]
    kinds: dict[str, Pending] = {}
    for p in pending:
        check_kind_of(store, p)
        first = kinds.setdefault(p.series, p)
        if first.parsed.kind != p.parsed.kind:
            raise CostbasisError(f"{first.path.name} ({first.parsed.kind}) and {p.path.name} ({p.parsed.kind}) "
                                 f"cannot share the series {p.series}; import them under different --name")
    return [commit(store, p, imported_at) for p in pending]


def import_file(store, path: Path | str, kind: str | None = None, name: str | None = None,
                imported_at: datetime | None = None) -> dict:
    return import_files(store, [path], kind, name, imported_at)[0]


def _iso(ts: int) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.date().isoformat() if ts % 86400 == 0 else dt.strftime("%Y-%m-%d %H:%M")
