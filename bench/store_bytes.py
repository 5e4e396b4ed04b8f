"""Store bytes per transaction, per table and column, from the Parquet footers (no data read).

    python bench/store_bytes.py --cache DIR [--chain NAME] [--format1 | --format2]   # chain tables, derived sets
    python bench/store_bytes.py --mainnet                    # real mainnet blocks, formats 1, 2 and 3

A column's bytes are the compressed sizes of its column chunks over every committed file; B/tx divides
by the chain's transaction count (sum of blocks.tx_count). `--format1` / `--format2` measure outputs
and inputs as that older store format would store the same rows (to_format(): format 2 has
inputs.prev_txid, the spent txid's hex, where format 3 has prev_tx_key; format 1 also has
outputs.address, inputs.txid and inputs.address); the prev_txid are resolved from the store itself
(engine/bitcoin/outpoints.py resolve()). `--mainnet` parses the shared raw blocks
(../shared/data/btc_blocks/mainnet_block_481815.raw and _363703.raw) with costbasis.bitcoin.parser,
writes their outputs with the store's writer settings (PARQUET_OPTS) in the current format (3) and in
the previous ones and prints each. The raw blocks carry no undo data, so their inputs have only the
columns a block holds (the spent coin's script, value and height are unknown): for inputs the figures
are those columns' (txid included for format 1), the rest of the input row is not measured there.

to_format() and older_tables() also serve tests/test_store_format.py, which writes a store in the old
formats.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from costbasis.bitcoin import schema  # noqa: E402
from costbasis.bitcoin.bulk_address import types_and_addresses  # noqa: E402
from costbasis.bitcoin.outpoints import tx_keys  # noqa: E402
from costbasis.engine.bitcoin.outpoints import resolve  # noqa: E402
from costbasis.engine import db  # noqa: E402
from costbasis.store import Store  # noqa: E402
from costbasis.store.atomic import PARQUET_OPTS  # noqa: E402

BLOCKS = ROOT.parent / "shared" / "data" / "btc_blocks"
MAINNET = {481815: "mainnet_block_481815.raw", 363703: "mainnet_block_363703.raw"}


# Older formats: 2 (before 3) stored the spent txid's hex on inputs; 1 (before 2) also the address
# beside every script and the spending tx's txid on every input.
def _older(s: pa.Schema, names: str) -> pa.Schema:
    return pa.schema([s.field(n) if n in s.names else pa.field(n, pa.string()) for n in names.split()])


OUTPUTS_1 = _older(schema.OUTPUTS, "height tx_index txid vout value script_type address script is_coinbase spendable")
INPUTS_1 = _older(schema.INPUTS, "height tx_index txid vin prev_txid prev_vout created_height value script_type "
                                 "address script is_coinbase")
INPUTS_2 = _older(schema.INPUTS, " ".join(n.replace("prev_tx_key", "prev_txid") for n in schema.INPUTS.names))


def to_format(outputs: pa.Table, inputs: pa.Table, network: str, fmt: int) -> tuple[pa.Table, pa.Table]:
    """The same rows as store format `fmt` (1 or 2) wrote them (OUTPUTS_1 / INPUTS_1, or outputs as they are
    and INPUTS_2). `inputs` carries prev_txid (resolve()); for format 1 an input's txid is its tx's outputs'
    (same height, tx_index): `outputs` must hold the inputs' transactions."""
    if fmt == 2:
        return outputs, inputs.select(INPUTS_2.names).cast(INPUTS_2)
    out = outputs.append_column("address", types_and_addresses(outputs["script"], network)[1])
    ids = outputs.group_by(["height", "tx_index"]).aggregate([("txid", "min")]).rename_columns(
        ["height", "tx_index", "txid"])
    if inputs.num_rows:
        order = pa.array(range(inputs.num_rows), pa.int64())
        joined = inputs.append_column("_row", order).join(ids, ["height", "tx_index"], join_type="left outer")
        joined = joined.sort_by("_row")
        txid = joined["txid"]
        if txid.null_count:
            raise ValueError("to_format: an input whose transaction has no output in `outputs`")
    else:
        txid = pa.array([], pa.string())
    ins = inputs.append_column("txid", txid).append_column(
        "address", types_and_addresses(inputs["script"], network)[1] if inputs.num_rows else pa.array([], pa.string()))
    return out.select(OUTPUTS_1.names).cast(OUTPUTS_1), ins.select(INPUTS_1.names).cast(INPUTS_1)


