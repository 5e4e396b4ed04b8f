"""Open DuckDB with one view per stored table; load and run the SQL files in `sql/`.

Views are created through the relational API from the manifest's committed file
lists (never by formatting paths into SQL); metric SQL takes bound parameters.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb
import pyarrow as pa

from costbasis.bitcoin.outpoints import tx_key_sql
from costbasis.bitcoin.schema import FROM_OLDER
from costbasis.engine import budget
from costbasis.errors import CostbasisError
from costbasis.store import Store

# The repository's sql/ folder, installed as the package costbasis.sql (pyproject.toml maps it), so a
# wheel carries it and an editable install reads the folder itself.
SQL_PACKAGE = "costbasis.sql"


@lru_cache(maxsize=None)
def sql_files() -> dict[str, Traversable]:
    """Every `sql/<group>/<name>.sql` by name: callers say `sql_text("cohorts_daily")`, not the group,
    so a file can change group without touching them, and two files may not share a name."""
    found: dict[str, Traversable] = {}
    folders = [resources.files(SQL_PACKAGE)]
    while folders:
        for entry in folders.pop().iterdir():
            if entry.is_dir():
                folders.append(entry)
            elif entry.name.endswith(".sql"):
                name = entry.name[:-len(".sql")]
                if name in found:
                    raise CostbasisError(f"two SQL files named {entry.name} in {SQL_PACKAGE} (a packaging bug)")
                found[name] = entry
    return found


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """Text of `sql/<group>/<name>.sql`."""
    entry = sql_files().get(name)
    if entry is None:
        raise FileNotFoundError(f"no SQL file {name}.sql in {SQL_PACKAGE}")
    return entry.read_text(encoding="utf-8")


def resolve_chain(store: Store, chain: str | None, family: str = "bitcoin") -> str:
    """`chain` if stored; else the only stored chain of the family (e.g. bitcoin-regtest)."""
    chains = store.chains()
    if chain and chain in chains:
        return chain
    if chain and chain != family:
        raise CostbasisError(f"no data for chain {chain!r} in {store.root} (have: {', '.join(chains) or 'nothing'})")
    fam = [c for c in chains if c == family or c.startswith(family + "-")]
    if len(fam) == 1:
        return fam[0]
    if not fam:
        raise CostbasisError(
            f"no {family} data in {store.root}; run `costbasis ingest {family} ...` or `costbasis demo` first")
    raise CostbasisError(f"several {family} chains in {store.root} ({', '.join(fam)}); pick one with --chain")


def register_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"__arrow_{name}", table)
    con.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM __arrow_{name}")  # name is ours, not user input


def register_files(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], schema: pa.Schema | None) -> None:
    if files:
        paths = [str(f) for f in files]
        rel = con.read_parquet(paths)
        if schema is not None and set(rel.columns) != set(schema.names):
            rel = _older_format(con, name, paths, rel, schema)
        rel.create_view(name, replace=True)
    elif schema is not None:
        register_arrow(con, name, schema.empty_table())


def _older_format(con: duckdb.DuckDBPyConnection, name: str, paths: list[str], rel, schema: pa.Schema):
    """The view's relation when the first file is of an older store format (bitcoin/schema.py; older
    files are a prefix of the list, so an all-new table never comes here). Columns since dropped:
    DuckDB binds the first file's columns and matches the others by name, so taking only the schema's
    reads old and new files together. Columns that replaced an older one (FROM_OLDER): the files'
    columns differ, so they are read by name (missing ones NULL) and the new column is derived from the
    older one where a file lacks it."""
    derive = {c: old for c, old in FROM_OLDER.get(name, {}).items()
              if c in schema.names and c not in rel.columns}
    if derive:
        rel = con.read_parquet(paths, union_by_name=True)
    cols = []
    for c in schema.names:
        if c in derive:
            old = tx_key_sql(f'"{derive[c]}"')
            cols.append(f'coalesce("{c}", {old}) AS "{c}"' if c in rel.columns else f'{old} AS "{c}"')
        elif c in rel.columns:
            cols.append(f'"{c}"')
    return rel.select(", ".join(cols))


def connect(store: Store, chain: str | None = None, family: str = "bitcoin",
            schemas: dict[str, pa.Schema] | None = None, threads: int | None = None) -> tuple[duckdb.DuckDBPyConnection, str]:
    """In-memory DuckDB with views for every table of `chain` (resolved), `prices` and `labels`."""
    name = resolve_chain(store, chain, family)
    cs = store.chain(name)   # the Store's one read of the manifest: views, tip and stamps agree
    cs.check()
    # memory limit, threads (COSTBASIS_THREADS=1 makes float aggregation order, and so derived
    # files, reproducible) and the spill folder <cache>/_tmp/ all come from the process budget
    con = budget.open_duckdb(store.root, threads)
    tables = set(cs.tables()) | set(schemas or {})
    for t in sorted(tables):
        register_files(con, t, cs.files(t), (schemas or {}).get(t))
    register_script_key2(con)
    return con, name


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | list | None = None) -> pa.Table:
    """Run `sql/<name>.sql` with bound parameters and return an Arrow table."""
    res = con.execute(sql_text(name), params or {})
    # DuckDB 2.x renamed fetch_arrow_table() to to_arrow_table()
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
    with warnings.catch_warnings():  # 2.x warns that this path copies; results here are small
        warnings.simplefilter("ignore", UserWarning)
        return fetch()


def script(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """Run every statement of sql/<name>.sql (each given the parameters it names: DuckDB binds
    parameters for one statement at a time); the result of the last one."""
    res = None
    for stmt in sql_text(name).split(";\n"):
        if stmt.strip() and not all(line.startswith("--") for line in stmt.strip().splitlines()):
            res = con.execute(stmt, named(stmt, params))
    return res


def named(sql: str, params: dict | None) -> dict:
    """The parameters `sql` names (DuckDB refuses a bound parameter the statement does not use)."""
    return {k: v for k, v in (params or {}).items() if f"${k}" in sql}


# A script's second 64-bit key beside hash(script), where a pair of keys stands in for the script (the
# balance indexes, the sweep's spend counts). Not hash(script, 1): DuckDB's multi-argument hash combines
# hash(script) with hash(1), a function of the first key, so two scripts whose keys collide (~6 % odds
# of one pair over mainnet's ~1.5 B scripts) would collide in it too. The script behind a one-byte
# prefix is hashed afresh. SQL files call it as script_key2(script) (register_script_key2).
KEY2_SQL = "hash(unhex('01') || {})"


def register_script_key2(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP MACRO script_key2(s) AS {KEY2_SQL.format('s')}")


def hash_probe(con: duckdb.DuckDBPyConnection) -> str:
    """DuckDB's hash() of a fixed value: stored keys are only valid for the same hash function."""
    return str(con.execute("SELECT hash('costbasis-flows-probe'::BLOB)").fetchall()[0][0])


