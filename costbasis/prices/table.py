"""The stored price table: `prices/<ASSET>.parquet`, one row per UTC date.

`time` is the unix second the price is stamped at: 00:00 UTC for date-only rows, the
source timestamp otherwise. Creation prices are ASOF-joined on `time`; the price *of a
date* D (MVRV, profit/loss) is D's row.
"""

from __future__ import annotations

import pyarrow as pa

from costbasis.errors import CostbasisError

# Per-coin USD price range accepted at import and at load (why: costbasis/prices/parse.py).
PRICE_MAX_USD = 10_000_000.0
PRICE_MIN_USD = 1e-9

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
    t = t.select(PRICES_SCHEMA.names).cast(PRICES_SCHEMA).sort_by("date")
    _check_range(t, key)
    return t


def _check_range(t: pa.Table, key: str) -> None:
    """Series stored before the import checked the range would overflow deep in the engine."""
    import pyarrow.compute as pc

    p = t["price_usd"]
    bad = pc.invert(pc.fill_null(pc.and_(pc.greater_equal(p, PRICE_MIN_USD), pc.less_equal(p, PRICE_MAX_USD)),
                                 False))
    if pc.any(bad).as_py():
        row = t.filter(bad).slice(0, 1).to_pylist()[0]
        raise CostbasisError(
            f"stored {key} price {row['price_usd']!r} on {row['date']} is outside the supported range "
            f"{PRICE_MIN_USD:g} to {PRICE_MAX_USD:,.0f} USD per coin; re-import a corrected file with "
            f"`costbasis prices import FILE --asset {key}`")
