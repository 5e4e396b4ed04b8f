"""Per-chain store: `<cache>/<chain>/<table>/<first>-<last>.parquet` plus `_manifest.json`.

The manifest is the ingest cursor and the list of committed files. A batch is
committed by (1) writing every table's file atomically, then (2) atomically
rewriting the manifest. Readers only see files listed in the manifest, so a
process killed between (1) and (2) leaves stray files that are invisible and
are deleted by the next writer; the rerun rewrites the same range.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.errors import CostbasisError
from costbasis.store.atomic import atomic_write_bytes, atomic_write_table
from costbasis.store.derived import DerivedSet
from costbasis.store.names import is_chain_name, validate_chain_name

MANIFEST = "_manifest.json"
RECENT_HASHES = 2000  # enough to find a fork point for any realistic reorg
HEIGHT_DIGITS = 10


def default_cache_dir() -> Path:
    return Path(os.environ.get("COSTBASIS_CACHE", "parquet_cache"))


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def range_filename(first: int, last: int) -> str:
    return f"{first:0{HEIGHT_DIGITS}d}-{last:0{HEIGHT_DIGITS}d}.parquet"


@dataclass(frozen=True)
class FileEntry:
    first: int
    last: int
    file: str
    rows: int
    bytes: int


class Store:
    """The cache root: one ChainStore per chain, plus prices/ and labels/.

    A Store is a snapshot: each chain's manifest is read once, on first use, and every view, tip
    and derived-state stamp taken through this object comes from that one read, so a query running
    beside an ingest sees one committed state, never the files of one and the tip of another.
    `refresh()` (or a new Store) sees later commits; a writer re-reads under its lock.
    """

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        self._chains: dict[str, ChainStore] = {}

    def chain(self, name: str) -> "ChainStore":
        cs = self._chains.get(name)
        if cs is None:
            cs = self._chains[name] = ChainStore(self.root / validate_chain_name(name), name)
        return cs

    def refresh(self) -> None:
        """Forget the manifests read so far: the next access sees the latest commit."""
        self._chains.clear()

    def chains(self) -> list[str]:
        if not self.root.is_dir():
            return []
        # a folder whose name no chain may have (made by hand, or by an older version) is not a chain
        return sorted(p.name for p in self.root.iterdir() if (p / MANIFEST).is_file() and is_chain_name(p.name))

    def dataset_path(self, kind: str, name: str) -> Path:
        """Single-file datasets such as prices/BTC.parquet and labels/labels.parquet."""
        return self.root / kind / f"{name}.parquet"

    def write_dataset(self, kind: str, name: str, table: pa.Table) -> Path:
        path = self.dataset_path(kind, name)
        atomic_write_table(path, table)
        return path

    def read_dataset(self, kind: str, name: str) -> pa.Table | None:
        path = self.dataset_path(kind, name)
        if not path.is_file():
            return None
        try:
            return pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise CostbasisError(f"store file {path} is unreadable ({_first_line(e)}); "
                                 f"import it again or run `costbasis check`") from None


class ChainStore:
    def __init__(self, path: Path, name: str):
        self.path = Path(path)
        self.name = name
        self._manifest: dict | None = None

    # ---------------------------------------------------------------- manifest
    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            mpath = self.path / MANIFEST
            if mpath.is_file():
                try:
                    m = json.loads(mpath.read_text())
                except (json.JSONDecodeError, UnicodeDecodeError) as e:
                    raise CostbasisError(f"corrupt store manifest {mpath}: {e}") from None
                problem = manifest_problem(m)
                if problem:
                    raise CostbasisError(f"corrupt store manifest {mpath}: {problem}; see `costbasis check`")
                self._manifest = m
            else:
                self._manifest = {"version": 1, "chain": self.name, "meta": {}, "tip": None,
                                  "recent_hashes": {}, "tables": {}}
        return self._manifest

    def exists(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def _save_manifest(self) -> None:
        data = json.dumps(self.manifest, indent=1, sort_keys=True).encode()
        atomic_write_bytes(self.path / MANIFEST, data)

    @property
    def meta(self) -> dict:
        return self.manifest.setdefault("meta", {})

    def set_meta(self, **kv) -> None:
        self.meta.update(kv)
        self._save_manifest()

    def tip(self) -> tuple[int, str] | None:
        t = self.manifest.get("tip")
        return (t["height"], t["hash"]) if t else None

    def hash_at(self, height: int) -> str | None:
        return self.manifest.get("recent_hashes", {}).get(str(height))

    def recent_heights(self) -> list[int]:
        return sorted((int(h) for h in self.manifest.get("recent_hashes", {})), reverse=True)

    def tables(self) -> list[str]:
        return sorted(self.manifest.get("tables", {}))

    def entries(self, table: str) -> list[FileEntry]:
        t = self.manifest.get("tables", {}).get(table)
        if not t:
            return []
        return [FileEntry(**e) for e in t["files"]]

    def files(self, table: str) -> list[Path]:
        return [self.path / table / e.file for e in self.entries(table)]

    def derived(self, name: str) -> DerivedSet:
        """State derived from this chain's tables, kept between runs (see store/derived.py)."""
        return DerivedSet(self.path / "_derived" / name)

    def key_column(self, table: str) -> str:
        return self.manifest.get("tables", {}).get(table, {}).get("key", "height")

    def file_set(self, up_to: int | None = None) -> str:
        """Digest of the committed files (table, name, rows, bytes) whose range ends at or below
        `up_to` (all when None): derived state records it and is rebuilt when it differs."""
        h = hashlib.sha256()
        for table in self.tables():
            for e in self.entries(table):
                if up_to is None or e.last <= up_to:
                    h.update(f"{table}/{e.file}:{e.rows}:{e.bytes};".encode())
        return h.hexdigest()

    def problems(self, deep: bool = False) -> list[str]:
        """What is wrong with the committed files: missing, wrong size; with `deep` also an
        unreadable footer, a row count or key range that is not the manifest's."""
        out = []
        for table in self.tables():
            key = self.key_column(table)
            for e in self.entries(table):
                path = self.path / table / e.file
                try:
                    size = path.stat().st_size
                except OSError:
                    out.append(f"{path}: missing (listed in the manifest)")
                    continue
                if size != e.bytes:
                    out.append(f"{path}: {size} bytes, the manifest says {e.bytes} (truncated or overwritten)")
                    continue
                if deep:
                    out.extend(f"{path}: {p}" for p in _deep_problems(path, e, key))
        return out

    def check(self) -> None:
        """The cheap check run before every ingest and query: every listed file exists with its size."""
        bad = self.problems(deep=False)
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise CostbasisError(f"store {self.name} is damaged: {bad[0]}{more}; "
                                 f"run `costbasis check --repair`")

    def data_files(self) -> list[Path]:
        """Range files on disk under the table folders (committed or not)."""
        if not self.path.is_dir():
            return []
        return [f for d in self.path.iterdir() if d.is_dir() and not d.name.startswith("_")
                for f in d.glob("*.parquet")]

    # ------------------------------------------------------------------ writes
    @contextmanager
    def writer_lock(self, check: bool = True) -> Iterator[None]:
        """Exclusive lock so two ingests never write the same store. `check=False` (for
        `costbasis check --repair` only) skips the file check that refuses a damaged store."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CostbasisError(f"another costbasis process is writing {self.path}; wait for it to finish") from None
            self._manifest = None  # re-read under the lock
            if not self.exists() and self.data_files():
                # never take "no manifest" for "empty store": that would delete every data file
                raise CostbasisError(f"store {self.path} has data files but no {MANIFEST}; "
                                     f"restore the manifest or move the folder away and ingest again")
            if check:
                self.check()
            self.remove_uncommitted()
            yield
        finally:
            os.close(fd)

    def remove_uncommitted(self) -> int:
        """Delete files left by an interrupted write (not listed in the manifest)."""
        removed = 0
        if not self.path.is_dir():
            return 0
        listed = {(t, e["file"]) for t, v in self.manifest.get("tables", {}).items() for e in v["files"]}
        for tdir in self.path.iterdir():
            if not tdir.is_dir():
                if tdir.name.startswith(".tmp-"):
                    tdir.unlink(missing_ok=True)
                continue
            for f in tdir.iterdir():
                if f.name.startswith(".tmp-") or (f.suffix == ".parquet" and (tdir.name, f.name) not in listed):
                    f.unlink(missing_ok=True)
                    removed += 1
        return removed

    def commit(self, first: int, last: int, tables: dict[str, pa.Table], tip_hash: str | None,
               hashes: dict[int, str] | None = None, keys: dict[str, str] | None = None) -> None:
        """Write one block range for every table, then advance the cursor to `last`."""
        tip = self.tip()
        if tip is not None and first != tip[0] + 1:
            raise CostbasisError(f"store {self.name}: batch starts at {first} but tip is {tip[0]}")
        m = self.manifest
        name = range_filename(first, last)
        new_entries = {}
        for table, data in tables.items():
            path = self.path / table / name
            atomic_write_table(path, data)
            new_entries[table] = {"first": first, "last": last, "file": name,
                                  "rows": data.num_rows, "bytes": path.stat().st_size}
        for table, entry in new_entries.items():
            t = m.setdefault("tables", {}).setdefault(table, {"key": (keys or {}).get(table, "height"), "files": []})
            t["files"].append(entry)
        if tip_hash is not None:
            m["tip"] = {"height": last, "hash": tip_hash}
        rh = m.setdefault("recent_hashes", {})
        for h, bh in (hashes or {}).items():
            rh[str(h)] = bh
        if len(rh) > RECENT_HASHES:
            for k in sorted(rh, key=int)[: len(rh) - RECENT_HASHES]:
                del rh[k]
        self._save_manifest()

    def rollback(self, to_height: int) -> None:
        """Drop every row above `to_height` (reorg). Straddling files are rewritten."""
        m = self.manifest
        for table, t in m.get("tables", {}).items():
            key = t.get("key", "height")
            kept = []
            for e in t["files"]:
                if e["last"] <= to_height:
                    kept.append(e)
                elif e["first"] <= to_height:
                    path = self.path / table / e["file"]
                    data = pq.read_table(path)
                    data = data.filter(pc.less_equal(data[key], to_height))
                    name = range_filename(e["first"], to_height)
                    atomic_write_table(self.path / table / name, data)
                    kept.append({"first": e["first"], "last": to_height, "file": name,
                                 "rows": data.num_rows, "bytes": (self.path / table / name).stat().st_size})
            t["files"] = kept
        rh = m.get("recent_hashes", {})
        for k in [k for k in rh if int(k) > to_height]:
            del rh[k]
        if to_height < 0:
            m["tip"] = None
        else:
            m["tip"] = {"height": to_height, "hash": rh.get(str(to_height))}
        self._save_manifest()
        self.remove_uncommitted()


def manifest_problem(m) -> str | None:
    """Why `m` is not a manifest of the shape this code writes (None when it is)."""
    if not isinstance(m, dict):
        return "not a JSON object"
    tip = m.get("tip")
    if tip is not None and not (isinstance(tip, dict) and isinstance(tip.get("height"), int)
                                and isinstance(tip.get("hash"), (str, type(None)))):
        return "bad 'tip'"
    if not isinstance(m.get("meta", {}), dict) or not isinstance(m.get("recent_hashes", {}), dict):
        return "bad 'meta' or 'recent_hashes'"
    tables = m.get("tables", {})
    if not isinstance(tables, dict):
        return "bad 'tables'"
    for name, t in tables.items():
        if not isinstance(t, dict) or not isinstance(t.get("files"), list):
            return f"bad entry for table {name!r}"
        for e in t["files"]:
            if not (isinstance(e, dict) and all(isinstance(e.get(k), int) for k in ("first", "last", "rows", "bytes"))
                    and isinstance(e.get("file"), str) and "/" not in e["file"] and not e["file"].startswith(".")):
                return f"bad file entry in table {name!r}"
    return None


def _deep_problems(path: Path, e: FileEntry, key: str) -> list[str]:
    try:
        md = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as ex:
        return [f"unreadable Parquet footer ({_first_line(ex)})"]
    out = []
    if md.num_rows != e.rows:
        out.append(f"{md.num_rows} rows, the manifest says {e.rows}")
    if e.rows:
        try:
            col = pq.read_table(path, columns=[key])[key]
        except (pa.ArrowException, OSError, KeyError) as ex:
            return out + [f"unreadable column {key!r} ({_first_line(ex)})"]
        lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
        if lo is None or lo < e.first or hi > e.last:
            out.append(f"{key} range {lo}..{hi} outside the manifest's {e.first}..{e.last}")
    return out