def files_view(con, name: str, files: list[Path], schema: pa.Schema) -> None:
    """View `name` over `files` (a name of ours). An empty list gives a temp view, which would shadow
    the plain view a later call makes over files: drop it first."""
    con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
    register_files(con, name, list(files), schema)


@contextmanager
def narrowed(con: duckdb.DuckDBPyConnection, views: dict[str, str]):
    """Within the block, each chain view `name` reads temp table `views[name]` instead (names of ours):
    a temp view of that name shadows the view over the files, then is dropped. So one SQL file computes
    its rows over a chosen subset (e.g. the transactions a label change touches) without a second copy
    of its text. A view that is itself temporary (an empty table's, register_arrow) holds no rows to
    narrow: left as it is."""
    temp = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    shadowed = [n for n in views if n not in temp]
    for n in shadowed:
        con.execute(f"CREATE TEMP VIEW {n} AS SELECT * FROM {views[n]}")
    try:
        yield
    finally:
        for n in shadowed:
            con.execute(f"DROP VIEW temp.main.{n}")


def hash_at(cs, con: duckdb.DuckDBPyConnection, height: int) -> str | None:
    """Block hash at `height` of chain store `cs`: the tip's, else the manifest's recent hashes, else
    from the `blocks` view of `con` (None: no such block). Derived state records the tip it was built
    to; this is how a reader tells whether that block is still on the chain."""
    tip = cs.tip()
    if tip and tip[0] == height:
        return tip[1]
    h = cs.hash_at(height)
    if h is not None:
        return h
    row = con.execute("SELECT hash FROM blocks WHERE height = ?", [height]).fetchall()
    return row[0][0] if row else None
