"""`costbasis check`: the store verified against its manifests, derived state against its stamps.

Per chain: every manifest-listed range file exists with the listed size, its Parquet footer reads,
its row count and key range are the manifest's; every derived state (cohort state, flow tables and
clustering state under <chain>/_derived/) still matches the blocks it was built from. `repair=True` rolls a chain back to the height below
its first damaged file (the next ingest fetches those blocks again) and drops derived state that is
stale or damaged (the next query rebuilds it). Imported datasets (prices, labels) cannot be
rebuilt from the chain: a damaged one is reported so the user imports it again.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.errors import CostbasisError
from costbasis.store.chain_store import MANIFEST, ChainStore, Store, _deep_problems, _first_line
from costbasis.store.derived import DerivedSet

# a derived kind's own check of its state beyond the common stamps (e.g. flows: every segment stamped
# for its range); returns the problem in a few words, or None. Passed in by the layer owning the kind
# (engine.api.check), so the store never imports what is built on it.
Validator = Callable[[ChainStore, DerivedSet], "str | None"]

FINDINGS = pa.schema([("chain", pa.string()), ("part", pa.string()), ("file", pa.string()),
                      ("problem", pa.string()), ("action", pa.string())])
_RANGE = re.compile(r"^(\d+)-(\d+)\.parquet$")


def check_store(store: Store, repair: bool = False, validators: Mapping[str, Validator] | None = None) -> pa.Table:
    """One row per finding (an empty table: the store is sound). `validators`: derived kind ->
    its own state check (see Validator)."""
    validators = validators or {}
    rows: list[dict] = []
    if not store.root.is_dir():
        raise CostbasisError(f"no store at {store.root}")
    for d in sorted(p for p in store.root.iterdir() if p.is_dir()):
        if (d / MANIFEST).is_file():
            rows += _check_chain(store, d.name, repair, validators)
        elif any(f for t in d.iterdir() if t.is_dir() for f in t.glob("*.parquet") if _RANGE.match(f.name)):
            rows.append(_row(d.name, "manifest", d / MANIFEST, "missing, but range files are present",
                             "none: restore the manifest, or move the folder away and ingest again"))
    for kind in ("prices", "labels", "clusters", "flows", "context"):
        for f in sorted((store.root / kind).glob("*.parquet")) if (store.root / kind).is_dir() else []:
            try:
                pq.read_metadata(f)
                pq.read_table(f)
            except (pa.ArrowException, OSError) as e:
                rebuildable = kind in ("clusters", "flows")
                action = "none: import it again"
                if rebuildable:
                    action = "removed (rebuilt by the next query / labels expand)" if repair else "remove with --repair"
                    if repair:
                        f.unlink(missing_ok=True)
                rows.append(_row(f.name.split(".")[0] if kind in ("clusters", "flows") else "", kind, f,
                                 f"unreadable ({_first_line(e)})", action))
    return pa.Table.from_pylist(rows, schema=FINDINGS)


def _row(chain, part, file, problem, action) -> dict:
    return {"chain": chain, "part": part, "file": str(file), "problem": problem, "action": action}


def _check_chain(store: Store, name: str, repair: bool, validators: Mapping[str, Validator]) -> list[dict]:
    cs = ChainStore(store.root / name, name)
    try:
        cs.manifest
    except CostbasisError as e:
        return [_row(name, "manifest", cs.path / MANIFEST, str(e), "none: restore the manifest or ingest again")]
    rows, first_bad = [], None
    for table in cs.tables():
        key = cs.key_column(table)
        for e in cs.entries(table):
            path = cs.path / table / e.file
            if not path.is_file():
                problems = ["missing (listed in the manifest)"]
            elif path.stat().st_size != e.bytes:
                problems = [f"{path.stat().st_size} bytes, the manifest says {e.bytes}"]
            else:
                problems = _deep_problems(path, e, key)
            for p in problems:
                rows.append(_row(name, table, path, p, ""))
            if problems:
                first_bad = e.first if first_bad is None else min(first_bad, e.first)
    if first_bad is not None:
        action = f"rolled back to height {first_bad - 1}" if repair else f"roll back to {first_bad - 1} with --repair"
        for r in rows:
            r["action"] = action
        if repair:
            with cs.writer_lock(check=False):
                cs.rollback(first_bad - 1)
                _fill_tip_hash(cs)
            _drop_derived(store, cs)
            return rows
    rows += _check_derived(store, cs, repair, validators)
    return rows


def _fill_tip_hash(cs: ChainStore) -> None:
    """After a deep rollback the recent-hash window may not reach the new tip: read it from blocks."""
    tip = cs.manifest.get("tip")
    if not tip or tip.get("hash"):
        return
    for col in ("hash", "block_hash"):
        files = cs.files("blocks")
        if files and col in pq.read_schema(files[-1]).names:
            t = pq.read_table(files[-1], columns=[cs.key_column("blocks"), col])
            t = t.filter(pc.equal(t[cs.key_column("blocks")], tip["height"]))
            if t.num_rows:
                tip["hash"] = t[col][0].as_py()
                cs._save_manifest()
            return


def _drop_derived(store: Store, cs: ChainStore) -> None:
    shutil.rmtree(cs.path / "_derived", ignore_errors=True)
    for f in (store.root / "flows").glob(f"{cs.name}.*.parquet") if (store.root / "flows").is_dir() else []:
        f.unlink(missing_ok=True)


def _check_derived(store: Store, cs: ChainStore, repair: bool, validators: Mapping[str, Validator]) -> list[dict]:
    """Cohort states and flow tables whose stamp no longer matches the chain (or that are damaged)."""
    rows = []
    derived = cs.path / "_derived"
    for d in sorted(derived.iterdir()) if derived.is_dir() else []:
        problem = _derived_problem(cs, d, validators)
        if problem:
            rows.append(_row(cs.name, "derived", d, problem,
                             "removed (rebuilt by the next query)" if repair else "remove with --repair"))
            if repair:
                shutil.rmtree(d, ignore_errors=True)
    # legacy flow tables (flows/<chain>.<table>.parquet, before they moved to _derived/flows/): never read
    flows = sorted((store.root / "flows").glob(f"{cs.name}.*.parquet")) if (store.root / "flows").is_dir() else []
    if flows:
        rows.append(_row(cs.name, "flows", store.root / "flows", "flow tables of an older format (no longer read)",
                         "removed" if repair else "remove with --repair"))
        if repair:
            for f in flows:
                f.unlink(missing_ok=True)
    return rows


def _stamp_ok(cs: ChainStore, height: int, hsh: str | None, files: str | None) -> bool:
    tip = cs.tip()
    if tip is None or height > tip[0]:
        return False
    known = tip[1] if height == tip[0] else (cs.hash_at(height) or _hash_from_blocks(cs, height))
    return known is not None and known == hsh and files == cs.file_set(height)


def _hash_from_blocks(cs: ChainStore, height: int) -> str | None:
    """A block hash older than the manifest's recent-hash window, from the blocks range file holding it
    (derived state built in steps is stamped with the height of its last step)."""
    key = cs.key_column("blocks")
    for e, path in zip(cs.entries("blocks"), cs.files("blocks")):
        if e.first <= height <= e.last:
            try:
                names = pq.read_schema(path).names
                col = next((c for c in ("hash", "block_hash") if c in names), None)
                if col is None:
                    return None
                t = pq.read_table(path, columns=[key, col])
            except (pa.ArrowException, OSError):
                return None
            t = t.filter(pc.equal(t[key], height))
            return t[col][0].as_py() if t.num_rows else None
    return None


def _derived_problem(cs: ChainStore, d: Path, validators: Mapping[str, Validator]) -> str | None:
    from costbasis.store.derived import STATE
    if not (d / STATE).is_file():
        return None if not any(d.glob("*.parquet")) else "segment files without state.json"
    st = DerivedSet(d).load()
    if st is None:
        return "state.json unreadable, or a segment file missing or truncated"
    tip = st.get("tip")
    if not tip or not _stamp_ok(cs, tip[0], tip[1], st.get("files")):
        return f"stamped with blocks no longer in the store ({json.dumps(tip)})"
    validate = validators.get(d.name)
    if validate is not None and (problem := validate(cs, DerivedSet(d))):
        return problem
    for files in st.get("tables", {}).values():
        for f in files:
            if not f.endswith(".parquet"):   # raw arrays (union-find parents): their size is checked by load()
                continue
            try:
                pq.read_metadata(d / f)
            except (pa.ArrowException, OSError) as e:
                return f"{f}: unreadable ({_first_line(e)})"
    return None
