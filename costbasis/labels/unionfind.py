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
