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


CHANGES_FROM = b"costbasis.clusters.from"   # the changes file: what clusters it leads from and to
CHANGES_TO = b"costbasis.clusters.to"


def clusters_changes_path(store, chain: str):
    """clusters/<chain>.changes.parquet: the scripts whose cluster's member set the last `labels expand`
    changed (sql/labels/labels_cluster_changes.sql), so derived state built under the previous clusters
    redoes only what touches them."""
    return store.dataset_path("clusters", chain).with_name(f"{chain}.changes.parquet")


def clusters_changes(store, chain: str, old_fp: str, new_fp: str):
    """The changes file when it leads from clusters `old_fp` to `new_fp` (the current file), else None."""
    path = clusters_changes_path(store, chain)
    try:
        md = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return None
    ok = md.get(CHANGES_FROM, b"").decode() == old_fp and md.get(CHANGES_TO, b"").decode() == new_fp
    return path if ok and old_fp != "none" and not old_fp.startswith("stat:") else None


def drop_clusters_changes(store, chain: str, fp: str) -> None:
    """Remove the changes file once the derived state it serves (the flow tables, its one reader) is
    committed under the clusters it leads to, `fp`: it can only help state still at the clusters it
    leads from, and it is the size of the changed clusters (7 B a transaction on the bench chain)."""
    path = clusters_changes_path(store, chain)
    try:
        if (pq.read_schema(path).metadata or {}).get(CHANGES_TO, b"").decode() == fp:
            path.unlink()
    except (pa.ArrowException, OSError):
        pass
