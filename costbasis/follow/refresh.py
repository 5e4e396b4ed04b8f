"""Derived state brought up to the store tip after each batch, so queries answer at once.

Each piece is incremental and stamped with the tip it was built from (the cohort state in
engine/bitcoin/cohort_state.py, the flow/whale tables in flows/stored/), so refreshing after one block
costs about one block's work; a reorg is detected by the stamps and handled there. A piece
whose inputs are missing (no prices imported, no labels for this chain) is skipped: queries would
refuse in the same way. Label expansion recomputes clusters over the whole chain, so it runs only
when asked (--expand-labels).
"""

from __future__ import annotations

import time

from costbasis.errors import CostbasisError
from costbasis.store import Store


def refresh(store: Store, chain: str, family: str, expand_labels: bool = False) -> list[str]:
    """Parts refreshed, as 'name 0.12s' strings (for the log line); raises CostbasisError."""
    from costbasis.engine import api

    if family != "bitcoin":
        return []          # EVM metrics keep no derived state between queries: nothing to bring up to date
    done = []
    store = Store(store.root)     # a fresh manifest read: the views must see the batch just committed
    t = time.perf_counter()
    if _has_prices(store) and api.refresh_state(store, chain):
        done.append(f"cohorts {time.perf_counter() - t:.2f}s")
    if expand_labels and _has_labels(store, chain, imported_only=True):
        t = time.perf_counter()
        from costbasis.labels.expand import expand_labels as expand
        expand(store, chain)
        done.append(f"labels {time.perf_counter() - t:.2f}s")
    if _has_labels(store, chain):
        t = time.perf_counter()
        from costbasis.flows.context import open_flows
        con, _ = open_flows(store, chain)
        con.close()
        done.append(f"flows {time.perf_counter() - t:.2f}s")
    return done


def _has_prices(store: Store, asset: str = "BTC") -> bool:
    try:
        t = store.read_dataset("prices", asset)
    except CostbasisError:
        return True          # present but unreadable: let the engine say what is wrong
    return t is not None and t.num_rows > 0


def _has_labels(store: Store, chain: str, imported_only: bool = False) -> bool:
    import duckdb

    from costbasis.labels.dataset import register_exchange_labels
    return register_exchange_labels(duckdb.connect(), store, chain, imported_only=imported_only)[1] > 0
