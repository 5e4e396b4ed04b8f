"""One DuckDB connection with everything the flow and whale SQL reads.

Views: the chain tables (blocks, outputs, inputs), `xlabels` (script -> exchange
entity), `prices` (date, price_usd, time) and the stored flow tables of costbasis/flows/stored/
(`exchange_txs`, `deposit_sources`, `deposit_coins`, views over their segment files), brought up to
the chain tip on open: the chain is scanned only for blocks those tables have not seen yet.
"""

from __future__ import annotations


import duckdb
import pyarrow as pa

from costbasis.bitcoin.schema import TABLES
from costbasis.engine.db import connect, register_arrow, sql_text
from costbasis.errors import CostbasisError
from costbasis.flows.stored import flow_tables, register
from costbasis.labels.dataset import register_exchange_labels
from costbasis.store import Store

PRICES = pa.schema([("date", pa.date32()), ("price_usd", pa.float64()), ("time", pa.int64())])


def load_btc_prices(store: Store, required: bool = False) -> pa.Table:
    """Stored BTC prices (date, price_usd, time); empty table when none and not `required`."""
    try:
        from costbasis.prices import load_prices
        return load_prices(store, "BTC")
    except CostbasisError:
        if required:
            raise
        return PRICES.empty_table()


def open_flows(store: Store, chain: str | None = None, threads: int | None = None,
               require_prices: bool = False) -> tuple[duckdb.DuckDBPyConnection, str]:
    con, name = connect(store, chain, "bitcoin", schemas=TABLES, threads=threads)
    if not store.chain(name).files("blocks"):   # e.g. the first moment of an ingest
        raise CostbasisError(f"chain {name} in {store.root} has no blocks; ingest some first")
    # labels of this chain only (mainnet labels never count regtest flows): a view over the labels file
    labels_fp, n_labels = register_exchange_labels(con, store, name)
    if n_labels == 0:
        raise CostbasisError(f"no exchange labels for chain {name} stored (labels apply to the chain they name); "
                             f"run `costbasis labels import FILE` with rows chain={name} first")
    register_arrow(con, "prices", load_btc_prices(store, required=require_prices))
    register(con, flow_tables(store, con, name, labels_fp))
    return con, name


def height_range(con: duckdb.DuckDBPyConnection, t_from: int, t_to: int) -> tuple[int, int]:
    """Heights whose block time is in [t_from, t_to) (so range files are pruned by height)."""
    lo, hi = con.execute("SELECT min(height), max(height) FROM blocks WHERE time >= ? AND time < ?",
                         [t_from, t_to]).fetchall()[0]
    return (lo, hi) if lo is not None else (1, 0)


def build_exchange_txs(con: duckdb.DuckDBPyConnection, h_lo: int, h_hi: int) -> None:
    """Temp table exchange_txs for heights [h_lo, h_hi] straight from the chain (the stored one is faster)."""
    con.execute(sql_text("flows_exchange_txs"), {"h_lo": h_lo, "h_hi": h_hi})
