"""The stored labels dataset (`<cache>/labels/labels.parquet`) and what reads it.

One row per (chain, address, entity). Imported rows have heuristic = "import";
rows written by `labels expand` name their heuristic and the labeled address they
were derived from. Extra columns of imported files are kept as strings.
"""

from __future__ import annotations

import itertools
import json
import os
import warnings
import weakref
from pathlib import Path

import pyarrow as pa

from costbasis.errors import CostbasisError
from costbasis.store import Store
from costbasis.store.atomic import atomic_write_bytes

LABEL_COLUMNS = pa.schema([
    ("chain", pa.string()),
    ("address", pa.string()),
    ("entity", pa.string()),
    ("label_type", pa.string()),
    ("script", pa.binary()),        # scriptPubKey for Bitcoin-family chains, null otherwise
    ("heuristic", pa.string()),     # "import", "sweep", "common_input"
    ("derived_from", pa.string()),  # labeled address a derived label came from (null for imports)
])

IMPORTED = "import"
# label_type values that make an address count as an exchange's for flows.
EXCHANGE_TYPE_PREFIX = "exchange"


def empty_labels() -> pa.Table:
    return LABEL_COLUMNS.empty_table()


def read_labels(store: Store) -> pa.Table:
    t = store.read_dataset("labels", "labels")
    if t is None:
        return empty_labels()
    # every column nullable, whichever writer (pyarrow or DuckDB's COPY, see labels/expand.py) made the file
    return t.cast(pa.schema([f.with_nullable(True) for f in t.schema], metadata=t.schema.metadata))


def write_labels(store: Store, table: pa.Table) -> None:
    store.write_dataset("labels", "labels", table)


def conform(table: pa.Table) -> pa.Table:
    """Put the fixed columns first with their types; keep extra columns as strings."""
    cols, fields = [], []
    for f in LABEL_COLUMNS:
        col = table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        cols.append(col.cast(f.type))
        fields.append(f)
    for name in table.column_names:
        if name not in LABEL_COLUMNS.names:
            cols.append(table.column(name).cast(pa.string()))
            fields.append(pa.field(name, pa.string()))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def concat(tables: list[pa.Table]) -> pa.Table:
    tables = [conform(t) for t in tables if t is not None]
    if not tables:
        return empty_labels()
    return pa.concat_tables(tables, promote_options="default")


def is_bitcoin_chain(chain: str) -> bool:
    return chain == "bitcoin" or chain.startswith("bitcoin-")


def bitcoin_label_chain(store: Store, chain: str | None) -> str | None:
    """The label chain whose rows apply to store chain `chain` (None: the store's only Bitcoin chain).

    Labels are matched per chain by exact name: a label row with chain=bitcoin applies to the
    mainnet store chain `bitcoin` only, chain=bitcoin-regtest to `bitcoin-regtest` only, and so on
    for bitcoin-testnet, bitcoin-testnet4 and bitcoin-signet (the store chain names of
    bitcoin.schema.NETWORK_CHAIN, which are also the label file's chain values). The same script
    on two networks is two unrelated coins, so a mainnet exchange's labels must never count
    regtest or testnet flows. Returns None when there is no such chain (nothing matches).
    """
    if chain is not None:
        return chain
    btc = [c for c in store.chains() if is_bitcoin_chain(c)]
    if len(btc) > 1:
        raise CostbasisError(f"several Bitcoin chains in {store.root} ({', '.join(btc)}); pick one with --chain")
    return btc[0] if btc else None


XLABELS = pa.schema([("script", pa.binary()), ("entity", pa.string()), ("address", pa.string()),
                     ("label_type", pa.string()), ("heuristic", pa.string())])


def exchange_scripts(store: Store, chain: str | None = None, imported_only: bool = False) -> pa.Table:
    """(script, entity, address, label_type, heuristic) for the exchange labels of Bitcoin store chain
    `chain` (see bitcoin_label_chain), one entity per script, sorted by script: the rows of the view
    flows read (register_exchange_labels; the one rule, sql/labels/labels_exchange.sql). A script
    labeled for several entities keeps the imported label first, then the alphabetically first entity,
    so flows never count one output twice. Into Arrow: for the library and small label sets."""
    from costbasis.engine import budget
    con = budget.open_duckdb(store.root)
    register_exchange_labels(con, store, chain, imported_only)
    res = con.execute("SELECT script, entity, address, label_type, heuristic FROM xlabels ORDER BY script")
    fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table   # DuckDB 2.x / 1.x
    with warnings.catch_warnings():   # 2.x warns that this path copies
        warnings.simplefilter("ignore", UserWarning)
        return fetch().cast(XLABELS)


# ---------------------------------------------------------------- exchange labels as a DuckDB view

FINGERPRINTS = ".exchange-fingerprints.json"   # beside labels.parquet: digests per file identity (a cache)
_PIN = "labels-pin-"
_pins = itertools.count()


