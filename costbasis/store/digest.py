"""The content digest of the clusters `labels expand` writes, which derived state is stamped with
(shared by flows and labels, so neither imports the other for it). The exchange labels' fingerprint
is labels.dataset.register_exchange_labels'."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

CLUSTERS_META = b"costbasis.clusters"   # content digest written by `labels expand`


def clusters_fingerprint(store, chain: str) -> str:
    """The content digest `labels expand` stamps on clusters/<chain>.parquet (file identity otherwise)."""
    path = store.dataset_path("clusters", chain)
    if not path.is_file():
        return "none"
    try:
        md = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        md = {}
    if CLUSTERS_META in md:
        return md[CLUSTERS_META].decode()
    st = path.stat()
    return f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
