"""The Polyak-Lojasiewicz ratio |grad E|^2 / (E_max - E) of [C] Thm 2.3 and a lower bound derived here.

- :func:`energy_gap`: E_max - E without cancellation;
- :func:`pl_ratio`: the ratio in the mean-field (Wasserstein) normalization;
- :func:`pl_lower_bound`: a bound per configuration or on a spherical cap (derived here);
- :func:`cap_points`: random configurations inside a cap (four kinds), for the rows.
"""

from __future__ import annotations

import math

import numpy as np

from ... import sphere
from ...densities import polar_cdf
from ...model import AttentionModel
from ...theory import energy_gradient

__all__ = ["cap_points", "energy_gap", "pl_lower_bound", "pl_ratio"]


def energy_gap(beta: float, x: np.ndarray) -> float:
    """E_max - E = (1/(2 beta N^2)) sum_ij e^beta (1 - e^{-beta |x_i - x_j|^2 / 2}), without cancellation."""
    sq = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    n = x.shape[0]
    return float(math.exp(beta) * np.sum(-np.expm1(-0.5 * beta * sq)) / (2 * beta * n * n))


def pl_ratio(beta: float, x: np.ndarray) -> float:
    """|grad E|^2 / (E_max - E) in the mean-field (Wasserstein) normalization.

    For mu = (1/N) sum delta_{x_i}, |grad_W E|^2 = int |chi[mu]|^2 dmu = (1/N) sum |v_i|^2 with v_i
    the USA velocity, and v_i = N grad_i E for the particle energy of
    :func:`attnflow.theory.energy_gradient`; so the numerator is N sum_i |grad_i E|^2.
    E_max = e^beta/(2 beta) (a Dirac).
    """
    model = AttentionModel(d=x.shape[1], beta=beta, normalization="usa")
    g = energy_gradient(model, x)
    return float(x.shape[0] * np.sum(g * g) / energy_gap(beta, x))


def _kappa(z: float) -> float:
    return 1.0 if z == 0 else math.expm1(z) / z


def pl_lower_bound(beta: float, x: np.ndarray | None = None, alpha: float | None = None) -> float:
    """A lower bound on the PL ratio derived here (not the paper's constant, which was not found).

    For any probability measure mu with mean m = R u (|u| = 1), test the field chi against P_x u:
    int <chi, P_x u> dmu = (1/2) int int e^{beta<x,y>} (1 - <x,y>) (<x,u> + <y,u>) dmu dmu
    >= s int int w z (w = e^{beta<x,y>}, z = 1 - <x,y>, s = min over the support of <x,u>), and
    int |P_x u|^2 dmu <= 2 (1 - R) <= 2 int int w z / (w_min (1 + R)) because int int z = 1 - R^2.
    With E_max - E = (1/(2 beta)) int int w (e^{beta z} - 1) <= (kappa/2) int int w z,
    kappa = (e^{beta z_max} - 1)/(beta z_max), Cauchy-Schwarz gives

        |grad E|^2 / (E_max - E) >= s^2 (1 + R) w_min / kappa,    w_min = e^{beta (1 - z_max)}.

    Per configuration (``x``): s, R, z_max measured. On a cap of angular radius alpha < pi/4
    (``alpha``): s >= cos 2 alpha, R >= cos alpha, z_max <= 1 - cos 2 alpha, so the bound is
    cos^2(2 alpha) (1 + cos alpha) e^{beta cos 2 alpha} / kappa(beta (1 - cos 2 alpha)). At a Dirac
    both tend to 2 e^beta, the exact near-Dirac value of the ratio.
    """
    if x is not None:
        m = x.mean(axis=0)
        R = float(np.linalg.norm(m))
        s = float(np.min(x @ (m / R)))
        zmax = float(np.max(0.5 * np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)))
    else:
        c2 = math.cos(2 * alpha)
        s, R, zmax = c2, math.cos(alpha), 1 - c2
    if s <= 0:
        return 0.0
    return s * s * (1 + R) * math.exp(beta * (1 - zmax)) / _kappa(beta * zmax)


def cap_points(rng: np.random.Generator, d: int, n: int, alpha: float, kind: str) -> np.ndarray:
    """n points in the cap of radius alpha around a random pole."""
    e = sphere.uniform(1, d, seed=rng)[0]
    basis = np.linalg.qr(np.column_stack([e, rng.standard_normal((d, d - 1))]))[0]
    if basis[:, 0] @ e < 0:
        basis = -basis

    def at(theta, direction):
        return np.cos(theta)[:, None] * basis[:, 0] + np.sin(theta)[:, None] * (direction @ basis[:, 1:].T)

    def dirs(k):
        v = rng.standard_normal((k, d - 1))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    if kind == "uniform":
        # uniform in the cap: cos theta uniform-ish in the polar law (rejection-free via polar_cdf)
        u = rng.uniform(0, polar_cdf(alpha, d), n)
        grid = np.linspace(0, alpha, 2001)
        theta = np.interp(u, polar_cdf(grid, d), grid)
        return at(theta, dirs(n))
    if kind == "two-clusters":           # two tight clusters at opposite edges of the cap
        k = int(rng.integers(1, n))
        dvec = dirs(1)
        th = np.concatenate([np.full(k, alpha), np.full(n - k, alpha)]) - rng.uniform(0, 1e-3 * alpha, n)
        dd = np.concatenate([np.repeat(dvec, k, 0), np.repeat(-dvec, n - k, 0)])
        return at(th, dd)
    if kind == "rim":                    # on the boundary circle
        return at(np.full(n, alpha), dirs(n))
    # "clustered": a few random sub-clusters inside the cap
    c = int(rng.integers(2, 5))
    centers = rng.uniform(0, alpha, c)
    cd = dirs(c)
    lab = rng.integers(0, c, n)
    pts = at(centers[lab], cd[lab])
    pts = pts + 0.02 * alpha * rng.standard_normal(pts.shape)
    pts = sphere.retract(pts)
    ok = pts @ e >= math.cos(alpha)
    return pts[ok] if ok.sum() >= 2 else at(centers[lab], cd[lab])

