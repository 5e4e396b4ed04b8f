"""`costbasis prices import`: parse a file, upsert by date into prices/<ASSET>.parquet atomically."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from costbasis.prices.parse import read_price_file
from costbasis.prices.table import PRICES_SCHEMA, asset_key


def import_prices(store, path: Path | str, asset: str = "BTC", time_column: str | None = None,
                  price_column: str | None = None) -> dict:
    """Parse `path` fully (any bad row aborts before writing), then upsert by date. Returns a summary."""
    key = asset_key(asset)
    new, info = read_price_file(path, time_column, price_column)
    old = store.read_dataset("prices", key)
    updated = 0
    if old is not None and old.num_rows:
        old = old.select(PRICES_SCHEMA.names).cast(PRICES_SCHEMA)
        hit = pc.is_in(old["date"], value_set=new["date"])
        updated = pc.sum(hit).as_py() or 0
        merged = pa.concat_tables([old.filter(pc.invert(hit)), new]).sort_by("date")
    else:
        merged = new
    out = store.write_dataset("prices", key, merged)
    return {
        "asset": key,
        "file": str(path),
        "time_column": info["time_column"],
        "price_column": info["price_column"],
        "rows_read": info["rows_read"],
        "dates_in_file": new.num_rows,
        "dates_added": new.num_rows - updated,
        "dates_updated": updated,
        "dates_total": merged.num_rows,
        "first_date": merged["date"][0].as_py().isoformat(),
        "last_date": merged["date"][-1].as_py().isoformat(),
        "stored_at": str(out),
    }
