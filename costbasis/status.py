"""Summary of what the store holds: per chain and table, from the manifests (no data scan)."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costbasis.store import ChainStore, Store

STATUS_SCHEMA = pa.schema([
    ("chain", pa.string()), ("network", pa.string()), ("table", pa.string()),
    ("first_height", pa.int64()), ("last_height", pa.int64()), ("rows", pa.int64()), ("files", pa.int64()),
    ("bytes", pa.int64()), ("last_block_time", pa.string()),
])
TIME_COLUMNS = ("time", "timestamp", "block_time")


def last_block_time(chain: ChainStore) -> str | None:
    """Header time of the stored tip, read from the last file of the blocks table only."""
    files = chain.files("blocks")
    if not files:
        return None
    path = files[-1]
    cols = pq.read_schema(path).names
    col = next((c for c in TIME_COLUMNS if c in cols), None)
    if col is None:
        return None
    t = pq.read_table(path, columns=[col])[col]
    if len(t) == 0:
        return None
    v = pc.max(t).as_py()
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return datetime.fromtimestamp(int(v), tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def store_status(store: Store) -> pa.Table:
    rows = []
    for name in store.chains():
        chain = store.chain(name)
        chain.check()   # a missing or truncated range file is an error here too, not a figure
        last_time = last_block_time(chain)
        network = chain.meta.get("network")
        if network is None and chain.meta.get("family") == "evm":  # EVM ingest records chain_id, not a network
            network = f"evm chain id {chain.meta.get('chain_id')}"
        for table in chain.tables():
            es = chain.entries(table)
            rows.append({
                "chain": name, "network": network, "table": table,
                "first_height": min((e.first for e in es), default=None),
                "last_height": max((e.last for e in es), default=None),
                "rows": sum(e.rows for e in es), "files": len(es), "bytes": sum(e.bytes for e in es),
                "last_block_time": last_time,
            })
    return pa.Table.from_pylist(rows, schema=STATUS_SCHEMA)
