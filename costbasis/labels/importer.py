"""Import label files (CSV or Parquet with chain,address,entity,label_type; extra columns kept).

Every address is checked before anything is written: Bitcoin-family addresses are
decoded to their scriptPubKey (base58check / bech32 / bech32m checksums, network
from the chain name), EVM addresses must be 0x + 40 hex and, when mixed-case, pass
the EIP-55 checksum. Invalid rows are reported with their line number; the import
is all-or-nothing unless `skip_invalid` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.bitcoin.address import InvalidAddress, address_networks, address_to_script
from costbasis.bitcoin.address_sql import CHAIN_NETWORK
from costbasis.bitcoin.schema import NETWORK_CHAIN
from costbasis.engine.budget import open_duckdb
from costbasis.engine.db import register_arrow
from costbasis.errors import CostbasisError
from costbasis.labels.dataset import IMPORTED, conform, is_bitcoin_chain, read_labels, rewrite_labels
from costbasis.store import Store
from costbasis.text_input import CsvReader

REQUIRED = ("chain", "address", "entity", "label_type")
MAX_LISTED = 20  # invalid rows named in the error message


@dataclass
class ImportResult:
    imported: int
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    total_labels: int = 0
    by_chain: dict[str, int] = field(default_factory=dict)


def _evm_check(addr: str) -> str:
    """Lower-case EVM address; raises ValueError with the reason."""
    a = addr.strip()
    if not (a.startswith("0x") or a.startswith("0X")) or len(a) != 42:
        raise ValueError("not a 0x-prefixed 40-hex-digit address")
    body = a[2:]
    try:
        int(body, 16)
    except ValueError:
        raise ValueError("non-hex characters") from None
    if body != body.lower() and body != body.upper():
        from eth_utils import is_checksum_address
        if not is_checksum_address("0x" + body):
            raise ValueError("bad EIP-55 checksum")
    return "0x" + body.lower()


def _chain_hint(addr: str, chain: str) -> str:
    """' (label it chain=bitcoin-regtest)' for a Bitcoin address of another network than `chain`'s."""
    nets = [n for n in address_networks(addr) if n != CHAIN_NETWORK.get(chain)]
    return f" (label it chain={' or chain='.join(NETWORK_CHAIN[n] for n in nets)})" if nets else ""


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with CsvReader(path) as reader:
        try:
            header = next(reader)
        except StopIteration:
            raise CostbasisError(f"{path}: empty label file") from None
        header = [h.strip().lower() for h in header]
        rows = []
        for r in reader:
            if not r or all(not c.strip() for c in r):
                continue
            if len(r) != len(header):
                raise CostbasisError(
                    f"{path}: line {reader.line_num}: {len(r)} fields, header has {len(header)}")
            rows.append((reader.line_num, r))
    return header, rows


