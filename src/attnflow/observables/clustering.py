"""Clusters of a configuration: pairs closer than a tolerance and the components they link.

- :func:`clustering_density`: the fraction of pairs i < j with <x_i, x_j> >= 1 - tol;
- :func:`clusters` (and its result :class:`Clusters`): the connected components of the
  graph linking those pairs, with sizes and centers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import fail
from ._common import BLOCK_ENTRIES, EPS, block_rows, default_rows, per_item, points, tolerance

__all__ = ["Clusters", "clustering_density", "clusters"]

#: systems with n * n up to this many entries are handled together (stacked Gram matrices)
_SMALL_GRAM = 1 << 14


def clustering_density(x, tol: float = 1e-3, *, block: int | None = None
                       ) -> float | np.ndarray:
    """Fraction of unordered pairs of tokens that are tol-close.

        rho = #{i < j : <x_i, x_j> >= 1 - tol} / (N (N - 1) / 2).

    For well-separated clusters of sizes s_c this is sum_c s_c (s_c - 1) / (N (N - 1)); it is 1
    for a single cluster. Assumes unit vectors (for them the test is the chord distance
    |x_i - x_j| <= sqrt(2 tol)). N = 1 gives 1.0 by convention (one point is one cluster).
    Computed in row blocks, O(n * block) memory.

    Parameters
    ----------
    x : (n, d) or (B, n, d) finite array of points on S^{d-1}.
    tol : float in (0, 2).
    block : rows per block (default: about 2^19 entries per block).

    Returns
    -------
    float for (n, d) input, (B,) array for (B, n, d) input.
    """
    x = points(x)
    tol = tolerance(tol)
    block = block_rows(block)
    n = x.shape[-2]
    if x.ndim == 3 and block is None and 1 < n and n * n <= _SMALL_GRAM:     # many small systems
        return _density_small_batch(x, tol)
    return per_item(lambda xb: _density_one(xb, tol, block), x)


def _density_small_batch(x: np.ndarray, tol: float) -> np.ndarray:
    """clustering_density of (B, n, d) with stacked Gram matrices, chunks of ~2^19 entries."""
    nb, n, _ = x.shape
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    step = max(1, BLOCK_ENTRIES // (n * n))
    out = np.empty(nb)
    for k in range(0, nb, step):
        xs = x[k:k + step]
        hit = (xs @ np.ascontiguousarray(xs.transpose(0, 2, 1))) >= 1.0 - tol
        out[k:k + step] = np.count_nonzero(hit & upper, axis=(1, 2))
    return out / (n * (n - 1) / 2)


def _density_one(x: np.ndarray, tol: float, block: int | None) -> float:
    n = x.shape[0]
    if n == 1:
        return 1.0
    b = default_rows(n) if block is None else block
    threshold = 1.0 - tol
    xt = np.ascontiguousarray(x.T)
    count = 0
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        hit = (x[i0:i1] @ xt[:, i0:]) >= threshold            # columns j >= i0
        hit[:, : i1 - i0] &= np.triu(np.ones((i1 - i0, i1 - i0), dtype=bool), 1)   # keep j > i
        count += int(np.count_nonzero(hit))
    return count / (n * (n - 1) / 2)


@dataclass(frozen=True, eq=False)
class Clusters:
    """Clusters of one configuration: the connected components of the tol-closeness graph.

    Clusters are numbered by size, largest first; ties go to the cluster holding the
    smaller first member index.

    Attributes
    ----------
    labels : (n,) int array, the cluster of each point (0 = largest cluster).
    count : int, the number of clusters.
    centers : (count, d) float array, the normalized mean of each cluster's members (on the
        sphere; the zero vector if the members' mean vanishes to rounding, e.g. for a ring).
    sizes : (count,) int array, members per cluster, non-increasing.

    The arrays are read-only.
    """

    labels: np.ndarray
    count: int
    centers: np.ndarray
    sizes: np.ndarray


def clusters(x, tol: float = 1e-3) -> Clusters:
    """Detect clusters in one configuration of points on S^{d-1}.

    Points i and j are linked when <x_i, x_j> >= 1 - tol, i.e. (for unit vectors, which this
    assumes) when the chord distance |x_i - x_j| <= r := sqrt(2 tol); the clusters are the
    connected components of this graph (single linkage at angle ~ sqrt(2 tol)).

    Algorithm (exact up to rounding at distance r, no n x n matrix, and no listing of the
    O(s^2) pairs inside a collapsed cluster of size s):

    1. a greedy r/2-net with a k-d tree: each point joins the first representative within
       r/2; points sharing a representative are within r of each other, hence linked;
    2. representatives within r are linked; for representatives within 2r (the only ones
       whose members can be within r) still in different components, the members are
       compared with a nearest-neighbour query;
    3. connected components (scipy.sparse.csgraph) of the representatives' graph.

    Representatives are more than r/2 apart, so each has a bounded number of candidate
    neighbours and the cost is O(n log n) for fixed d.

    Parameters
    ----------
    x : (n, d) finite array of points on S^{d-1} (a single configuration).
    tol : float in (0, 2).

    Returns
    -------
    Clusters
    """
    x = points(x)
    if x.ndim == 3:
        raise fail("x", x, "is a batch (B, n, d); clusters() takes one configuration",
                   "loop over the batch: [clusters(xb, tol) for xb in x]")
    tol = tolerance(tol)
    n, d = x.shape
    comp = _components(x, math.sqrt(2.0 * tol))
    sizes = np.bincount(comp)
    count = sizes.size
    first = np.full(count, n, dtype=np.intp)
    np.minimum.at(first, comp, np.arange(n))
    order = np.lexsort((first, -sizes))                        # size desc, then first member
    rank = np.empty(count, dtype=np.intp)
    rank[order] = np.arange(count)
    labels = rank[comp]
    sums = np.stack([np.bincount(labels, weights=x[:, k], minlength=count) for k in range(d)],
                    axis=1)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    # a mean at rounding level (e.g. a ring around the sphere) has no direction: center 0
    scale = np.bincount(labels, weights=np.linalg.norm(x, axis=1), minlength=count)[:, None]
    centers = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 64 * EPS * scale)
    sizes = sizes[order]
    for arr in (labels, centers, sizes):
        arr.setflags(write=False)
    return Clusters(labels=labels, count=int(count), centers=centers, sizes=sizes)


def _components(x: np.ndarray, r: float) -> np.ndarray:
    """Component labels (arbitrary order) of the graph |x_i - x_j| <= r."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = x.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.intp)
    tree = cKDTree(x)
    half = 0.5 * r
    # 1. greedy r/2-net; points with no other point within r/2 are their own representative
    dist, _ = tree.query(x, k=2)
    rep = np.where(dist[:, 1] > half, np.arange(n), -1)
    for i in np.flatnonzero(rep < 0):
        if rep[i] >= 0:
            continue
        ball = np.asarray(tree.query_ball_point(x[i], half), dtype=np.intp)
        rep[ball[rep[ball] < 0]] = i
    reps, group = np.unique(rep, return_inverse=True)         # group: point -> representative
    group = group.reshape(-1)
    m = reps.size
    counts = np.bincount(group, minlength=m)
    # 2. links between representatives
    xr = x[reps]
    pairs = cKDTree(xr).query_pairs(2.0 * r, output_type="ndarray")
    if pairs.size == 0:
        return group
    gap = np.linalg.norm(xr[pairs[:, 0]] - xr[pairs[:, 1]], axis=1)
    direct = gap <= r
    a, b = pairs[direct, 0], pairs[direct, 1]
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(m, m))
    _, lab = connected_components(graph, directed=False)
    cand = pairs[~direct]
    cand = cand[((counts[cand[:, 0]] > 1) | (counts[cand[:, 1]] > 1))
                & (lab[cand[:, 0]] != lab[cand[:, 1]])]
    if cand.size:
        lab = _link_members(x, r, group, counts, reps, lab, cand)
    return lab[group]


