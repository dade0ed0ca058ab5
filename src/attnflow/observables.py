"""Statistics of a configuration of tokens x_1..x_N on S^{d-1}.

Every function takes points of shape (n, d) (one configuration, returns a float or a
small array) or (B, n, d) (a batch, returns one value per member). Inputs must be finite
real arrays; they are used as given (no unit-norm check), except that :func:`clusters` and
:func:`clustering_density` compare inner products with 1 - tol, which assumes unit vectors.

- :func:`energy`, :func:`log_energy`: the interaction energy
  E = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>} [GLPR], in row blocks.
- :func:`order_parameter`: R_k = |(1/N) sum_i x_i| (k = 1) or |(1/N) sum_i e^{i k theta_i}|.
- :func:`fourier_modes`: the empirical Fourier coefficients of a configuration on S^1.
- :func:`clustering_density`: the fraction of pairs that are tol-close.
- :func:`clusters`: the connected components of the tol-closeness graph.
- :data:`OBSERVABLES`, :func:`resolve_observables`: the registry the integrator uses to
  record statistics at save times instead of storing states.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.special import ive

from .backends.dense import default_block
from .model import AttentionModel
from .sphere import points_to_angles
from .validation import fail, finite_float

__all__ = [
    "OBSERVABLES",
    "Clusters",
    "Observable",
    "clustering_density",
    "clusters",
    "dominant_mode",
    "energy",
    "fourier_modes",
    "log_energy",
    "order_parameter",
    "resolve_observables",
]

#: an observable of the registry: (model, x of shape (n, d)) -> float
Observable = Callable[[AttentionModel, np.ndarray], "float | np.ndarray"]

#: entries of one block of temporary values (2^19 float64 = 4 MiB)
_BLOCK_ENTRIES = 1 << 19
#: log of the largest float64, ~709.78
_LOG_MAX = math.log(np.finfo(np.float64).max)
#: shifted row sums below this have lost digits to underflow and are recomputed exactly
_EPS = float(np.finfo(np.float64).eps)
_TINY = np.finfo(np.float64).tiny / _EPS


# -- validation ------------------------------------------------------------------------------
def _model(model: Any) -> AttentionModel:
    if not isinstance(model, AttentionModel):
        raise fail("model", model, "is not an AttentionModel",
                   "build one with attnflow.AttentionModel(d=..., beta=...)")
    return model


def _points(x: Any, d: int | None = None, name: str = "x") -> np.ndarray:
    """x as a C-contiguous finite float64 array of shape (n, d) or (B, n, d), n >= 1."""
    want = "(n, d) or (B, n, d)" if d is None else f"(n, {d}) or (B, n, {d})"
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise fail(name, x, "is not a numeric array", f"pass an array of shape {want}") from None
    if arr.dtype.kind not in "iuf":
        raise fail(name, x, f"is not a real numeric array (dtype {arr.dtype})",
                   f"pass a float array of shape {want}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.ndim not in (2, 3):
        raise fail(name, arr, f"has shape {arr.shape}, expected {want}",
                   "pass one point per row, optionally with a leading batch axis")
    if d is not None and arr.shape[-1] != d:
        raise fail(name, arr, f"has last axis {arr.shape[-1]} but the model has d={d}",
                   f"pass points of shape {want}")
    if arr.shape[-1] < 2:
        raise fail(name, arr, f"has last axis {arr.shape[-1]}; points of S^(d-1) need d >= 2",
                   "pass points of shape (n, d) with d >= 2")
    if arr.shape[-2] == 0:
        raise fail(name, arr, "holds no particles", "pass at least one point")
    finite = np.isfinite(arr).all(axis=-1)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise fail(name, arr, f"has a NaN or inf coordinate at particle index {idx}",
                   "remove or replace the non-finite points")
    return arr


def _integer(name: str, value: Any, minimum: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise fail(name, value, f"must be an integer >= {minimum}", fix)
    return int(value)


def _block(block: Any) -> int | None:
    if block is None:
        return None
    return _integer("block", block, 1, "pass a positive number of rows, e.g. block=256, "
                    "or None for the default")


def _tol(tol: Any) -> float:
    tol = finite_float("tol", tol, fix="pass a tolerance in (0, 2), e.g. tol=1e-3")
    if not 0 < tol < 2:
        raise fail("tol", tol, "must lie in (0, 2) (pairs count as close when "
                   "<x_i, x_j> >= 1 - tol)", "pass e.g. tol=1e-3")
    return tol


def _per_item(fn: Callable[[np.ndarray], float], x: np.ndarray) -> float | np.ndarray:
    """fn on one configuration (n, d) -> float, or on each member of a batch -> (B,)."""
    if x.ndim == 2:
        return fn(x)
    return np.array([fn(xb) for xb in x], dtype=np.float64)


# -- energy ------------------------------------------------------------------------------------
def energy(model: AttentionModel, x, *, block: int | None = None) -> float | np.ndarray:
    """Interaction energy of a configuration, summed in row blocks.

        E = (1 / (2 beta N^2)) sum_{i,j=1..N} exp(beta <A x_i, x_j>),
        <A x_i, x_j> = (x_i A^T) . x_j,

    with A = ``model.A_matrix`` (any real (d, d) matrix) [GLPR]. With A = V = I the
    unnormalized ("usa") flow is the gradient ascent of E on (S^{d-1})^N for every beta != 0:
    the Euclidean gradient is dE/dx_i = y_i / N (y_i the usa attention output), whose tangent
    part is the velocity / N, so E increases along the flow.

    - beta > 0: E > 0.
    - beta < 0: the formula as written, so E < 0 (the flow still increases it).
    - beta == 0: the limit form E_0 = (1/(2 N^2)) sum_{i,j} <A x_i, x_j> = <A m, m> / 2 with
      m = (1/N) sum_i x_i. It differs from the beta -> 0 limit of the formula by the constant
      1/(2 beta), E_beta = 1/(2 beta) + E_0 + O(beta), which does not change the dynamics.

    Memory is O(n * block): no n x n matrix is formed. Stability: by Cauchy-Schwarz every
    score of row i obeys beta <A x_i, x_j> <= m_i := |beta| |A x_i| max_j |x_j|, so each row
    sum is accumulated as e^{m_i} sum_j e^{score - m_i} (terms <= 1, rows that underflow are
    recomputed with the exact row maximum) and rows are combined by a log-sum-exp; E
    overflows only when its true value exceeds the float64 range.

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) or (B, n, d) array with d = ``model.d``, finite (not required to be unit).
    block : rows per block (default: about 2^19 entries per block).

    Returns
    -------
    float for (n, d) input, (B,) float64 array for (B, n, d) input. Values below the float64
    range underflow to 0.0 (use :func:`log_energy`).

    Raises
    ------
    FloatingPointError
        If |E| exceeds the float64 range (about e^709.78); :func:`log_energy` returns log E.
    """
    model = _model(model)
    x = _points(x, model.d)
    block = _block(block)
    return _per_item(lambda xb: _energy_one(model, xb, block), x)


def log_energy(model: AttentionModel, x, *, block: int | None = None) -> float | np.ndarray:
    """Logarithm of the interaction energy, finite even when E overflows (huge beta).

        log E = logsumexp_{i,j}(beta <A x_i, x_j>) - log(2 beta) - 2 log N     (beta > 0).

    For beta < 0, E < 0 and this returns log |E| = log(-E) (the sign of E is the sign of
    beta). Same blocking and shapes as :func:`energy`.

    Raises
    ------
    ValueError
        For beta == 0, where E is the limit form E_0 (of any sign): use :func:`energy`.
    """
    model = _model(model)
    x = _points(x, model.d)
    block = _block(block)
    if model.beta == 0:
        raise fail("model", model, "has beta=0, where the energy is the limit form "
                   "<A m, m>/2 (any sign) and has no logarithm in general",
                   "use energy(model, x), which is finite at beta=0")
    return _per_item(lambda xb: _log_abs_energy(model, xb, block), x)


def _energy_one(model: AttentionModel, x: np.ndarray, block: int | None) -> float:
    beta = model.beta
    if beta == 0:
        mean = x.mean(axis=0)
        return 0.5 * float((model.A_matrix @ mean) @ mean)
    log_abs = _log_abs_energy(model, x, block)
    if log_abs > _LOG_MAX:
        sign = "" if beta > 0 else "-"
        what = "log E" if beta > 0 else "log|E| = log(-E)"
        raise FloatingPointError(
            f"energy overflows float64 at beta={beta:g}: E = {sign}e^{log_abs:.6g}, beyond the "
            f"largest float64 (~e^{_LOG_MAX:.2f}). Fix: use log_energy(model, x), which "
            f"returns {what}"
        )
    return math.copysign(math.exp(log_abs), beta)


def _log_abs_energy(model: AttentionModel, x: np.ndarray, block: int | None) -> float:
    """log |E| = logsumexp_{ij}(beta <A x_i, x_j>) - log(2 |beta|) - 2 log N, beta != 0."""
    n = x.shape[0]
    if _circle_spectral(model, x):
        return _log_energy_circle(model.beta, x)
    rows = _log_row_sums(model, x, default_block(n) if block is None else block)
    top = float(rows.max())
    total = top + math.log(float(np.exp(rows - top).sum()))
    return total - math.log(2 * abs(model.beta)) - 2 * math.log(n)


def _circle_spectral(model: AttentionModel, x: np.ndarray) -> bool:
    """Use the O(N K) Fourier form: S^1, A = I, beta > 0, unit points, N large enough."""
    if not (model.d == 2 and model.A is None and model.beta > 0 and x.shape[0] >= 2000):
        return False
    return bool(np.abs(np.einsum("ij,ij->i", x, x) - 1.0).max() < 1e-12)


def _log_energy_circle(beta: float, x: np.ndarray) -> float:
    """log E on S^1 with A = I from e^{beta cos s} = sum_k I_|k|(beta) e^{iks}:

        (1/N^2) sum_ij e^{beta cos(theta_i - theta_j)} = sum_{k in Z} I_|k|(beta) |mu_hat_k|^2,

    a sum of positive terms (beta > 0), truncated where I_k(beta)/I_0(beta) < 1e-18.
    """
    k = np.arange(1, 2 * int(beta) + 64)
    scaled = ive(k, beta) / ive(0, beta)
    K = int(k[np.argmax(scaled < 1e-18)]) if np.any(scaled < 1e-18) else int(k[-1])
    modes = fourier_modes(x, K)
    c = ive(np.arange(K + 1), beta)                           # I_k(beta) e^{-beta}
    total = c[0] * abs(modes[0]) ** 2 + 2.0 * float(np.dot(c[1:], np.abs(modes[1:]) ** 2))
    return beta + math.log(total) - math.log(2 * beta)


def _log_row_sums(model: AttentionModel, x: np.ndarray, block: int) -> np.ndarray:
    """L_i = log sum_j e^{beta <A x_i, x_j>}, O(n * block) memory."""
    beta = model.beta
    n = x.shape[0]
    xa = x if model.A is None else x @ model.A.T              # rows A x_i
    with np.errstate(over="ignore"):
        shift = abs(beta) * np.linalg.norm(xa, axis=1) * float(np.linalg.norm(x, axis=1).max())
    if not np.all(np.isfinite(shift)):
        raise FloatingPointError(
            f"energy: the scores beta <A x_i, x_j> overflow float64 at beta={beta:g}, so not "
            "even log E is representable. Fix: lower beta or rescale A or x"
        )
    xt = np.ascontiguousarray(x.T)
    out = np.empty(n)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        s = xa[i0:i1] @ xt                                    # (b, n) scores / beta
        s *= beta
        m = shift[i0:i1].copy()
        s -= m[:, None]
        np.exp(s, out=s)
        row = s.sum(axis=1)
        low = row < _TINY
        if np.any(low):                                       # exact maximum where underflowed
            idx = np.flatnonzero(low)
            r = beta * (xa[i0 + idx] @ xt)
            m[idx] = r.max(axis=1)
            row[idx] = np.exp(r - m[idx, None]).sum(axis=1)
        out[i0:i1] = m + np.log(row)
    return out


# -- order parameters and Fourier modes --------------------------------------------------------
def order_parameter(x, k: int = 1) -> float | np.ndarray:
    """Order parameter of a configuration: how concentrated the points are.

        R_1 = |(1/N) sum_i x_i|                      (any d),
        R_k = |(1/N) sum_i exp(i k theta_i)|          (k >= 2, on S^1),

    with theta_i the angle of x_i (:func:`attnflow.sphere.points_to_angles`). R_1 = 1 for a
    single cluster and 0 for configurations with zero mean; R_k = 1 when the points sit on
    k equispaced clusters (or fewer clusters at a subset of those angles).

    Parameters
    ----------
    x : (n, d) or (B, n, d) finite array; d = 2 when k >= 2.
    k : int >= 1, the harmonic.

    Returns
    -------
    float for (n, d) input, (B,) array for (B, n, d) input.
    """
    x = _points(x)
    k = _integer("k", k, 1, "pass k=1 (any d) or a harmonic k >= 2 on S^1")
    if k == 1:
        r = np.linalg.norm(x.mean(axis=-2), axis=-1)
    else:
        d = x.shape[-1]
        if d != 2:
            raise fail("k", k, f"is >= 2 but the points have d={d}; the harmonics e^(i k theta) "
                       "exist only on S^1 (d = 2)",
                       "use k=1 (|mean of the x_i|, any d), or pass points of shape (n, 2)")
        theta = points_to_angles(x)
        r = np.abs(np.exp(1j * k * theta).mean(axis=-1))
    return float(r) if x.ndim == 2 else r


def fourier_modes(x, K: int) -> np.ndarray:
    """Empirical Fourier coefficients of a configuration on S^1, for k = 0..K.

        mu_hat_k = (1/N) sum_j exp(-i k theta_j),     k = 0, 1, ..., K,

    so that the empirical measure is mu = (1/(2 pi)) sum_k mu_hat_k e^{i k theta} and
    |mu_hat_k| = R_k (:func:`order_parameter`), mu_hat_0 = 1. Computed in blocks of k.

    Parameters
    ----------
    x : (n, 2) or (B, n, 2) finite array of points on S^1 (the angles are used).
    K : int >= 0, the largest frequency.

    Returns
    -------
    complex128 array of shape (K + 1,) or (B, K + 1).
    """
    x = _points(x)
    if x.shape[-1] != 2:
        raise fail("x", x, f"has last axis {x.shape[-1]}; Fourier modes in theta exist only on "
                   "S^1", "pass points of shape (n, 2) or (B, n, 2)")
    K = _integer("K", K, 0, "pass the largest frequency, e.g. K=16")
    theta = points_to_angles(x)
    th = theta.reshape(-1, theta.shape[-1])                    # (B, n)
    nb, n = th.shape
    ks = np.arange(K + 1, dtype=np.float64)
    out = np.empty((nb, K + 1), dtype=np.complex128)
    step = max(1, _BLOCK_ENTRIES // max(1, nb * n))
    for k0 in range(0, K + 1, step):
        phase = ks[k0:k0 + step, None, None] * th[None]         # (kb, B, n)
        out[:, k0:k0 + step] = (np.cos(phase).mean(axis=-1) - 1j * np.sin(phase).mean(axis=-1)).T
    return out[0] if x.ndim == 2 else out


# -- clustering --------------------------------------------------------------------------------
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
    x = _points(x)
    tol = _tol(tol)
    block = _block(block)
    n = x.shape[-2]
    if x.ndim == 3 and block is None and 1 < n and n * n <= _SMALL_GRAM:     # many small systems
        return _density_small_batch(x, tol)
    return _per_item(lambda xb: _density_one(xb, tol, block), x)


def _density_small_batch(x: np.ndarray, tol: float) -> np.ndarray:
    """clustering_density of (B, n, d) with stacked Gram matrices, chunks of ~2^19 entries."""
    nb, n, _ = x.shape
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    step = max(1, _BLOCK_ENTRIES // (n * n))
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
    b = default_block(n) if block is None else block
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
    x = _points(x)
    if x.ndim == 3:
        raise fail("x", x, "is a batch (B, n, d); clusters() takes one configuration",
                   "loop over the batch: [clusters(xb, tol) for xb in x]")
    tol = _tol(tol)
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
    centers = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 64 * _EPS * scale)
    sizes = sizes[order]
    for arr in (labels, centers, sizes):
        arr.setflags(write=False)
    return Clusters(labels=labels, count=int(count), centers=centers, sizes=sizes)


def _components(x: np.ndarray, r: float) -> np.ndarray:
    """Component labels (arbitrary order) of the graph |x_i - x_j| <= r."""
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
        if len(pa) * len(pb) <= _BLOCK_ENTRIES:
            gap = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(axis=-1)).min()
        else:
            gap = cKDTree(pb).query(pa, k=1)[0].min()
        if gap <= r:
            parent[ca] = cb
    roots = np.array([find(c) for c in range(parent.size)])
    return np.unique(roots, return_inverse=True)[1].reshape(-1)[lab]      # contiguous labels


# -- the registry ------------------------------------------------------------------------------
def _registry_points(model: AttentionModel, x: Any) -> np.ndarray:
    return _points(x, _model(model).d)


def _obs_energy(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return energy(model, x)


def _obs_order_parameter(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return order_parameter(_registry_points(model, x), 1)


def _obs_order_parameter_2(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return order_parameter(_registry_points(model, x), 2)


def _obs_clustering_density(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return clustering_density(_registry_points(model, x), 1e-3)


def _obs_cluster_count(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    x = _registry_points(model, x)
    return _per_item(lambda xb: float(clusters(xb, 1e-3).count), x)


def dominant_mode(x, K: int = 32) -> float | np.ndarray:
    """The Fourier mode with the largest amplitude on S^1: argmax_{1 <= k <= K} |mu_hat_k|.

    For k equally spaced clusters |mu_hat_k| = 1 and the multiples of k tie with it; ties go
    to the smaller k, so the result is k. During the linear phase from a uniform start it is
    the fastest-growing mode k_max(beta) [B]; at t = 0 it is noise (|mu_hat_k| ~ N^{-1/2}).

    Parameters
    ----------
    x : (n, 2) or (B, n, 2) points on S^1.
    K : int >= 1, the largest mode considered.

    Returns
    -------
    float (an integer value) for (n, 2) input, (B,) array for (B, n, 2) input.
    """
    K = _integer("K", K, 1, "pass the largest mode, e.g. K=32")
    amp = np.abs(fourier_modes(x, K))[..., 1:]
    # ties (equal up to rounding) go to the smaller k
    top = amp.max(axis=-1, keepdims=True)
    k = np.argmax(amp >= top - 1e-12, axis=-1) + 1.0
    return float(k) if np.ndim(k) == 0 else k


def _obs_dominant_mode(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    x = _registry_points(model, x)
    if x.shape[-1] != 2:
        raise fail("observables", "dominant_mode", f"needs points on S^1, got d = {x.shape[-1]}",
                   "drop dominant_mode for d > 2 (use order_parameter or cluster_count)")
    return dominant_mode(x)


#: name -> observable(model, x); x of shape (n, d) gives a float ((B, n, d) gives (B,)).
#: "order_parameter_2" (R_2) and "dominant_mode" exist only on S^1; tolerances are tol = 1e-3.
OBSERVABLES: dict[str, Observable] = {
    "energy": _obs_energy,
    "order_parameter": _obs_order_parameter,
    "order_parameter_2": _obs_order_parameter_2,
    "clustering_density": _obs_clustering_density,
    "cluster_count": _obs_cluster_count,
    "dominant_mode": _obs_dominant_mode,
}


def resolve_observables(names_or_callables: Sequence[str | Mapping[str, Observable]]
                        | Mapping[str, Observable] | str | None) -> dict[str, Observable]:
    """Turn a user's choice of observables into an ordered dict name -> callable(model, x).

    Parameters
    ----------
    names_or_callables : a name of :data:`OBSERVABLES`, a sequence of such names, a dict
        name -> callable(model, x) -> float, a sequence mixing names and such dicts, or None
        (no observables). The order given is kept. A name may repeat only with the same
        callable.

    Returns
    -------
    dict name -> callable, a new dict (editing it leaves the registry unchanged).

    Raises
    ------
    ValueError
        Naming the unknown names and listing the valid ones, or the entry that is not a
        name, a dict, or a callable.
    """
    spec = names_or_callables
    if spec is None:
        return {}
    items = [spec] if isinstance(spec, (str, Mapping)) else spec
    try:
        items = list(items)
    except TypeError:
        raise fail("observables", spec, "is not a name, a sequence of names or a dict",
                   f"pass names from {sorted(OBSERVABLES)} or a dict name -> callable(model, x)"
                   ) from None
    out: dict[str, Observable] = {}
    unknown: list[str] = []

    def add(name: str, fn: Observable) -> None:
        if name in out and out[name] is not fn:
            raise fail("observables", name, "is given twice with different callables",
                       "give each observable name once")
        out[name] = fn

    for item in items:
        if isinstance(item, str):
            if item in OBSERVABLES:
                add(item, OBSERVABLES[item])
            else:
                unknown.append(item)
        elif isinstance(item, Mapping):
            for name, fn in item.items():
                if not isinstance(name, str) or not name:
                    raise fail("observables", name, "is not a non-empty string name",
                               "use string keys in the dict name -> callable(model, x)")
                if not callable(fn):
                    raise fail(f"observables[{name!r}]", fn, "is not callable",
                               "map each name to a function (model, x) -> float")
                add(name, fn)
        else:
            raise fail("observables", item, "is neither an observable name nor a dict "
                       "name -> callable(model, x)",
                       f"use names from {sorted(OBSERVABLES)} or a dict")
    if unknown:
        raise fail("observables", unknown, "are unknown observable names",
                   f"use some of {sorted(OBSERVABLES)}, or pass a dict name -> callable(model, x)")
    return out
