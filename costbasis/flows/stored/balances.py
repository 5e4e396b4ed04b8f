"""Every script's balance in Arrow, for checks, tests and the bench (the store itself keeps balance
changes per segment and reads members' balances by binary search, flows/balance_index.py)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from costbasis.engine.db import files_view, register_arrow, sql_text
from costbasis.flows.stored.state import BALANCE_DELTAS, BALANCES, SCRIPT_BALANCES, derived_set, read_state
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


def load_balances(store: Store, chain: str, state: dict | None = None) -> pa.Table:
    """Every script's balance at the stored tip, summed over the segments (for tests and the bench:
    it is the one place the balances come into Arrow whole)."""
    ds = derived_set(store, chain)
    state = state if state is not None else read_state(store, chain)[0]
    con = duckdb.connect()
    files_view(con, "balance_parts", ds.files(state, BALANCES), BALANCE_DELTAS)
    return _fetch(con, "SELECT script, sum(delta)::BIGINT AS balance FROM balance_parts GROUP BY script "
                       "HAVING sum(delta) <> 0 ORDER BY script").cast(SCRIPT_BALANCES)
