"""Geometry of the unit sphere S^{d-1} in R^d, and nothing else.

Arrays of points have shape (n, d) or (B, n, d); every function works on the last axis.
Integrators move points with :func:`retract` and never normalize by hand.
"""

from __future__ import annotations

import numpy as np

from .validation import fail, finite_float, integer, real_array, rng

__all__ = [
    "angles_to_points",
    "geodesic_distance",
    "points_to_angles",
    "retract",
    "tangent_project",
    "uniform",
    "uniform_angles",
    "von_mises_fisher",
]


def tangent_project(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Project ``v`` onto the tangent space at ``x``: P_x v = v - <x, v> x.

    Parameters
    ----------
    x, v : (..., d) arrays of the same shape; ``x`` on the sphere.
    """
    return v - np.sum(x * v, axis=-1, keepdims=True) * x


def retract(y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Map ambient points back onto the sphere: y / |y| (the metric projection).

    This is the retraction of every integrator and of the transformer's layer normalization.
    Raises ``FloatingPointError`` if a point is zero or non-finite (the run has blown up).
    """
    norms = np.linalg.norm(y, axis=-1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise FloatingPointError(
            "retract: a point became zero, NaN or infinite; the step overflowed. "
            "Fix: reduce dt, or check beta and the attention matrices"
        )
    return np.divide(y, norms, out=out)


def geodesic_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Great-circle distance arccos <x, y> in [0, pi], accurate for close and antipodal points.

    Uses 2 atan2(|x - y|, |x + y|), which keeps full relative accuracy near 0 and pi.
    """
    return 2.0 * np.arctan2(np.linalg.norm(x - y, axis=-1), np.linalg.norm(x + y, axis=-1))


def _shape(n: int, d: int, batch: int | None) -> tuple[int, ...]:
    n = integer("n", n, 1, fix="pass the number of points, e.g. n=128")
    d = integer("d", d, 2, fix="pass the ambient dimension, e.g. d=3")
    if batch is None:
        return (n, d)
    return (integer("batch", batch, 1, fix="pass the number of configurations, e.g. batch=8, or None"), n, d)


def uniform(n: int, d: int, seed: int | np.random.Generator | None = None,
            batch: int | None = None) -> np.ndarray:
    """Independent uniform points on S^{d-1}: normalized standard Gaussians.

    Returns an (n, d) array, or (batch, n, d) when ``batch`` is given.
    """
    g = rng(seed).standard_normal(_shape(n, d, batch))
    return retract(g)


def von_mises_fisher(n: int, mu, kappa: float, seed: int | np.random.Generator | None = None,
                     batch: int | None = None) -> np.ndarray:
    """Samples of the von Mises-Fisher law with density ∝ exp(kappa <mu, x>) on S^{d-1}.

    Uses Wood's (1994) rejection-free sampler for the component t = <mu, x>:
    the density of t is ∝ exp(kappa t) (1 - t^2)^{(d-3)/2}, drawn here by inverting its
    CDF exactly for d = 3 and by Wood's rejection scheme otherwise.

    Parameters
    ----------
    mu : (d,) array, the mean direction (normalized here).
    kappa : float >= 0, the concentration (0 gives the uniform law).
    """
    mu = real_array("mu", mu, fix="pass the mean direction, e.g. mu=[0, 0, 1]", finite=False)
    if mu.ndim != 1 or mu.shape[0] < 2 or not np.all(np.isfinite(mu)) or not np.any(mu):
        raise fail("mu", mu, "must be a finite non-zero vector of length d >= 2",
                   "pass the mean direction, e.g. mu=[0, 0, 1]")
    d = mu.shape[0]
    mu = mu / np.linalg.norm(mu)
    kappa = finite_float("kappa", kappa, fix="pass a finite concentration >= 0")
    if kappa < 0:
        raise fail("kappa", kappa, "must be >= 0", "use the antipodal mean direction -mu instead")
    shape = _shape(n, d, batch)
    gen = rng(seed)
    m = int(np.prod(shape[:-1]))
    if kappa == 0:
        return uniform(n, d, gen, batch)
    t = _vmf_cosines(gen, m, d, kappa)
    # a uniform direction orthogonal to mu
    z = gen.standard_normal((m, d))
    z -= (z @ mu)[:, None] * mu
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    pts = t[:, None] * mu + np.sqrt(np.clip(1 - t * t, 0, None))[:, None] * z
    return retract(pts).reshape(shape)


def _vmf_cosines(gen: np.random.Generator, m: int, d: int, kappa: float) -> np.ndarray:
    """Draw t = <mu, x> for m vMF samples (Wood 1994)."""
    if d == 3:
        u = gen.uniform(size=m)
        # inverse CDF of density ∝ e^{kappa t} on [-1, 1], written stably
        return 1.0 + np.log(u + (1 - u) * np.exp(-2 * kappa)) / kappa
    b = (d - 1) / (2 * kappa + np.sqrt(4 * kappa**2 + (d - 1) ** 2))
    x0 = (1 - b) / (1 + b)
    c = kappa * x0 + (d - 1) * np.log(1 - x0 * x0)
    out = np.empty(m)
    filled = 0
    while filled < m:
        k = m - filled
        z = gen.beta((d - 1) / 2, (d - 1) / 2, size=2 * k + 8)
        w = (1 - (1 + b) * z) / (1 - (1 - b) * z)
        u = gen.uniform(size=w.shape)
        ok = kappa * w + (d - 1) * np.log(1 - x0 * w) - c >= np.log(u)
        w = w[ok][:k]
        out[filled:filled + w.size] = w
        filled += w.size
    return out


def angles_to_points(theta) -> np.ndarray:
    """Points (cos theta, sin theta) on S^1: shape (...,) -> (..., 2)."""
    theta = real_array("theta", theta, fix="pass real angles in radians", copy=False, finite=False)
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def points_to_angles(x: np.ndarray) -> np.ndarray:
    """Angles in [0, 2 pi) of points on S^1: shape (..., 2) -> (...,)."""
    x = real_array("x", x, fix="pass points of shape (..., 2)", dtype=None, copy=False, finite=False)
    if x.ndim == 0 or x.shape[-1] != 2:
        raise fail("x", x, f"has last axis {x.shape[-1]}, angles exist only on S^1",
                   "pass points of shape (..., 2)")
    return np.mod(np.arctan2(x[..., 1], x[..., 0]), 2 * np.pi)


def uniform_angles(n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """n iid uniform angles in [0, 2 pi)."""
    n = integer("n", n, 1, fix="pass the number of angles, e.g. n=128")
    return rng(seed).uniform(0, 2 * np.pi, size=n)
