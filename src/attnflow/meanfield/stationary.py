"""Stationary states of the noisy mean-field equation: self-consistency, branches, stability.

With noise the mean field solves d_t mu = kappa^{-1} Delta mu - div(mu grad Phi[mu]), and its
stationary densities (with respect to the normalized uniform measure sigma) are the solutions of

    f = e^{kappa Phi[f]} / Z,      Z = int e^{kappa Phi[f]} dsigma,

USA: Phi[f] = (1/beta) int e^{beta <., y>} f dsigma(y); SA: Phi[f] = (1/beta) log of the same
integral, so SA states solve f proportional to (e^{beta <., y>} * f)^{kappa/beta}
(docs/theory/noise.md#stationary-states: zero flux is necessary and sufficient). Zonal states
(axisymmetric about a pole, which every branch born from the uniform state at degree 1 is)
reduce to their coefficients c_k in the zonal harmonics P_k, as in
:class:`attnflow.meanfield.ZonalSolver`, whose quadrature, potential Phi and Galerkin Jacobian
are used here: c = G(c, kappa), G the coefficients of e^{kappa Phi[c]} / Z (exact quadrature
of degree 2M - 1), with c_0 = 1.

- :meth:`StationaryStates.solve`: Newton's method for c = G(c, kappa) at one kappa;
- :meth:`StationaryStates.branch`: the branch born at the threshold kappa_#
  (:func:`attnflow.theory.noise_threshold`) followed by pseudo-arclength continuation in
  (c, kappa) (Keller 1977; Allgower-Georg, *Introduction to Numerical Continuation Methods*),
  so it goes around folds: a subcritical branch comes back (kappa < kappa_#), folds at
  :attr:`Branch.fold`, and gains stability there;
- :meth:`StationaryStates.spectrum`: the eigenvalues of the Fokker-Planck operator linearized at
  a state, restricted to zonal perturbations (the Galerkin Jacobian of
  :meth:`ZonalSolver.jacobian` plus the diffusion); a state is stable when they are all < 0
  (the mass mode removed). Non-zonal perturbations are not covered (on S^1: the odd ones, among
  them the neutral rotation).

The order parameter is R = |int x f dsigma| = c_1 / d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..theory.noise import noise_threshold
from ..validation import fail, finite_float, integer
from .zonal import ZonalSolver

__all__ = ["Branch", "StationaryStates"]


@dataclass(eq=False)
class Branch:
    """A branch of stationary states (output of :meth:`StationaryStates.branch`).

    Attributes
    ----------
    kappa : (n,) noise parameters along the branch (arclength order, from kappa_#).
    R : (n,) order parameters |int x f dsigma|.
    coefficients : (n, K + 1) zonal coefficients of the states (c_0 = 1).
    growth : (n,) largest real part of the zonal spectrum (> 0: unstable).
    status : why the continuation ended ("kappa_max", "kappa_min", "R_max", "max_points",
        "under-resolved", "step underflow").
    attrs : beta, d, normalization, K, kappa_threshold.
    """

    kappa: np.ndarray
    R: np.ndarray
    coefficients: np.ndarray
    growth: np.ndarray
    status: str
    attrs: dict = field(default_factory=dict)

    @property
    def stable(self) -> np.ndarray:
        """(n,) bool: the largest zonal eigenvalue is negative (1e-9 allows for rounding)."""
        return self.growth < -1e-9

    @property
    def fold(self) -> float | None:
        """The smallest kappa of the branch if it lies below kappa_# (a subcritical branch's
        turning point, where the clustered states disappear), else None. Refined by a parabola
        through the three points around it."""
        i = int(np.argmin(self.kappa))
        if not self.kappa[i] < self.attrs["kappa_threshold"] * (1 - 1e-9):
            return None
        if 0 < i < self.kappa.size - 1:
            s = np.arange(-1.0, 2.0)
            a, b, c = np.polyfit(s, self.kappa[i - 1:i + 2], 2)
            if a > 0:
                return float(c - b * b / (4 * a))
        return float(self.kappa[i])

    @property
    def subcritical(self) -> bool:
        """True when the branch leaves kappa_# towards smaller kappa (a discontinuous transition)."""
        return bool(self.kappa.size > 1 and self.kappa[1] < self.kappa[0])