def older_tables(store: Store, chain: str, network: str, fmt: int) -> Iterator[tuple[Path, Path, pa.Table, pa.Table]]:
    """Per committed range of `chain`: (outputs file, inputs file, its outputs and inputs as format `fmt`).
    Every input's prev_txid is resolved from the store (a store ingested from genesis: all resolve)."""
    cs = store.chain(chain)
    con, _ = db.connect(store, chain, schemas=schema.TABLES)
    try:
        for po, pi, e in zip(cs.files("outputs"), cs.files("inputs"), cs.entries("inputs")):
            ins = resolve(con, e.first, e.last)
            if ins.num_rows != e.rows or ins["prev_txid"].null_count:
                raise ValueError(f"{pi}: {e.rows} inputs, {ins.num_rows} resolved rows "
                                 f"({ins['prev_txid'].null_count} without a stored output)")
            yield (po, pi, *to_format(pq.read_table(po), ins, network, fmt))
    finally:
        con.close()


def column_bytes(files: list[Path]) -> tuple[dict[str, int], int]:
    """({column: compressed bytes over the files}, rows)."""
    out: dict[str, int] = defaultdict(int)
    rows = 0
    for f in files:
        md = pq.read_metadata(f)
        rows += md.num_rows
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for c in range(rg.num_columns):
                col = rg.column(c)
                out[col.path_in_schema] += col.total_compressed_size
    return dict(out), rows


def print_table(name: str, cols: dict[str, int], n_tx: int, files_bytes: int | None = None) -> float:
    total = sum(cols.values())
    extra = f"  (files {files_bytes / n_tx:6.1f} B/tx)" if files_bytes is not None else ""
    print(f"  {name:<16} {total / n_tx:7.1f} B/tx{extra}: " +
          ", ".join(f"{c} {b / n_tx:.1f}" for c, b in sorted(cols.items(), key=lambda kv: -kv[1])))
    return (files_bytes if files_bytes is not None else total) / n_tx


def _older_files(store: Store, chain: str, d: Path, network: str, fmt: int) -> dict[str, list[Path]]:
    """The chain's outputs and inputs files rewritten as format `fmt` in `d` (one range file at a time)."""
    out: dict[str, list[Path]] = {"outputs": [], "inputs": []}
    for po, _, *tables in older_tables(store, chain, network, fmt):
        for t, data in zip(("outputs", "inputs"), tables):
            p = d / f"{t}-{po.name}"
            pq.write_table(data, p, **PARQUET_OPTS)
            out[t].append(p)
    return out


