"""Small stderr helpers for the engine commands (progress spinner, data-quality notes)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import pyarrow as pa


@contextmanager
def working(message: str):
    """A rich spinner on stderr while one engine call runs (silent when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    with Console(stderr=True).status(message):
        yield


def note_without_price(table: pa.Table | None = None, btc: float | None = None) -> None:
    """Say so when coins created before the first price point (creation price 0) are counted."""
    if btc is None and table is not None:
        if "coins_without_price_btc" in table.column_names and table.num_rows:
            btc = max(v or 0.0 for v in table["coins_without_price_btc"].to_pylist())
        elif table.schema.metadata and b"coins_without_price_btc" in table.schema.metadata:
            btc = float(table.schema.metadata[b"coins_without_price_btc"])
    if btc:
        print(f"note: coins_without_price_btc={btc:.8f}: coins created before the first price point are counted "
              f"at creation price 0", file=sys.stderr)