class StationaryStates:
    """Zonal stationary states of the noisy mean-field equation at inverse temperature ``beta``.

    Parameters
    ----------
    beta : float, finite (>= 0 for the branch from the uniform state at degree 1; any for
        :meth:`solve`).
    d : int >= 2 (S^{d-1}; d = 2 gives the states of the circle that are even about their centre).
    M : quadrature nodes of the underlying :class:`ZonalSolver`; K: top degree (default (2M-1)//3).
    normalization : "usa" or "sa".
    tail_tol : a state whose top third of coefficients has relative L^2(sigma) size above this
        is under-resolved (the continuation stops there).
    """

    def __init__(self, beta: float, d: int, M: int = 64, normalization: str = "usa", *,
                 K: int | None = None, tail_tol: float = 1e-10):
        self.zonal = ZonalSolver(beta, d, M, normalization, K=K)
        self.beta, self.d, self.K = self.zonal.beta, self.zonal.d, self.zonal.K
        self.normalization = normalization
        self.tail_tol = finite_float("tail_tol", tail_tol, fix="pass e.g. tail_tol=1e-10", positive=True)
        self._w = self.zonal.weights
        self._A = self.zonal.analysis
        k = np.arange(self.K + 1)
        self._top = k >= self.K + 1 - max(1, (self.K + 1) // 3)

    # -- the self-consistency map -------------------------------------------------------
    def density(self, c: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G, dG/dc, dG/dkappa) at (c, kappa): G the coefficients of e^{kappa Phi[c]} / Z."""
        phi, dphi = self.zonal.potential(c)
        e = kappa * phi
        rho = np.exp(e - e.max())
        rho /= self._w @ rho                                          # int rho dsigma = 1
        wr = self._w * rho
        G = self._A @ rho
        centred = dphi - wr @ dphi                                    # dPhi - <dPhi>_rho
        dG = self._A @ (rho[:, None] * kappa * centred)
        dk = self._A @ (rho * (phi - wr @ phi))
        return G, dG, dk

    def _residual(self, u: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """F(u, kappa) = u - G(1 + u)[1:] and its derivatives in u (K x K) and kappa (K,)."""
        c = np.concatenate([[1.0], u])
        G, dG, dk = self.density(c, kappa)
        return u - G[1:], np.eye(self.K) - dG[1:, 1:], -dk[1:]

    def solve(self, kappa: float, c0: np.ndarray, *, tol: float = 1e-12, max_iter: int = 50) -> np.ndarray:
        """The stationary state near ``c0`` at ``kappa`` by Newton's method: coefficients (K + 1,).

        Raises FloatingPointError when Newton does not converge to ``tol`` (max-norm of the update).
        """
        kappa = finite_float("kappa", kappa, fix="pass a positive noise parameter", positive=True)
        c0 = np.asarray(c0, dtype=np.float64)
        if c0.shape != (self.K + 1,):
            raise fail("c0", c0, f"has shape {c0.shape}, expected ({self.K + 1},)", "pass K + 1 coefficients")
        u = c0[1:] / c0[0]
        for _ in range(max_iter):
            F, Ju, _ = self._residual(u, kappa)
            du = np.linalg.solve(Ju, -F)
            u = u + du
            if np.max(np.abs(du)) < tol:
                return np.concatenate([[1.0], u])
        raise FloatingPointError(f"StationaryStates.solve (beta={self.beta:g}, kappa={kappa:g}): Newton did "
                                 f"not converge in {max_iter} iterations. Fix: start closer (a point of "
                                 "a branch), or raise M")

    # -- stability -----------------------------------------------------------------------
    def spectrum(self, c: np.ndarray, kappa: float) -> np.ndarray:
        """Eigenvalues of the zonal linearization at (c, kappa), mass mode removed, sorted by
        decreasing real part: (K,) complex. At the uniform state they are the growth rates
        gamma_k - k(k + d - 2)/kappa, k = 1..K."""
        J = self.zonal.jacobian(np.asarray(c, dtype=np.float64))
        J[np.diag_indices_from(J)] += self.zonal.laplacian / kappa
        ev = np.linalg.eigvals(J[1:, 1:])
        return ev[np.argsort(-ev.real)]

    def order_parameter(self, c: np.ndarray) -> float:
        """R = |int x f dsigma| = |c_1| / d."""
        return abs(float(c[1])) / self.d

    def resolved(self, c: np.ndarray) -> bool:
        """True when the top third of the coefficients is below ``tail_tol`` (relative L^2(sigma))."""
        energy = np.asarray(c) ** 2 * self.zonal.h
        return bool(math.sqrt(energy[self._top].sum() / energy.sum()) <= self.tail_tol)

    # -- continuation ----------------------------------------------------------------------
    def branch(self, kappa_max: float, *, kappa_min: float = 0.0, R_max: float = 0.995, ds: float = 0.02,
               ds_max: float = 0.2, max_points: int = 400, tol: float = 1e-11) -> Branch:
        """The branch born from the uniform state at kappa_# (degree 1, c_1 > 0), by
        pseudo-arclength continuation in (c_1..c_K, kappa) until kappa leaves [kappa_min,
        kappa_max], R exceeds ``R_max``, the states become under-resolved or ``max_points`` points
        are taken. ``ds`` is the first arclength step (adapted: halved when Newton fails, grown
        up to ``ds_max`` when it converges fast)."""
        k0 = noise_threshold(self.beta, self.d, self.normalization)
        kappa_max = finite_float("kappa_max", kappa_max, fix=f"pass a kappa above kappa_# = {k0:.4g}",
                                 positive=True)
        max_points = integer("max_points", max_points, 2, fix="pass e.g. max_points=400")
        K = self.K
        z = np.zeros(K + 1)
        z[K] = k0                                         # z = (u_1..u_K, kappa)
        t = np.zeros(K + 1)
        t[0] = 1.0                                        # the kernel direction P_1 at the pitchfork
        pts = [z.copy()]
        status, h = "max_points", ds
        while len(pts) < max_points:
            z_new, iters = self._correct(z + h * t, t, tol)
            if z_new is None:
                h *= 0.5
                if h < 1e-8:
                    status = "step underflow"
                    break
                continue
            t = self._tangent(z_new, t)
            z = z_new
            c = np.concatenate([[1.0], z[:K]])
            if not self.resolved(c):
                status = "under-resolved"
                break
            pts.append(z.copy())
            if z[K] > kappa_max:
                status = "kappa_max"
                break
            if z[K] < kappa_min:
                status = "kappa_min"
                break
            if self.order_parameter(c) > R_max:
                status = "R_max"
                break
            if iters <= 3:
                h = min(1.5 * h, ds_max)
        Z = np.array(pts)
        coef = np.concatenate([np.ones((Z.shape[0], 1)), Z[:, :K]], axis=1)
        kap = Z[:, K]
        growth = np.array([self.spectrum(c, k)[0].real for c, k in zip(coef, kap, strict=True)])
        attrs = {"beta": self.beta, "d": self.d, "normalization": self.normalization, "K": K,
                 "kappa_threshold": k0}
        return Branch(kap, np.abs(coef[:, 1]) / self.d, coef, growth, status, attrs)

    def _correct(self, zp: np.ndarray, t: np.ndarray, tol: float) -> tuple[np.ndarray | None, int]:
        """Newton on [F(z) = 0, t.(z - zp) = 0] from the predictor zp; (z, iterations) or (None, -)."""
        K = self.K
        z = zp.copy()
        for it in range(1, 16):
            if not z[K] > 0:
                return None, it
            F, Ju, Jk = self._residual(z[:K], z[K])
            J = np.zeros((K + 1, K + 1))
            J[:K, :K], J[:K, K], J[K] = Ju, Jk, t
            rhs = -np.concatenate([F, [t @ (z - zp)]])
            try:
                dz = np.linalg.solve(J, rhs)
            except np.linalg.LinAlgError:
                return None, it
            z = z + dz
            if not np.all(np.isfinite(z)):
                return None, it
            if np.max(np.abs(dz)) < tol:
                return z, it
        return None, 16

    def _tangent(self, z: np.ndarray, t_old: np.ndarray) -> np.ndarray:
        """The unit tangent of the branch at z, oriented along ``t_old``."""
        K = self.K
        _, Ju, Jk = self._residual(z[:K], z[K])
        J = np.zeros((K + 1, K + 1))
        J[:K, :K], J[:K, K], J[K] = Ju, Jk, t_old
        t = np.linalg.solve(J, np.concatenate([np.zeros(K), [1.0]]))
        return t / np.linalg.norm(t)
