"""Particles <-> densities: the bridge between particle runs and mean-field (PDE) runs.

So that a particle simulation and a PDE simulation start from the same law:

- :func:`empirical_fourier`: mu_hat_k = (1/N) sum_j e^{-i k theta_j} of angles on S^1 (the
  convention of :func:`attnflow.observables.fourier_modes`).
- :func:`circle_kde`: a von Mises kernel density estimate of angles on the grid
  theta_j = 2 pi j / M (the grid of :class:`attnflow.meanfield.CircleSolver`), exact in
  Fourier space.
- :func:`sample_circle`: n angles drawn from a density given on that grid (random, or the
  deterministic quantile points (j + 1/2)/n).
- :func:`zonal_histogram`: the histogram of the polar angle of points on S^{d-1} about a pole,
  as a density relative to the normalized uniform measure sigma (f = 1 is uniform), the
  convention of :class:`attnflow.meanfield.zonal.ZonalSolver`.
- :func:`sample_zonal`: points on S^{d-1} whose polar-angle law has a given density relative
  to sigma, uniform in the directions orthogonal to the pole.

Conventions. On S^1 a density rho satisfies int_0^{2 pi} rho dtheta = 1. On S^{d-1} a zonal
density f(phi) is relative to sigma (sigma(S^{d-1}) = 1): the polar angle phi = arccos <x, e>
has the law f(phi) w_d(phi) dphi with w_d(phi) = sin^{d-2}(phi) / int_0^pi sin^{d-2}, and
sigma{angle <= phi} = I_{sin^2(phi/2)}((d-1)/2, (d-1)/2) (regularized incomplete beta).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import betainc, betaincinv, ive

from .validation import angles, check_points, fail, finite_float, integer, real_array, rng

__all__ = [
    "circle_kde",
    "density_values",
    "empirical_fourier",
    "polar_cdf",
    "sample_circle",
    "sample_zonal",
    "zonal_histogram",
]

#: trig entries per block in the empirical transform (2^20 float64 = 8 MiB)
_BLOCK = 1 << 20
#: kernel Fourier ratios I_k(kappa)/I_0(kappa) below this are dropped
_KERNEL_TAIL = 1e-17
#: negative density values above -_NEG_TOL * max are treated as rounding and set to 0
_NEG_TOL = 1e-10


# -- validation ------------------------------------------------------------------------------
def density_values(name: str, value: Any, fix: str, *, min_size: int = 1) -> np.ndarray:
    """A finite non-negative density on a grid, (M,) with M >= ``min_size`` and positive mass.

    Negative values above -1e-10 times the maximum are rounding (e.g. of a PDE solver) and are
    clipped to 0; larger ones are an error, as are NaN, inf and complex values.
    """
    arr = real_array(name, value, fix=fix, ndim=1)
    if arr.size < min_size:
        raise fail(name, arr, f"has {arr.size} values, expected at least {min_size}", fix)
    top = arr.max()
    if top <= 0:
        raise fail(name, arr, "has no positive value", "pass a non-negative density with positive mass")
    if arr.min() < -_NEG_TOL * top:
        raise fail(name, arr, f"has negative values (min {arr.min():.3g})",
                   "pass a non-negative density (clip it, or refine the PDE run that produced it)")
    return np.clip(arr, 0.0, None)


def _pick_cells(mass: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse CDF over cells: the cell j holding cumulative mass m, and the mass left in it.

    Only cells of positive mass can be returned (rounding at the ends never lands in an
    empty cell); the offset is clipped to [0, mass_j].
    """
    full = np.flatnonzero(mass > 0)
    cdf = np.concatenate([[0.0], np.cumsum(mass[full])])
    i = np.clip(np.searchsorted(cdf, m, side="right") - 1, 0, full.size - 1)
    j = full[i]
    return j, np.clip(m - cdf[i], 0.0, mass[j])