def _link_members(x: np.ndarray, r: float, group: np.ndarray, counts: np.ndarray,
                  reps: np.ndarray, lab: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Merge the components of representative pairs ``cand`` whose members are within r."""
    from scipy.spatial import cKDTree

    order = np.argsort(group, kind="stable")
    start = np.concatenate(([0], np.cumsum(counts)))
    parent = np.arange(int(lab.max()) + 1)

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = int(parent[c])
        return c

    def near(g: int, center: np.ndarray, radius: float) -> np.ndarray:
        pts = x[order[start[g]:start[g + 1]]]
        return pts[np.linalg.norm(pts - center, axis=1) <= radius]

    for ga, gb in cand:
        ca, cb = find(int(lab[ga])), find(int(lab[gb]))
        if ca == cb:
            continue
        # a member p of ga within r of a member q of gb satisfies |p - rep(gb)| <= 1.5 r
        pa = near(ga, x[reps[gb]], 1.5 * r * (1 + 1e-9))
        pb = near(gb, x[reps[ga]], 1.5 * r * (1 + 1e-9))
        if pa.size == 0 or pb.size == 0:
            continue
        if len(pa) * len(pb) <= BLOCK_ENTRIES:
            gap = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(axis=-1)).min()
        else:
            gap = cKDTree(pb).query(pa, k=1)[0].min()
        if gap <= r:
            parent[ca] = cb
    roots = np.array([find(c) for c in range(parent.size)])
    return np.unique(roots, return_inverse=True)[1].reshape(-1)[lab]      # contiguous labels