def _identity(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _pin(path: Path) -> Path:
    """A hard link to the labels file as it is now: the view reads this one inode for the whole
    connection, so a labels import or expand meanwhile (an atomic rename) cannot change what a build
    reads halfway. Unlinked when the connection goes; pins of dead processes are swept here."""
    for old in path.parent.glob(f".{_PIN}*"):
        try:
            pid = int(old.name[len(_PIN) + 1:].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            old.unlink(missing_ok=True)
        except (ValueError, PermissionError, OSError):
            pass
    pin = path.parent / f".{_PIN}{os.getpid()}-{next(_pins)}"   # no .parquet: not a dataset file
    pin.unlink(missing_ok=True)
    os.link(path, pin)
    return pin


def _numbered_view(con, name: str, path: Path | None) -> None:
    """View `name` over a labels file with its file_row_number (the file's order); empty without a file."""
    from costbasis.engine.db import register_arrow
    if path is not None:
        con.read_parquet(str(path), file_row_number=True).create_view(name, replace=True)
    else:
        register_arrow(con, name, LABEL_COLUMNS.append(pa.field("file_row_number", pa.int64())).empty_table())


def register_exchange_labels(con, store: Store, chain: str | None, imported_only: bool = False) -> tuple[str, int]:
    """View `xlabels` (script, entity, address, label_type, heuristic) on `con`: the exchange labels of
    Bitcoin store chain `chain` (see bitcoin_label_chain), one entity per script, as
    sql/labels/labels_exchange.sql picks it. Returns (fingerprint, rows):
    the content digest of its (script, entity) pairs, computed once per labels file and cached by the
    file's identity, so a warm query neither reads the labels into Python nor scans them to check a stamp."""
    from costbasis.engine.db import hash_probe, sql_text

    path = store.dataset_path("labels", "labels")
    label_chain = bitcoin_label_chain(store, chain) if path.is_file() else None
    if path.is_file():
        try:
            pin = _pin(path)
            weakref.finalize(con, pin.unlink, missing_ok=True)
        except OSError:   # no hard links here: read the file itself
            pin = path
        _numbered_view(con, "labels_file", pin)
        ident = _identity(pin)
    else:
        _numbered_view(con, "labels_file", None)
        ident = None
    con.execute("CREATE OR REPLACE TEMP TABLE xlabels_args AS SELECT ?::VARCHAR AS chain, ?::BOOLEAN AS imported_only",
                [label_chain or "", imported_only])
    con.execute(sql_text("labels_exchange"))
    if ident is None:
        return "empty", 0
    key = f"{label_chain}|{int(imported_only)}|{hash_probe(con)}"
    cache_path = path.parent / FINGERPRINTS
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    if cache.get("file") != ident:
        cache = {"file": ident, "digests": {}}
    hit = cache["digests"].get(key)
    if hit is None:
        hit = list(_digest(con))
        cache["digests"][key] = hit
        try:
            atomic_write_bytes(cache_path, json.dumps(cache, sort_keys=True).encode())
        except OSError:   # a read-only store still answers; the digest is recomputed next time
            pass
    return hit[0], int(hit[1])


def _digest(con) -> tuple[str, int]:
    from costbasis.engine.db import sql_text
    n, d1, d2 = con.execute(sql_text("labels_exchange_digest")).fetchall()[0]
    return f"{n}-{d1:016x}{d2:016x}", int(n)


def xlabels_fingerprint(con) -> str:
    """The content fingerprint of whatever view or table `xlabels` holds on `con` (as
    register_exchange_labels returns it for the labels file)."""
    return _digest(con)[0]


def materialize_exchange_labels(con) -> None:
    """Turn view `xlabels` into a DuckDB temp table (spilled under the budget, never in Python) for a
    build that joins it many times; the view's window would run again at every reference."""
    con.execute("CREATE OR REPLACE TEMP TABLE xlabels_t AS SELECT * FROM xlabels")
    con.execute("CREATE OR REPLACE TEMP VIEW xlabels AS SELECT * FROM xlabels_t")


def rewrite_labels(store: Store, con, sql_name: str, params: dict) -> None:
    """Replace the labels file with the rows of sql/labels/<sql_name>.sql, which reads view `old_labels`
    (the current file with file_row_number; empty when there is none): DuckDB writes it straight to
    the file, so no label set passes through Python; atomic, a crash leaves the previous file."""
    from costbasis.engine.db import sql_text
    from costbasis.store.atomic import _atomic_write

    path = store.dataset_path("labels", "labels")
    _numbered_view(con, "old_labels", path if path.is_file() else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = sql_text(sql_name).rstrip().rstrip(";")

    def write(tmp: str) -> None:
        con.execute("SET preserve_insertion_order = true")   # with the ORDER BY: reproducible files
        con.execute(f"COPY ({body}) TO $path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16384, "
                    "USE_TMP_FILE false)", dict(params, path=tmp))
    _atomic_write(path, ".parquet", write)