# -- the circle ------------------------------------------------------------------------------
def empirical_fourier(theta, K: int) -> np.ndarray:
    """Empirical Fourier coefficients of angles on S^1, k = 0..K.

        mu_hat_k = (1/N) sum_j exp(-i k theta_j),

    so that mu = (1/(2 pi)) sum_{k in Z} mu_hat_k e^{i k theta} and mu_hat_{-k} = conj(mu_hat_k),
    as in :func:`attnflow.observables.fourier_modes`. Cost O(N K), in blocks.

    Parameters
    ----------
    theta : (N,) angles, or (N, 2) points on S^1.
    K : int >= 0, the largest frequency.

    Returns
    -------
    complex128 array of shape (K + 1,).
    """
    th = angles("theta", theta)
    K = integer("K", K, 0, fix="pass the largest frequency, e.g. K=16")
    out = np.empty(K + 1, dtype=np.complex128)
    step = max(1, _BLOCK // th.size)
    for k0 in range(0, K + 1, step):
        phase = np.arange(k0, min(K + 1, k0 + step), dtype=np.float64)[:, None] * th[None, :]
        out[k0:k0 + step] = np.cos(phase).mean(axis=1) - 1j * np.sin(phase).mean(axis=1)
    return out


def circle_kde(theta_or_points, M: int, bandwidth: float) -> np.ndarray:
    """Von Mises kernel density estimate on the grid theta_j = 2 pi j / M, j = 0..M-1.

        rho(theta) = (1/N) sum_j K_kappa(theta - theta_j),
        K_kappa(s) = e^{kappa cos s} / (2 pi I_0(kappa)),   kappa = 1 / bandwidth^2,

    computed exactly in Fourier space: rho = (1/(2 pi)) sum_{|k| <= K} r_k mu_hat_k e^{i k theta}
    with r_k = I_k(kappa) / I_0(kappa) (``scipy.special.ive``), truncated where
    r_k < 1e-17, and the frequencies folded modulo M, which evaluates the series exactly
    at the grid points. Cost O(N K + M log M) with K ~ 9 / bandwidth. The result is normalized
    so that sum_j rho_j 2 pi / M = 1 (it differs from the exact KDE only by the aliasing
    terms |k| >= M, of size r_M, negligible once M >> 1 / bandwidth).

    Parameters
    ----------
    theta_or_points : (N,) angles or (N, 2) points on S^1.
    M : int >= 1, grid size (e.g. the M of :class:`attnflow.meanfield.CircleSolver`).
    bandwidth : float > 0, the kernel width in radians (kappa = 1 / bandwidth^2; for small
        bandwidth the kernel is close to a Gaussian of standard deviation ``bandwidth``).

    Returns
    -------
    (M,) float64 density values with int rho dtheta = 1 on the grid.
    """
    th = angles("theta_or_points", theta_or_points)
    M = integer("M", M, 1, fix="pass the grid size, e.g. M=256")
    bw = finite_float("bandwidth", bandwidth, fix="pass a kernel width in radians, e.g. 0.1",
                      positive=True)
    kappa = 1.0 / bw**2
    kk = np.arange(int(12 * np.sqrt(kappa)) + 32)
    r = ive(kk, kappa) / ive(0, kappa)
    K = int(np.nonzero(r >= _KERNEL_TAIL)[0].max())
    c = empirical_fourier(th, K) * r[: K + 1]
    a = np.zeros(M, dtype=np.complex128)
    k = np.arange(K + 1)
    np.add.at(a, k % M, c)
    np.add.at(a, (-k[1:]) % M, np.conj(c[1:]))
    rho = np.real(np.fft.ifft(a)) * (M / (2 * np.pi))
    return rho / (rho.sum() * (2 * np.pi / M))


def sample_circle(rho, n: int, seed: int | np.random.Generator | None = None,
                  method: str = "random") -> np.ndarray:
    """Draw n angles from a density given on the periodic grid theta_j = 2 pi j / M.

    The density is the periodic piecewise-linear interpolant of ``rho`` (normalized here:
    its integral is sum_j rho_j 2 pi / M, the trapezoid rule), whose CDF is piecewise
    quadratic and is inverted exactly in each cell.

    Parameters
    ----------
    rho : (M,) non-negative values on the grid (e.g. :func:`circle_kde` or a CircleSolver frame);
        rounding-size negatives (> -1e-10 max) are set to 0.
    n : int >= 1, the number of angles.
    seed : seed or Generator for ``method="random"`` (ignored for "quantile").
    method : "random" (iid draws, F^{-1}(U)) or "quantile" (the deterministic, sorted points
        F^{-1}((j + 1/2) / n), j = 0..n-1: Kolmogorov distance 1/(2n) to the interpolant's
        law, useful for particle-vs-PDE comparisons).

    Returns
    -------
    (n,) angles in [0, 2 pi).
    """
    rho = density_values("rho", rho, "pass (M,) density values on the grid 2 pi j / M")
    n = integer("n", n, 1, fix="pass the number of angles, e.g. n=1000")
    if method not in ("random", "quantile"):
        raise fail("method", method, "is not known", 'use "random" or "quantile"')
    M = rho.size
    h = 2 * np.pi / M
    a, b = rho, np.roll(rho, -1)                        # cell j: [theta_j, theta_j + h]
    cell = 0.5 * h * (a + b)
    total = float(cell.sum())
    if method == "random":
        u = rng(seed).uniform(size=n)
    else:
        u = (np.arange(n) + 0.5) / n
    j, m = _pick_cells(cell, u * total)
    aj, bj = a[j], b[j]
    # mass(s) = a s + (b - a) s^2 / (2 h) = m  ->  s = 2 m / (a + sqrt(a^2 + 2 (b - a) m / h))
    disc = np.sqrt(np.clip(aj * aj + 2 * (bj - aj) * m / h, 0.0, None))
    denom = aj + disc
    s = np.divide(2 * m, denom, out=np.zeros_like(m), where=denom > 0)
    theta = j * h + np.clip(s, 0.0, h)
    return np.mod(theta, 2 * np.pi)


# -- zonal laws on S^{d-1} -------------------------------------------------------------------
def polar_cdf(phi, d: int) -> np.ndarray:
    """sigma{x : angle(x, e) <= phi} = I_{sin^2(phi/2)}((d-1)/2, (d-1)/2), phi in [0, pi].

    The normalized area of the polar cap of angular radius phi on S^{d-1} (d = 2: phi / pi).
    """
    d = integer("d", d, 2, fix="pass the ambient dimension, e.g. d=3")
    phi = np.clip(real_array("phi", phi, fix="pass polar angles in [0, pi]", copy=False, finite=False),
                  0.0, np.pi)
    a = (d - 1) / 2
    return betainc(a, a, np.sin(phi / 2) ** 2)


def _pole(pole: Any, d: int | None) -> np.ndarray:
    if pole is None:
        if d is None:
            raise fail("pole", pole, "is required here", "pass the pole as a (d,) vector")
        e = np.zeros(d)
        e[-1] = 1.0
        return e
    e = real_array("pole", pole, fix="pass a (d,) vector, e.g. [0, 0, 1]", finite=False)
    if e.ndim != 1 or e.size < 2 or (d is not None and e.size != d):
        want = "d >= 2" if d is None else f"d = {d}"
        raise fail("pole", e, f"has shape {e.shape}, expected a vector of length {want}",
                   "pass a (d,) vector, e.g. [0, 0, 1]")
    nrm = np.linalg.norm(e)
    if not np.isfinite(nrm) or nrm == 0:
        raise fail("pole", e, "must be finite and non-zero", "pass a (d,) direction, e.g. [0, 0, 1]")
    return e / nrm


def zonal_histogram(x, pole, bins: int | Any = 32) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the polar angle phi = angle(x_i, pole), as a density relative to sigma.

        f_b = (#{i : phi_i in bin b} / n) / sigma(band b),
        sigma(band [p, q]) = polar_cdf(q) - polar_cdf(p)   (exact bin integral of w_d),

    so that uniform points give f ~ 1 and the result estimates the zonal density f of
    :class:`attnflow.meanfield.zonal.ZonalSolver` at the bins. Angles use the stable
    2 atan2(|x - e|, |x + e|).

    Parameters
    ----------
    x : (n, d) points on S^{d-1} (unit norm to 1e-8).
    pole : (d,) non-zero vector (normalized here).
    bins : int >= 1 (equal-width bins on [0, pi]) or increasing edges within [0, pi].
        Points outside the edges are not counted (but n includes them).

    Returns
    -------
    (density (B,), edges (B + 1,)).
    """
    arr = real_array("x", x, fix="pass points of shape (n, d)", copy=False, finite=False)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise fail("x", arr, f"has shape {arr.shape}, expected (n, d) with d >= 2",
                   "pass points on S^{d-1}, one per row")
    d = arr.shape[1]
    pts = check_points("x", arr, d)
    e = _pole(pole, d)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        nb = integer("bins", bins, 1, fix="pass a number of bins, e.g. bins=32")
        edges = np.linspace(0.0, np.pi, nb + 1)
    else:
        edges = real_array("bins", bins, fix="pass e.g. bins=32 or numpy.linspace(0, numpy.pi, 33)",
                           finite=False)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) \
                or np.any(np.diff(edges) <= 0) or edges[0] < 0 or edges[-1] > np.pi:
            raise fail("bins", edges, "must be increasing edges within [0, pi]",
                       "pass e.g. numpy.linspace(0, numpy.pi, 33)")
    phi = 2.0 * np.arctan2(np.linalg.norm(pts - e, axis=1), np.linalg.norm(pts + e, axis=1))
    counts, _ = np.histogram(phi, bins=edges)
    band = np.diff(polar_cdf(edges, d))
    return counts / (pts.shape[0] * band), edges


def sample_zonal(f: Callable | Any, d: int, n: int, pole=None,
                 seed: int | np.random.Generator | None = None, *, phi=None,
                 cells: int = 4096) -> np.ndarray:
    """Points on S^{d-1} whose polar angle about ``pole`` has density f relative to sigma.

    The polar angle has the law f(phi) w_d(phi) dphi / Z (f is normalized here); the
    direction orthogonal to the pole is uniform. Method: [0, pi] is cut into ``cells`` equal
    cells, f is taken constant on each (its value at the midpoint), a cell is drawn with
    probability f_i sigma(cell i), and the angle inside it is drawn from sigma restricted to
    the cell, exactly, by inverting :func:`polar_cdf` (``scipy.special.betaincinv``). The
    error is the midpoint approximation of f, O(cells^-2) in the CDF.

    Parameters
    ----------
    f : vectorized callable of phi in [0, pi], or nodal values (m,) at the angles ``phi``
        (e.g. ``sol.f[-1]`` with ``phi=sol.phi`` from a ZonalSolution), interpolated linearly
        in phi and held constant beyond the first and last node. Non-negative.
    d : int >= 2, the ambient dimension.
    n : int >= 1, the number of points.
    pole : (d,) non-zero vector; None is the last basis vector e_d.
    seed : seed or numpy Generator.
    phi : (m,) increasing angles in [0, pi], required when ``f`` is an array.
    cells : int >= 16, resolution of the tabulated CDF.

    Returns
    -------
    (n, d) float64 points on the unit sphere.
    """
    d = integer("d", d, 2, fix="pass the ambient dimension, e.g. d=3")
    n = integer("n", n, 1, fix="pass the number of points, e.g. n=1000")
    cells = integer("cells", cells, 16, fix="pass e.g. cells=4096")
    e = _pole(pole, d)
    gen = rng(seed)
    edges = np.linspace(0.0, np.pi, cells + 1)
    mid = 0.5 * (edges[1:] + edges[:-1])
    fix = "pass a callable of phi or nodal values together with their angles phi"
    if callable(f):
        try:
            vals = np.asarray(f(mid), dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise fail("f", f, f"could not be evaluated ({err})",
                       "pass a vectorized callable of phi returning an array") from None
        if vals.shape == ():
            vals = np.full(cells, float(vals))
        if vals.shape != (cells,):
            raise fail("f", f, f"returned shape {vals.shape} for {cells} angles",
                       "pass a vectorized callable of phi")
        vals = density_values("f", vals, fix)
    else:
        vals = density_values("f", f, fix)
        if phi is None:
            raise fail("phi", phi, "is required when f is an array of nodal values",
                       "pass the nodes' polar angles, e.g. phi=solution.phi")
        nodes = real_array("phi", phi, fix="pass increasing angles in [0, pi]", finite=False)
        if nodes.shape != vals.shape or not np.all(np.isfinite(nodes)) or np.any(np.diff(nodes) <= 0) \
                or nodes[0] < 0 or nodes[-1] > np.pi:
            raise fail("phi", nodes, f"must be {vals.size} increasing angles within [0, pi] (one per value)",
                       "pass the polar angles of the values in f")
        vals = np.interp(mid, nodes, vals)
    cap = polar_cdf(edges, d)
    band = np.diff(cap)
    mass = vals * band
    total = float(mass.sum())
    if not total > 0:
        raise fail("f", f, "has zero mass", "pass a density with positive mass")
    j, m = _pick_cells(mass, gen.uniform(size=n) * total)
    frac = np.clip(m / mass[j], 0.0, 1.0)
    target = np.clip(cap[j] + frac * band[j], 0.0, 1.0)
    a = (d - 1) / 2
    s = betaincinv(a, a, target)                        # sin^2(phi / 2)
    ang = np.clip(2 * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0))), edges[j], edges[j + 1])
    z = gen.standard_normal((n, d))
    z -= (z @ e)[:, None] * e
    nz = np.linalg.norm(z, axis=1, keepdims=True)
    while np.any(nz == 0):                              # probability zero; redraw
        bad = (nz == 0)[:, 0]
        z[bad] = gen.standard_normal((int(bad.sum()), d))
        z[bad] -= (z[bad] @ e)[:, None] * e
        nz = np.linalg.norm(z, axis=1, keepdims=True)
    x = np.cos(ang)[:, None] * e + np.sin(ang)[:, None] * (z / nz)
    return x / np.linalg.norm(x, axis=1, keepdims=True)
