"""Content digests that derived state is stamped with: a table's content, the exchange labels
flows classify by, and the clusters `labels expand` writes (shared by flows and labels, so neither
imports the other for them)."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq

CLUSTERS_META = b"costbasis.clusters"   # content digest written by `labels expand`


def table_digest(table: pa.Table) -> str:
    """sha256 of a table's content (one Arrow IPC stream of its combined chunks): deterministic."""
    sink = pa.BufferOutputStream()
    t = table.replace_schema_metadata(None).combine_chunks()
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def labels_fingerprint(xlabels: pa.Table) -> str:
    """Digest of the (script, entity) pairs flows classify by, independent of row order."""
    return table_digest(xlabels.select(["script", "entity"]).sort_by([("script", "ascending"), ("entity", "ascending")]))


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