def _read_parquet(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        t = pq.read_table(path)
    except Exception as e:  # corrupt file: report in one line
        raise CostbasisError(f"{path}: cannot read Parquet: {e}") from None
    header = [n.strip().lower() for n in t.column_names]
    try:
        cols = [t.column(i).cast(pa.string()).to_pylist() for i in range(t.num_columns)]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:  # a binary non-UTF-8 or nested column
        raise CostbasisError(f"{path}: a column is not text: {str(e).splitlines()[0]}") from None
    # "line" of a Parquet row = 1-based row number + 1, as if it were a CSV with a header
    rows = [(i + 2, [c[i] if c[i] is not None else "" for c in cols]) for i in range(t.num_rows)]
    return header, rows


def read_label_file(path: Path | str, skip_invalid: bool = False) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Validated labels table and the (line, reason) of every invalid row.

    Raises CostbasisError listing the invalid lines unless `skip_invalid`.
    """
    path = Path(path)
    if not path.is_file():
        raise CostbasisError(f"label file not found: {path}")
    if path.suffix.lower() in (".parquet", ".pq"):
        header, rows = _read_parquet(path)
    else:
        header, rows = _read_csv(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CostbasisError(f"{path}: missing column(s) {', '.join(missing)} (need {','.join(REQUIRED)})")
    if len(set(header)) != len(header):
        raise CostbasisError(f"{path}: duplicate column names in header")
    idx = {c: header.index(c) for c in header}
    extras = [c for c in header if c not in REQUIRED and c not in ("script", "heuristic", "derived_from")]

    out = {c: [] for c in REQUIRED}
    out["script"] = []
    ex = {c: [] for c in extras}
    bad: list[tuple[int, str]] = []
    for line, r in rows:
        chain = r[idx["chain"]].strip().lower()
        addr = r[idx["address"]].strip()
        entity = r[idx["entity"]].strip()
        ltype = r[idx["label_type"]].strip().lower()
        if not chain or not addr or not entity or not ltype:
            bad.append((line, "empty chain, address, entity or label_type"))
            continue
        script = None
        try:
            if is_bitcoin_chain(chain):
                network = CHAIN_NETWORK.get(chain)
                if network is None:
                    raise ValueError(f"unknown bitcoin network in chain {chain!r}")
                script = address_to_script(addr, network)
            else:
                addr = _evm_check(addr)
        except (InvalidAddress, ValueError) as e:
            bad.append((line, f"{chain} address {addr}: {e}{_chain_hint(addr, chain)}"))
            continue
        out["chain"].append(chain)
        out["address"].append(addr)
        out["entity"].append(entity)
        out["label_type"].append(ltype)
        out["script"].append(script)
        for c in extras:
            ex[c].append(r[idx[c]])

    if bad and not skip_invalid:
        listed = "; ".join(f"line {ln}: {why}" for ln, why in bad[:MAX_LISTED])
        more = f"; ... and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
        raise CostbasisError(
            f"{path}: {len(bad)} invalid row(s), nothing imported (use --skip-invalid to import the rest): {listed}{more}")
    n = len(out["chain"])
    arrays = {c: pa.array(out[c], pa.string()) for c in REQUIRED}
    arrays["script"] = pa.array(out["script"], pa.binary())
    arrays["heuristic"] = pa.array([IMPORTED] * n, pa.string())
    arrays["derived_from"] = pa.nulls(n, pa.string())
    for c in extras:
        arrays[c] = pa.array(ex[c], pa.string())
    return pa.table(arrays), bad


def import_labels(store: Store, path: Path | str, skip_invalid: bool = False) -> ImportResult:
    """Validate `path` and merge it into the stored labels.

    Rows for an address that the file labels are replaced (imported and derived ones:
    an imported label is authoritative); duplicate rows inside the file keep the last.
    """
    new, bad = read_label_file(path, skip_invalid)
    # de-duplicate (chain, address, entity) inside the file, last row wins
    keys = list(zip(new["chain"].to_pylist(), new["address"].to_pylist(), new["entity"].to_pylist()))
    last = {k: i for i, k in enumerate(keys)}
    if len(last) != len(keys):
        new = new.take(sorted(last.values()))
    # the merge runs in DuckDB over the stored file: labels expand leaves tens of millions of rows there
    con = open_duckdb(store.root)
    register_arrow(con, "new_labels", conform(new).append_column("_row", pa.array(np.arange(new.num_rows))))
    rewrite_labels(store, con, "labels_import_merge", {})
    by_chain: dict[str, int] = {}
    for c in new["chain"].to_pylist():
        by_chain[c] = by_chain.get(c, 0) + 1
    total = pq.read_metadata(store.dataset_path("labels", "labels")).num_rows
    return ImportResult(imported=new.num_rows, skipped=bad, total_labels=total, by_chain=by_chain)


def list_labels(store: Store, entity: str | None = None, chain: str | None = None,
                heuristic: str | None = None) -> pa.Table:
    """Stored labels, optionally filtered (entity is case-insensitive)."""
    t = read_labels(store)
    if entity:
        t = t.filter(pc.equal(pc.utf8_lower(t["entity"]), entity.lower()))
    if chain:
        t = t.filter(pc.equal(t["chain"], chain.lower()))
    if heuristic:
        t = t.filter(pc.equal(t["heuristic"], heuristic))
    return t.sort_by([("chain", "ascending"), ("entity", "ascending"), ("address", "ascending")])
