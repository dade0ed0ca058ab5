"""Wasserstein distances between token distributions (geodesic cost on the sphere).

- :func:`w1_circle`: exact W_1 on S^1 between discrete measures and/or densities given on
  an equispaced grid (piecewise constant on cells), by the closed form
  W_1(mu, nu) = min_alpha int_0^{2 pi} |F_mu(t) - F_nu(t) - alpha| dt
  (the optimal alpha is a median of F_mu - F_nu; Rabin, Delon, Gousseau 2011; the "LevMed"
  formula of Hundrieser, Klatt, Munk 2022). Linear in the number of atoms after sorting.
- :func:`wasserstein_circle`: W_p on S^1 between discrete measures (POT's binary search).
- :func:`wasserstein_sphere`: W_p on S^{d-1} between discrete measures with the geodesic
  (or chordal) cost by exact linear programming (POT ``emd``); O(n m) memory, so meant for
  up to a few thousand points per side.

Angles are in radians and distances in units of the unit sphere's geodesic distance.
"""

from __future__ import annotations

import numpy as np

from .densities import density_values
from .sphere import geodesic_distance
from .validation import angles, choice, fail, finite_float, real_array

__all__ = ["CircleDensity", "w1_circle", "wasserstein_circle", "wasserstein_sphere"]

_TWO_PI = 2 * np.pi


class CircleDensity:
    """A probability density on S^1 given by values on theta_j = 2 pi j / M, piecewise
    constant on the cells [theta_j - pi/M, theta_j + pi/M) (the convention of the mean-field
    solver's grid). The values are normalized to unit mass."""

    def __init__(self, rho) -> None:
        rho = density_values("rho", rho, "pass rho of shape (M,), M >= 2, on the grid 2 pi j / M", min_size=2)
        self.weights = rho / rho.sum()
        self.M = rho.size

    def _knots(self) -> tuple[np.ndarray, np.ndarray]:
        # cell j covers [(j - 1/2) h, (j + 1/2) h); cell 0 wraps around 0, so on [0, 2 pi]
        # the knots are 0, h/2, 3h/2, ..., (M - 1/2) h, 2 pi
        h = _TWO_PI / self.M
        w = self.weights
        knots = np.concatenate([[0.0], (np.arange(self.M) + 0.5) * h, [_TWO_PI]])
        values = np.concatenate([[0.0, 0.5 * w[0]], 0.5 * w[0] + np.cumsum(w[1:]), [1.0]])
        return knots, values

    def cdf(self, t: np.ndarray) -> np.ndarray:
        """F(t) = mass of [0, t] for t in [0, 2 pi] (continuous, piecewise linear)."""
        knots, values = self._knots()
        return np.interp(t, knots, values)

    def breakpoints(self) -> np.ndarray:
        return self._knots()[0]


def _weights(name: str, w, n: int) -> np.ndarray:
    if w is None:
        return np.full(n, 1.0 / n)
    w = real_array(name, w, fix="pass one weight per point, or None for equal weights")
    if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
        raise fail(name, w, f"must be {n} finite non-negative weights with positive sum",
                   "pass one weight per point, or None for equal weights")
    return w / w.sum()


def _order(p) -> float:
    p = finite_float("p", p, fix="pass p=1 or p=2")
    if p < 1:
        raise fail("p", p, "must be >= 1", "pass p=1 or p=2")
    return p


class _Atoms:
    def __init__(self, theta: np.ndarray, w: np.ndarray) -> None:
        order = np.argsort(theta, kind="stable")
        self.theta = theta[order]
        self.cum = np.concatenate([[0.0], np.cumsum(w[order])])

    def right(self, t: np.ndarray) -> np.ndarray:           # mass of [0, t]
        return self.cum[np.searchsorted(self.theta, t, side="right")]

    def left(self, t: np.ndarray) -> np.ndarray:            # mass of [0, t)
        return self.cum[np.searchsorted(self.theta, t, side="left")]

    def breakpoints(self) -> np.ndarray:
        return self.theta


def _as_measure(name: str, a, weights):
    if isinstance(a, CircleDensity):
        if weights is not None:
            raise fail(f"weights_{name[-1]}", weights, "was given with a CircleDensity",
                       "weights apply only to samples")
        return a
    theta = np.mod(angles(name, a), _TWO_PI)
    return _Atoms(theta, _weights(f"weights_{name[-1]}", weights, theta.size))


def _side(m, t: np.ndarray, right: bool) -> np.ndarray:
    if isinstance(m, CircleDensity):
        return m.cdf(t)
    return m.right(t) if right else m.left(t)