def store_report(cache: Path, chain: str | None, fmt: int | None = None) -> None:
    store = Store(cache)
    for name in ([chain] if chain else store.chains()):
        cs = store.chain(name)
        if "blocks" not in cs.tables() or cs.meta.get("family", "bitcoin") != "bitcoin":
            continue
        network = {c: n for n, c in schema.NETWORK_CHAIN.items()}.get(name, "main")
        n_tx = int(pc.sum(pa.concat_tables([pq.read_table(f, columns=["tx_count"]) for f in cs.files("blocks")])
                          ["tx_count"]).as_py() or 0)
        if not n_tx:
            continue
        print(f"{name}: {n_tx:,} transactions" + (f" (outputs, inputs as format {fmt} writes them)" if fmt else ""))
        total = 0.0
        with tempfile.TemporaryDirectory() as d:
            files = {t: cs.files(t) for t in cs.tables()}
            if fmt:
                files.update(_older_files(store, name, Path(d), network, fmt))
            for t in cs.tables():
                total += print_table(t, column_bytes(files[t])[0], n_tx, sum(f.stat().st_size for f in files[t]))
        print(f"  {'chain tables':<16} {total:7.1f} B/tx (file bytes)")
        derived = cs.path / "_derived"
        for d in sorted(p for p in derived.iterdir() if p.is_dir()) if derived.is_dir() else []:
            by: dict[str, int] = defaultdict(int)
            for f in d.iterdir():
                if f.is_file():
                    by[f.name.split("-")[0]] += f.stat().st_size
            print(f"  _derived/{d.name:<7} {sum(by.values()) / n_tx:7.1f} B/tx: "
                  + ", ".join(f"{k} {v / n_tx:.1f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1])))


def _mainnet_tables() -> tuple[pa.Table, pa.Table, int]:
    """(outputs, inputs with the columns a block holds, tx count) of the real mainnet blocks."""
    import pbk

    from costbasis.bitcoin.parser import BlockColumns, parse_block
    from costbasis.bitcoin.tables import outputs_table
    outs, ins, n_tx = [], [], 0
    for h, name in sorted(MAINNET.items()):
        raw = (BLOCKS / name).read_bytes()
        cols = BlockColumns()
        parse_block(raw, h, None, cols, 0)
        outs.append(outputs_table(cols.outputs, "main"))
        rows = defaultdict(list)
        for t, tx in enumerate(pbk.Block(raw).transactions):
            n_tx += 1
            if t == 0:
                continue
            for k, i in enumerate(tx.inputs):
                for c, v in (("height", h), ("tx_index", t), ("txid", str(tx.txid)), ("vin", k),
                             ("prev_txid", str(i.out_point.txid)), ("prev_vout", i.out_point.index)):
                    rows[c].append(v)
        ins.append(pa.table({c: pa.array(v, INPUTS_1.field(c).type) for c, v in rows.items()}))
    return pa.concat_tables(outs), pa.concat_tables(ins), n_tx


def mainnet_report() -> None:
    outputs, ins1, n_tx = _mainnet_tables()
    out1 = outputs.append_column("address", types_and_addresses(outputs["script"], "main")[1]).select(OUTPUTS_1.names)
    ins2 = ins1.drop_columns(["txid"])
    keys = pa.array(tx_keys(ins2["prev_txid"]), pa.int64())
    ins3 = ins2.set_column(ins2.schema.get_field_index("prev_txid"), "prev_tx_key", keys)
    print(f"real mainnet blocks {sorted(MAINNET)}: {n_tx:,} transactions, {outputs.num_rows:,} outputs, "
          f"{ins1.num_rows:,} inputs (block-held input columns only: no undo data)")
    with tempfile.TemporaryDirectory() as d:
        for label, tables in (("format 1", {"outputs": out1, "inputs": ins1}),
                              ("format 2", {"outputs": outputs, "inputs": ins2}),
                              ("format 3 (current)", {"outputs": outputs, "inputs": ins3})):
            print(label)
            for t, data in tables.items():
                p = Path(d) / f"{t}.parquet"
                pq.write_table(data, p, **PARQUET_OPTS)
                print_table(t, column_bytes([p])[0], n_tx, p.stat().st_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, help="a costbasis cache directory")
    ap.add_argument("--chain", help="one chain of the cache (default: every Bitcoin chain)")
    ap.add_argument("--mainnet", action="store_true", help="the real mainnet blocks, before and after")
    ap.add_argument("--format1", dest="fmt", action="store_const", const=1,
                    help="with --cache: measure outputs and inputs as store format 1 would store them")
    ap.add_argument("--format2", dest="fmt", action="store_const", const=2,
                    help="with --cache: measure outputs and inputs as store format 2 (before 3) would store them")
    a = ap.parse_args()
    if not a.cache and not a.mainnet:
        ap.error("give --cache DIR and/or --mainnet")
    if a.mainnet:
        mainnet_report()
    if a.cache:
        store_report(a.cache, a.chain, a.fmt)


if __name__ == "__main__":
    main()
