"""Connected components of an edge list with numpy (hook-and-compress, no Python loop per edge).

Each round hooks every root onto the smaller root of a neighbouring component
(parent[hi] = lo; with duplicates any lo < hi wins, which is still a valid merge),
then compresses paths by pointer jumping until every node points at its root.
Parents only decrease, so there are no cycles; live edges (different roots) shrink
each round and the loop ends in O(log n) rounds in practice.
"""

from __future__ import annotations

import numpy as np


def _compress(parent: np.ndarray) -> np.ndarray:
    while True:
        pp = parent[parent]
        if np.array_equal(pp, parent):
            return parent
        parent = pp


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """root[i] = smallest node id of i's component, for nodes 0..n-1 and edges (a[k], b[k])."""
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while a.size:
        ra, rb = parent[a], parent[b]
        live = ra != rb
        if not live.any():
            break
        a, b, ra, rb = a[live], b[live], ra[live], rb[live]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        parent[hi] = lo
        parent = _compress(parent)
    return parent


def components_reference(n: int, edges) -> list[int]:
    """Plain union-find (for tests): smallest node id of each node's component."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for x, y in edges:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return [find(i) for i in range(n)]


# ---------------------------------------------------------------- on disk (labels expand)
# The parents of every clustered script id live in a raw int64 file mapped with numpy.memmap, so the
# process holds only the pages it touches: edges come in chunks, roots go out in chunks, and the pages
# are handed back to the page cache after each chunk (MADV_DONTNEED: the data stays in the file).
CHUNK = 1 << 20


def release(parent: np.ndarray) -> None:
    """Drop the mapped pages from this process (written pages stay in the page cache and the file)."""
    mm = getattr(parent, "_mmap", None)
    if mm is not None and hasattr(mm, "madvise"):
        import mmap
        mm.madvise(mmap.MADV_DONTNEED)


def open_parents(path, n: int, write: bool = False) -> np.ndarray:
    if n == 0:
        return np.zeros(0, np.int64)
    return np.memmap(path, dtype=np.int64, mode="r+" if write else "r", shape=(n,))


def grow_parents(src, dst, n_old: int, n_new: int) -> None:
    """dst = the parents of src (n_old ids) plus ids n_old..n_new-1 as their own roots."""
    import shutil
    if n_old:
        shutil.copyfile(src, dst)   # copy_file_range: no pages through this process
    with open(dst, "r+b" if n_old else "wb") as f:
        f.truncate(n_new * 8)
    if n_new > n_old:
        parent = open_parents(dst, n_new, write=True)
        for lo in range(n_old, n_new, CHUNK):
            hi = min(lo + CHUNK, n_new)
            parent[lo:hi] = np.arange(lo, hi, dtype=np.int64)
        parent.flush()
        release(parent)


def find(parent: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Roots of nodes x (vectorised pointer chasing), with the path of each x compressed to its root."""
    r = np.asarray(parent[x])
    while True:
        pr = np.asarray(parent[r])
        moved = pr != r
        if not moved.any():
            break
        r = np.where(moved, pr, r)
    parent[x] = r
    return r


def union(parent: np.ndarray, a: np.ndarray, b: np.ndarray, hooked: list | None = None) -> None:
    """Merge the components of a[k] and b[k] in place: the larger root is hooked on the smaller, so a
    component's root is always its smallest id (as components() gives) and parents only decrease.
    `hooked`: gets the roots something was hooked on (an array per round), so the components a run of
    unions changed are those of find(hooked): the others kept their member sets."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    while a.size:
        ra, rb = find(parent, a), find(parent, b)
        live = ra != rb
        if not live.any():
            return
        ra, rb = ra[live], rb[live]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        parent[hi] = lo          # duplicates: any lo < hi wins, still a valid merge
        if hooked is not None:
            hooked.append(lo)
        a, b = lo, hi            # merged roots: check again until every pair shares a root


def roots(parent: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Root of every id in [lo, hi)."""
    return find(parent, np.arange(lo, hi, dtype=np.int64))