def w1_circle(a, b, weights_a=None, weights_b=None) -> float:
    """Exact W_1 on S^1 (geodesic cost) between two measures.

    Parameters
    ----------
    a, b : each either angles (n,), points (n, 2) on S^1, or a :class:`CircleDensity`.
    weights_a, weights_b : optional weights of the samples (normalized here).

    Returns
    -------
    float, in radians: W_1 = min_alpha int_0^{2 pi} |F_a - F_b - alpha| dt.

    Notes
    -----
    F_a - F_b is linear between consecutive breakpoints (atoms and cell edges); the optimal
    alpha is its median under Lebesgue measure, found by bisection on the exact distribution
    function, and each segment's integral of |f - alpha| is evaluated in closed form.
    """
    ma, mb = _as_measure("a", a, weights_a), _as_measure("b", b, weights_b)
    p = np.unique(np.concatenate([[0.0, _TWO_PI], ma.breakpoints(), mb.breakpoints()]))
    lo, hi = p[:-1], p[1:]
    length = hi - lo
    f0 = _side(ma, lo, True) - _side(mb, lo, True)           # just right of the left end
    f1 = _side(ma, hi, False) - _side(mb, hi, False)         # just left of the right end
    fmin, fmax = np.minimum(f0, f1), np.maximum(f0, f1)
    span = fmax - fmin

    def below(alpha: float) -> float:                        # Lebesgue measure of {f < alpha}
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(span > 0, np.clip((alpha - fmin) / span, 0, 1), (fmin < alpha) * 1.0)
        return float(np.dot(length, frac))

    a_lo, a_hi = float(fmin.min()), float(fmax.max())
    for _ in range(200):                                     # bisection to the median
        mid = 0.5 * (a_lo + a_hi)
        if below(mid) < np.pi:
            a_lo = mid
        else:
            a_hi = mid
        if a_hi - a_lo <= 1e-15 * max(1.0, abs(mid)):
            break
    alpha = 0.5 * (a_lo + a_hi)
    u, v = f0 - alpha, f1 - alpha
    same = u * v >= 0
    denom = 2 * (np.abs(u) + np.abs(v))
    cross = np.divide(u * u + v * v, denom, out=np.zeros_like(denom), where=~same)
    integrand = np.where(same, 0.5 * (np.abs(u) + np.abs(v)), cross)
    return float(np.dot(length, integrand))


def wasserstein_circle(a, b, p: float = 2.0, weights_a=None, weights_b=None) -> float:
    """W_p on S^1 (geodesic cost) between discrete measures, via POT's circular solver.

    Parameters
    ----------
    a, b : angles (n,) or points (n, 2) on S^1.
    p : order >= 1 (p = 1 uses the exact median formula, p > 1 a binary search).
    """
    import ot

    p = _order(p)
    ta, tb = np.mod(angles("a", a), _TWO_PI), np.mod(angles("b", b), _TWO_PI)
    wa = _weights("weights_a", weights_a, ta.size)
    wb = _weights("weights_b", weights_b, tb.size)
    loss = ot.wasserstein_circle(ta / _TWO_PI, tb / _TWO_PI, wa, wb, p=p)   # (W_p / 2 pi)^p
    return float(np.asarray(loss).ravel()[0]) ** (1.0 / p) * _TWO_PI


def wasserstein_sphere(x, y, p: float = 2.0, weights_x=None, weights_y=None,
                       cost: str = "geodesic") -> float:
    """W_p on S^{d-1} between discrete measures by exact optimal transport (POT ``emd``).

    Parameters
    ----------
    x : (n, d), y : (m, d) points on the sphere.
    p : order >= 1.
    cost : "geodesic" (arccos <x, y>) or "chordal" (|x - y|).

    Memory is O(n m): meant for n, m up to a few thousand.
    """
    import ot

    fix = "pass two point clouds (n, d) and (m, d) in the same dimension"
    x, y = real_array("x", x, fix=fix, copy=False), real_array("y", y, fix=fix, copy=False)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise fail("x, y", (x.shape, y.shape), "must be (n, d) and (m, d) with the same d",
                   "pass two point clouds in the same dimension")
    p = _order(p)
    cost = choice("cost", cost, ("geodesic", "chordal"))
    if x.shape[0] * y.shape[0] > 5e7:
        raise fail("x, y", (x.shape, y.shape), "would need a cost matrix of more than 5e7 entries",
                   "subsample, or use w1_circle / wasserstein_circle on S^1")
    wx = _weights("weights_x", weights_x, x.shape[0])
    wy = _weights("weights_y", weights_y, y.shape[0])
    if cost == "geodesic":
        c = geodesic_distance(x[:, None, :], y[None, :, :])
    else:
        c = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=-1)
    value = ot.emd2(wx, wy, c**p, numItermax=10_000_000)
    return float(value) ** (1.0 / p)
