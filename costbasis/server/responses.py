"""Representations (json/csv/parquet), the store-state ETag and error bodies.

The JSON body is byte for byte what `--format json` prints (cli.output.to_json plus a newline);
CSV and Parquet are written as cli.output.render writes them.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

import pyarrow as pa

from costbasis.errors import UsageError
from costbasis.store import Store

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "parquet": "application/vnd.apache.parquet"}
BRIEF_FORMATS = {"json": "application/json", "text": "text/plain; charset=utf-8",
                 "markdown": "text/markdown; charset=utf-8"}
_ACCEPT = {"application/json": "json", "text/csv": "csv", "application/vnd.apache.parquet": "parquet",
           "application/parquet": "parquet", "application/x-parquet": "parquet",
           "text/plain": "text", "text/markdown": "markdown"}
# files the answers read besides the chains' committed tables: imported inputs, never derived state
INPUT_FOLDERS = ("prices", "labels", "clusters", "context")


def pick_format(query_format: str | None, accept: str | None, allowed: dict[str, str]) -> str:
    """?format= wins; else the first Accept type we serve; else json."""
    if query_format is not None:
        if query_format not in allowed:
            raise UsageError(f"unknown format {query_format!r}; use one of {', '.join(allowed)}")
        return query_format
    for part in (accept or "").split(","):
        fmt = _ACCEPT.get(part.split(";")[0].strip().lower())
        if fmt in allowed:
            return fmt
    return "json"


def encode(table: pa.Table, fmt: str) -> bytes:
    from costbasis.cli.output import to_json

    table = table.replace_schema_metadata(None)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        from costbasis.store.atomic import PARQUET_OPTS
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **PARQUET_OPTS)
        return sink.getvalue().to_pybytes()
    if fmt == "csv":
        import pyarrow.csv as pacsv
        for i, f in enumerate(table.schema):   # hex, as render() does: CSV has no bytes type
            if pa.types.is_binary(f.type) or pa.types.is_fixed_size_binary(f.type):
                col = [None if b is None else b.hex() for b in table.column(i).to_pylist()]
                table = table.set_column(i, f.name, pa.array(col, pa.string()))
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        return buf.getvalue()
    return (to_json(table) + "\n").encode()


def encode_brief(brief: dict, fmt: str) -> bytes:
    from costbasis.brief.render import render
    return render(brief, fmt).encode()


@dataclass(frozen=True)
class State:
    """What a request's answers depend on: each chain's committed tip (from the request's one
    Store snapshot, the same manifest read the query uses) and the imported input files."""
    tips: tuple[tuple[str, int | None, str | None], ...]
    inputs: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(repr((self.tips, self.inputs)).encode()).hexdigest()[:24]

    def header(self) -> str:
        """X-Costbasis-Tips: chain=height:hash, ... (what the answer saw)."""
        return ", ".join(f"{c}={h if h is not None else '-'}:{x or '-'}" for c, h, x in self.tips)


def inputs_fingerprint(store: Store) -> str:
    """Name, size, mtime and inode of every imported input file: an import replaces its file
    atomically (a new inode), so any change shows; reading their contents per request would not pay."""
    h = hashlib.sha256()
    for folder in INPUT_FOLDERS:
        d = store.root / folder
        if not d.is_dir():
            continue
        for f in sorted(d.iterdir()):
            if f.suffix == ".parquet" and not f.name.startswith("."):
                try:
                    st = f.stat()
                except FileNotFoundError:
                    continue   # replaced between listing and stat: the next request sees the new one
                h.update(f"{folder}/{f.name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino};".encode())
    return h.hexdigest()[:16]


def store_state(store: Store) -> State:
    tips = []
    for name in store.chains():
        tip = store.chain(name).tip()
        tips.append((name, tip[0], tip[1]) if tip else (name, None, None))
    return State(tuple(tips), inputs_fingerprint(store))


def etag(state: State, key: str) -> str:
    """Strong ETag of one representation: the store state and the request (endpoint, options, format)."""
    return '"' + state.digest + "-" + hashlib.sha256(key.encode()).hexdigest()[:12] + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == tag for t in tags)


def error_body(message: str) -> bytes:
    # one line, as the CLI prints it after "error: "
    return (json.dumps({"error": " ".join(str(message).split())}) + "\n").encode()
