"""Every script's balance in Arrow, for checks, tests and the bench (the store itself keeps balance
changes per segment and reads members' balances by binary search, flows/balance_index.py)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from costbasis.engine.db import KEY2_SQL, register_arrow, sql_text
from costbasis.flows.balance_index import register_rows
from costbasis.flows.stored.state import INDEX, SCRIPT_BALANCES, derived_set, read_state
from costbasis.flows.stored.write import _fetch
from costbasis.store import Store

def script_balances_at(con: duckdb.DuckDBPyConnection, h_to: int) -> pa.Table:
    """Every script's balance at h_to, from scratch (one pass over blocks <= h_to; for checks and the bench)."""
    register_arrow(con, "balances_base", SCRIPT_BALANCES.empty_table())
    out = _fetch(con, sql_text("whales_script_balances"), {"h_from": 0, "h_to": h_to})
    con.execute("DROP VIEW balances_base")
    con.unregister("__arrow_balances_base")
    return out.cast(SCRIPT_BALANCES)


def _merge_balances(con: duckdb.DuckDBPyConnection, base: pa.Table, h_from: int, h_to: int) -> pa.Table:
    """`base` (script, balance at h_from - 1) plus blocks [h_from, h_to], sorted by script (small
    tables: tests and the bench; the store keeps balance changes per segment instead)."""
    register_arrow(con, "balances_base", base.select(["script", "balance"]))
    out = _fetch(con, sql_text("whales_script_balances"), {"h_from": h_from, "h_to": h_to})
    con.execute("DROP VIEW balances_base")
    con.unregister("__arrow_balances_base")
    return out.cast(SCRIPT_BALANCES)


KEYED_BALANCES = pa.schema([("key", pa.uint64()), ("key2", pa.uint64()), ("balance", pa.int64())])


def load_balances(store: Store, chain: str, state: dict | None = None) -> pa.Table:
    """Every script's balance at the stored tip as (key, key2, balance): the script's two keys (the
    indexes keep no script), summed over the segments' indexes, sorted (for tests and the bench: it is
    the one place the balances come into Arrow whole)."""
    ds = derived_set(store, chain)
    state = state if state is not None else read_state(store, chain)[0]
    con = duckdb.connect()
    register_rows(con, "balance_parts", ds.files(state, INDEX))
    return _fetch(con, "SELECT key, key2, sum(delta)::BIGINT AS balance FROM balance_parts GROUP BY key, key2 "
                       "HAVING sum(delta) <> 0 ORDER BY key, key2").cast(KEYED_BALANCES)


def keyed(con: duckdb.DuckDBPyConnection, balances: pa.Table) -> pa.Table:
    """(script, balance) rows as load_balances gives them: (key, key2, balance), zeros left out, sorted."""
    con.register("__keyed_balances", balances)
    try:
        return _fetch(con, f"SELECT hash(script) AS key, {KEY2_SQL.format('script')} AS key2, balance "
                           "FROM __keyed_balances WHERE balance <> 0 ORDER BY key, key2").cast(KEYED_BALANCES)
    finally:
        con.unregister("__keyed_balances")
