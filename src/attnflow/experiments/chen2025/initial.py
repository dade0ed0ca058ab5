"""Initial data of the [C] rows: zonal densities, their grid values and deterministic point sets.

Densities are relative to the uniform measure sigma and functions of the polar angle phi to the
pole e (on S^1: of |theta|).
"""

from __future__ import annotations

import math

import numpy as np

from ...densities import polar_cdf

__all__ = ["arc_density", "circle_grid_density", "f_cap", "f_full", "quantile_sphere", "wrapped_gaussian"]

_GOLDEN = math.pi * (3.0 - math.sqrt(5.0))


def f_full(phi):
    """A smooth L^2 density positive everywhere (R_0 > 0 towards the pole e)."""
    return 1.0 + 0.6 * np.cos(phi) + 0.3 * np.cos(2 * phi)


def f_cap(phi):
    """An L^2 density vanishing on the cap of radius pi/4 around the antipode -e."""
    return np.clip(np.cos(phi) - math.cos(0.75 * math.pi), 0.0, None) ** 2


def wrapped_gaussian(theta: np.ndarray, mu: float, s: float) -> np.ndarray:
    """The density (w.r.t. dtheta) of N(mu, s^2) wrapped onto the circle (13 images)."""
    k = np.arange(-6, 7)
    z = (theta[:, None] - mu + 2 * np.pi * k[None, :]) / s
    return np.exp(-0.5 * z**2).sum(axis=1) / (s * math.sqrt(2 * math.pi))


def arc_density(p: float, a: float):
    """Even circle density (relative to sigma = dtheta/2pi): mass p in a cos^2 bump of half-width a
    at theta = 0, mass 1 - p at theta = pi."""
    def f(phi):
        phi = np.asarray(phi, dtype=float)
        s = np.pi - phi
        b1 = np.where(phi < a, np.cos(0.5 * np.pi * phi / a) ** 2, 0.0)
        b2 = np.where(s < a, np.cos(0.5 * np.pi * s / a) ** 2, 0.0)
        return 2 * np.pi * (p * b1 + (1 - p) * b2) / a
    return f


def circle_grid_density(f, M: int) -> np.ndarray:
    """rho(theta) on 2 pi j / M for the even circle density f(|theta|) (f relative to sigma)."""
    th = 2 * np.pi * np.arange(M) / M
    rho = np.asarray(f(np.minimum(th, 2 * np.pi - th)), dtype=float)
    return rho / (rho.sum() * 2 * np.pi / M)


def quantile_sphere(f, n: int) -> np.ndarray:
    """n deterministic points on S^2 with zonal density f (about e_3): polar angles at the
    quantiles (j + 1/2)/n of the polar law, azimuths j * golden angle (a spherical Fibonacci
    lattice reweighted by f)."""
    edges = np.linspace(0.0, np.pi, 20001)
    mid = 0.5 * (edges[1:] + edges[:-1])
    cdf = np.concatenate([[0.0], np.cumsum(f(mid) * np.diff(polar_cdf(edges, 3)))])
    cdf /= cdf[-1]
    phi = np.interp((np.arange(n) + 0.5) / n, cdf, edges)
    psi = _GOLDEN * np.arange(n)
    return np.stack([np.sin(phi) * np.cos(psi), np.sin(phi) * np.sin(psi), np.cos(phi)], axis=1)
