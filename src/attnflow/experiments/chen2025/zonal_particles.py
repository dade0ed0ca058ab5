"""A Lagrangian mean-field solver for zonal measures: :class:`ZonalParticles` and :func:`ring_cells`.

Weighted rings (S^{d-1}, d >= 3) or symmetric atom pairs (S^1) are exact measure-valued
solutions of the USA continuity equation with A = V = I; :func:`ring_cells` discretizes a zonal
density into such rings on a grid refined near the antipode of the pole.
"""

from __future__ import annotations

import numpy as np

from ...densities import polar_cdf
from ...fields import FunctionField
from ...solve import ConstantStep, SaveAt, solve
from ...theory import harmonic_norms, kernel_coefficients, zonal_harmonics_and_derivatives

__all__ = ["ZonalParticles", "ring_cells"]


class ZonalParticles:
    """Exact USA mean-field dynamics of zonal (axisymmetric) weighted atomic measures.

    A zonal measure on S^{d-1} (d >= 3) made of rings {x : <x, e> = cos phi_j} with masses w_j,
    or on S^1 (d = 2) of symmetric atom pairs at +-phi_j, is transported by the mean-field
    field (docs/theory/zonal-solver.md#weighted-rings) as a whole: each ring moves along the meridians with
    the polar velocity

        u(phi) = (1/beta) dU/dphi = -(sin phi / beta) sum_k lambda_k N_k c_k P_k'(cos phi),
        c_k = sum_j w_j P_k(cos phi_j),

    from e^{beta <x, y>} = sum_k lambda_k N_k P_k(<x, y>) (Funk-Hecke eigenvalues lambda_k,
    N_k = 1/h_k harmonics of degree k) and the addition theorem (the ring average of
    P_k(<x, y>) is P_k(cos phi) P_k(cos phi_j)). So a weighted ring measure is an exact
    (measure-valued) solution of the continuity equation, and rings placed on a grid that is
    refined near the poles resolve tails of the density that no fixed grid can (derived here;
    the velocity was checked against the closed form e^{beta cos phi cos phi_j}
    [cos phi sin phi_j I_1(b) - sin phi cos phi_j I_0(b)], b = beta sin phi sin phi_j, d = 3,
    to 3e-16). The sum is truncated where lambda_k N_k k^2 falls below 1e-17 of its largest
    value. Cost O(n K) per evaluation.
    """

    def __init__(self, beta: float, d: int, K_max: int = 400):
        self.beta, self.d = float(beta), int(d)
        lam = kernel_coefficients(self.beta, self.d, K_max)
        nk = 1.0 / harmonic_norms(K_max, self.d)
        size = np.abs(lam * nk) * np.arange(K_max + 1) ** 2
        rel = size / size[1:].max()
        small = np.flatnonzero((rel < 1e-17) & (np.arange(K_max + 1) >= 2))
        self.K = int(small[0]) if small.size else K_max
        self.coef = (lam * nk)[: self.K + 1] / self.beta

    def velocity(self, phi: np.ndarray, w: np.ndarray) -> np.ndarray:
        P, dP = zonal_harmonics_and_derivatives(np.cos(phi), self.K, self.d)
        c = w @ P
        return -np.sin(phi) * (dP @ (self.coef * c))

    def solve(self, phi0: np.ndarray, w: np.ndarray, t1: float, dt: float, save_at: np.ndarray
              ) -> np.ndarray:
        """RK4 with fixed step ``dt`` (save times hit exactly); returns phi at ``save_at``, (T, n)."""
        field = FunctionField(lambda _t, phi: self.velocity(phi, w))
        saves = np.asarray(save_at, dtype=float)
        traj = solve(field, np.array(phi0, dtype=float), 0.0, t1, solver="rk4",
                     stepsize=ConstantStep(dt), saveat=SaveAt(saves))
        return traj.ys


def ring_cells(f, d: int, n_mid: int, n_geo: int, s_geo: float = 0.05, s_min: float = 1e-12,
                uniform_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Ring positions and masses discretizing the zonal density f (relative to sigma).

    Cells: n_mid equal cells on [0, pi - s_geo] and n_geo geometric cells from s_geo down to
    s_min at the antipode phi = pi; each ring sits at its cell's midpoint with mass
    f(mid) sigma(cell) (normalized). sigma of a cell near pi is computed from the antipodal cap
    (polar_cdf(pi - phi)), which keeps the tiny cells' masses exact.
    """
    if uniform_only:
        edges = np.linspace(0.0, np.pi, n_mid + 1)
    else:
        near = np.pi - np.geomspace(s_geo, s_min, n_geo)
        edges = np.concatenate([np.linspace(0.0, np.pi - s_geo, n_mid + 1), near[1:], [np.pi]])
    lo, hi = edges[:-1], edges[1:]
    mid = 0.5 * (lo + hi)
    north = mid < 0.5 * np.pi
    area = np.where(north, polar_cdf(hi, d) - polar_cdf(lo, d),
                    polar_cdf(np.pi - lo, d) - polar_cdf(np.pi - hi, d))
    mass = np.clip(np.asarray(f(mid), dtype=float), 0.0, None) * area
    keep = mass > 0
    return mid[keep], mass[keep] / mass[keep].sum()
