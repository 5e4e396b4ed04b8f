"""The stored price table: `prices/<ASSET>.parquet`, one row per UTC date.

`time` is the unix second the price is stamped at: 00:00 UTC for date-only rows, the
source timestamp otherwise. Creation prices are ASOF-joined on `time`; the price *of a
date* D (MVRV, profit/loss) is D's row.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.errors import CostbasisError

PRICES_SCHEMA = pa.schema([
    ("date", pa.date32()),
    ("price_usd", pa.float64()),
    ("time", pa.int64()),
])


def asset_key(asset: str) -> str:
    a = (asset or "").strip().upper()
    if not a or not a.replace("-", "").replace("_", "").isalnum():
        raise CostbasisError(f"invalid asset name {asset!r}; use a ticker such as BTC or ETH")
    return a


def load_prices(store, asset: str = "BTC") -> pa.Table:
    """Stored prices of `asset`, sorted by date; CostbasisError when none were imported."""
    key = asset_key(asset)
    t = store.read_dataset("prices", key)
    if t is None or t.num_rows == 0:
        raise CostbasisError(f"no {key} prices imported; run `costbasis prices import FILE --asset {key}` first")
    return t.select(PRICES_SCHEMA.names).cast(PRICES_SCHEMA).sort_by("date")
