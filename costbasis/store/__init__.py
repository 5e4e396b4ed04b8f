"""The Parquet store: on-disk layout, atomic writes, ingest cursor and reorg rollback.

Nothing else in the code base writes under the cache directory.
"""

from costbasis.store.chain_store import ChainStore, Store, default_cache_dir
from costbasis.store.atomic import atomic_write_bytes, atomic_write_table

__all__ = ["ChainStore", "Store", "default_cache_dir", "atomic_write_bytes", "atomic_write_table"]
