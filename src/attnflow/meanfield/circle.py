"""Pseudo-spectral solver of the mean-field equation on the circle S^1.

A probability density rho(theta) (int rho dtheta = 1) evolves by

    d_t rho + d_theta( rho u[rho] ) = kappa^{-1} d_theta^2 rho      (no right side without noise),
    USA: u(theta) = int e^{beta cos(phi - theta)} sin(phi - theta) rho(phi) dphi,
    SA:  u(theta) = USA u(theta) / int e^{beta cos(phi - theta)} rho(phi) dphi

(docs/theory/mean-field.md#the-circle; [B] Bruno, Pasqualotto, Agazzi, arXiv 2410.23228, eq. (USA) on S^1).

With A = V = I the field is a convolution and is computed exactly in Fourier space from
e^{beta cos s} = I_0(beta) + 2 sum_k I_k(beta) cos(k s): writing
rho(theta) = sum_k rho_k e^{i k theta},

    u_k = 2 pi (i k I_k(beta) / beta) rho_k,     Z_k = 2 pi I_k(beta) rho_k  (SA denominator).

General 2 x 2 matrices A, V are handled by trapezoidal quadrature on the grid (spectrally
accurate for smooth periodic integrands, O(M^2) per evaluation). The flux derivative is
spectral, with the 2/3 rule against aliasing; time stepping is classical RK4 of the solver core
(:func:`attnflow.solve.solve` with a :class:`~attnflow.solve.StateStep` controller) with a step
limited by the CFL number and by the fastest linear growth rate, and save times are hit
exactly. Mass is conserved to rounding (the k = 0 mode of a derivative is zero).

Noise (``kappa``): the diffusion is diagonal in Fourier space (-k^2/kappa), so the field is split
(:class:`attnflow.fields.SplitField`) and integrated by the exponential RK4 ``"etdrk4"``
(:mod:`attnflow.solve.exponential`): the diffusion is exact, the step is limited by the
advection alone, small kappa (strong noise) is no stiff trap, and stationary states are fixed
points of the step (docs/theory/noise.md).

Loss of positivity (min rho < -pos_tol max rho) or of resolution (the upper half of the
retained spectrum exceeding tail_tol of the mean) is reported with a
:class:`ResolutionWarning` and the run stops there; the result keeps what was computed and
says so in ``status``. It never continues silently.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fields import DiagonalLinear, FunctionField, SplitField
from ..solve import SaveAt, StateStep, solve
from ..theory.kernels import kernel_coefficients
from ..theory.stability import growth_rates
from ..validation import fail, finite_float, square_matrix

__all__ = ["CircleSolution", "CircleSolver", "ResolutionWarning"]


class ResolutionWarning(UserWarning):
    """A mean-field solve lost positivity or resolution and was stopped."""


@dataclass(eq=False)
class CircleSolution:
    """Output of :meth:`CircleSolver.solve`.

    Attributes
    ----------
    t : (T,) saved times.
    theta : (M,) grid angles 2 pi j / M.
    rho : (T, M) densities at the saved times (int rho dtheta = 1).
    status : "complete", or "under-resolved" / "lost positivity" when the run stopped early.
    attrs : beta, M, normalization, steps taken, ...
    """

    t: np.ndarray
    theta: np.ndarray
    rho: np.ndarray
    status: str = "complete"
    attrs: dict = field(default_factory=dict)

    def fourier(self, K: int) -> np.ndarray:
        """Fourier coefficients rho_hat_k = int e^{-i k theta} rho dtheta, k = 0..K, (T, K + 1).

        With this normalization rho_hat_k equals the particle quantity
        (1/N) sum_j e^{-i k theta_j} of the empirical measure.
        """
        c = np.fft.rfft(self.rho, axis=-1) * (2 * np.pi / self.theta.size)
        return c[:, : K + 1]

    def mass(self) -> np.ndarray:
        """int rho dtheta at each saved time, (T,)."""
        return self.rho.sum(axis=-1) * (2 * np.pi / self.theta.size)

    def to_dataset(self):
        """xarray Dataset with ``rho`` (time, theta) and the solver's attributes."""
        import xarray as xr

        attrs = {k: v for k, v in self.attrs.items() if v is not None}
        attrs["status"] = self.status
        return xr.Dataset({"rho": (("time", "theta"), self.rho)},
                          coords={"time": self.t, "theta": self.theta}, attrs=attrs)

    def save(self, path: str | Path) -> Path:
        """Write to Zarr (a directory), or NetCDF when ``path`` ends in ``.nc``."""
        from ..io import save_dataset

        return save_dataset(self.to_dataset(), path)


class CircleSolver:
    """Mean-field solver for densities on S^1 (see the module docstring for the equations).

    Parameters
    ----------
    beta : float, inverse temperature (finite).
    M : int, number of grid points theta_j = 2 pi j / M (even, >= 8).
    normalization : "usa" or "sa".
    A, V : optional (2, 2) matrices (None = identity). With both None the exact Fourier
        convolution is used; otherwise grid quadrature.
    cfl : Courant number for the automatic step (dt <= cfl * (2 pi / M) / max |u|).
    pos_tol, tail_tol : thresholds of the positivity and resolution checks.
    kappa : None (no noise) or the noise parameter: diffusion kappa^{-1} d_theta^2 rho, the
        mean field of tokens with noise sqrt(2/kappa) dB (``AttentionModel(..., kappa=...)``).
    """

    def __init__(self, beta: float, M: int, normalization: str = "usa", A=None, V=None, *,
                 cfl: float = 0.5, pos_tol: float = 1e-8, tail_tol: float = 1e-8, kappa: float | None = None):
        self.beta = finite_float("beta", beta, fix="pass a finite inverse temperature")
        if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 8 or M % 2:
            raise fail("M", M, "must be an even integer >= 8", "pass e.g. M=256")
        self.M = int(M)
        if normalization not in ("sa", "usa"):
            raise fail("normalization", normalization, "is not known", 'use "sa" or "usa"')
        self.normalization = normalization
        self.A = square_matrix("A", A, 2)
        self.V = square_matrix("V", V, 2)
        self.cfl = finite_float("cfl", cfl, fix="pass e.g. cfl=0.5", positive=True)
        self.pos_tol, self.tail_tol = float(pos_tol), float(tail_tol)
        self.kappa = None if kappa is None else finite_float(
            "kappa", kappa, fix="pass a positive noise parameter, or None for no noise", positive=True)
        self.theta = 2 * np.pi * np.arange(self.M) / self.M
        self.kmax = self.M // 3                       # 2/3 rule: modes k <= M/3 are kept
        k = np.arange(self.M // 2 + 1)
        self._ik = 1j * k
        self._keep = k <= self.kmax
        # I_k(beta) e^{-|beta|} (the Funk-Hecke eigenvalues of S^1, scaled): never overflows
        self._ive = kernel_coefficients(self.beta, 2, self.M // 2, scaled=True)
        self._log_scale = abs(self.beta)
        # Fourier coefficients of G(s) = -e^{beta cos s} sin s, scaled by e^{-|beta|}:
        # G_k = i k I_k(beta) / beta (-> i/2 at k = 1 as beta -> 0)
        if self.beta != 0:
            self._kern = self._ik * self._ive / self.beta
        else:
            self._kern = np.where(k == 1, 0.5j, 0.0)
        self._identity = self.A is None and self.V is None
        self._diffusion = None if self.kappa is None else DiagonalLinear(
            -(k.astype(np.float64) ** 2) / self.kappa, forward=np.fft.rfft,
            inverse=lambda c: np.fft.irfft(c, n=self.M))
        if not self._identity:
            self._x = np.stack([np.cos(self.theta), np.sin(self.theta)], axis=1)
            self._tau = np.stack([-np.sin(self.theta), np.cos(self.theta)], axis=1)

    # -- the field -----------------------------------------------------------------------
    def growth_rates(self) -> np.ndarray:
        """Linear growth rates gamma_k at the uniform density for k = 0..M/2 (A = V = I).

        USA: gamma_k = k^2 I_k(beta) / beta; SA: divided by I_0(beta)
        (docs/theory/linear-stability.md#growth-rates); with noise, minus k^2 / kappa;
        :func:`attnflow.theory.growth_rates` with d = 2. Raises FloatingPointError (naming
        beta and the fix) where the USA rates exceed float64.
        """
        return growth_rates(self.beta, 2, self.M // 2, self.normalization, kappa=self.kappa)

    def velocity(self, rho: np.ndarray) -> np.ndarray:
        """The velocity u(theta_j) of density values ``rho`` (M,) on the grid."""
        if not self._identity:
            return self._velocity_quadrature(rho)
        c = np.fft.rfft(rho) * (2 * np.pi / self.M)                   # c_k = int e^{-ik phi} rho
        u = np.fft.irfft(self._kern * c, n=self.M) * self.M             # sum_k G_k c_k e^{ik theta}
        if self.normalization == "sa":
            return u / (np.fft.irfft(self._ive * c, n=self.M) * self.M)
        scale = math.exp(self._log_scale) if self._log_scale < 709 else math.inf
        out = u * scale
        if not np.all(np.isfinite(out)):
            raise FloatingPointError(f"USA mean-field velocity overflows at beta={self.beta:g}. "
                                     "Fix: use normalization='sa' or a smaller beta")
        return out

    def _velocity_quadrature(self, rho: np.ndarray) -> np.ndarray:
        A = np.eye(2) if self.A is None else self.A
        V = np.eye(2) if self.V is None else self.V
        x = self._x
        s = self.beta * (x @ A.T) @ x.T                                 # (M, M) <A x_i, x_j>
        shift = abs(self.beta) * np.linalg.norm(x @ A.T, axis=1)
        w = np.exp(s - shift[:, None]) * (rho * (2 * np.pi / self.M))[None, :]
        num = w @ (x @ V.T)
        u = np.sum(num * self._tau, axis=1)
        if self.normalization == "sa":
            return u / w.sum(axis=1)
        out = u * np.exp(shift)
        if not np.all(np.isfinite(out)):
            raise FloatingPointError(f"USA mean-field velocity overflows at beta={self.beta:g}. "
                                     "Fix: use normalization='sa' or a smaller beta")
        return out

    @property
    def field(self) -> FunctionField | SplitField:
        """The semi-discrete equation as a field on the grid values (Euclidean, (M,)); with noise
        a :class:`~attnflow.fields.SplitField` (diffusion diagonal in Fourier, advection)."""
        if self._diffusion is None:
            return FunctionField(lambda _t, rho: self.rhs(rho))
        return SplitField(self._diffusion, lambda _t, rho: self.advection(rho))

    def advection(self, rho: np.ndarray) -> np.ndarray:
        """-d_theta(rho u), spectral derivative with the 2/3 rule, (M,)."""
        flux = np.fft.rfft(rho * self.velocity(rho))
        flux *= self._ik
        flux[~self._keep] = 0.0
        return -np.fft.irfft(flux, n=self.M)

    def rhs(self, rho: np.ndarray) -> np.ndarray:
        """d rho / dt = -d_theta(rho u) [+ kappa^{-1} d_theta^2 rho], (M,)."""
        out = self.advection(rho)
        return out if self._diffusion is None else out + self._diffusion.apply(rho)

    # -- the solve -----------------------------------------------------------------------
    def _initial(self, rho0, normalize: bool) -> np.ndarray:
        if callable(rho0):
            rho = np.asarray(rho0(self.theta), dtype=np.float64)
        else:
            rho = np.array(rho0, dtype=np.float64)
        if rho.shape != (self.M,):
            raise fail("rho0", rho, f"has shape {rho.shape}, expected ({self.M},)",
                       "pass values on solver.theta or a callable of theta")
        if not np.all(np.isfinite(rho)):
            raise fail("rho0", rho, "has non-finite values", "pass a finite density")
        mass = rho.sum() * 2 * np.pi / self.M
        if normalize:
            rho /= mass
        elif abs(mass - 1) > 1e-8:
            raise fail("rho0", rho, f"has mass {mass:.10g}, not 1 (int rho dtheta)",
                       "pass normalize=True or divide by the mass")
        c = np.fft.rfft(rho)
        c[~self._keep] = 0.0                           # start inside the de-aliased space
        return np.fft.irfft(c, n=self.M)

    def _check(self, rho: np.ndarray) -> str | None:
        top = rho.max()
        if rho.min() < -self.pos_tol * top:
            return "lost positivity"
        c = np.abs(np.fft.rfft(rho))
        tail = c[self.kmax // 2 + 1: self.kmax + 1].max(initial=0.0)
        if tail > self.tail_tol * c[0]:
            return "under-resolved"
        return None

    def solve(self, rho0: np.ndarray | Callable, t1: float, save_at=None, *, dt: float | None = None,
              normalize: bool = False) -> CircleSolution:
        """Evolve ``rho0`` from t = 0 to ``t1``.

        Parameters
        ----------
        rho0 : (M,) density values on ``self.theta`` or a callable of theta.
        t1 : final time (> 0).
        save_at : times in [0, t1] to save (default 101 equally spaced times).
        dt : fixed step; None chooses it from the CFL number and the growth rates each step.
        normalize : rescale rho0 to unit mass instead of rejecting it.
        """
        t1 = finite_float("t1", t1, fix="pass a positive final time", positive=True)
        saves = np.linspace(0, t1, 101) if save_at is None else np.asarray(save_at, dtype=float)
        if saves.ndim != 1 or saves.size == 0 or saves.min() < 0 or saves.max() > t1 \
                or np.any(np.diff(saves) <= 0):
            raise fail("save_at", saves, f"must be increasing times within [0, {t1:g}]",
                       "pass e.g. numpy.linspace(0, t1, 11)")
        if dt is not None:
            dt = finite_float("dt", dt, fix="pass a positive step or None", positive=True)
        rho = self._initial(rho0, normalize)
        # the transport's own rates (without the diffusion, which the exponential scheme takes exactly)
        rates = growth_rates(self.beta, 2, self.kmax, self.normalization) if self._identity else None
        rate_max = float(np.max(rates)) if rates is not None else None
        dx = 2 * np.pi / self.M

        def step_size(_t: float, y: np.ndarray) -> float:
            if dt is not None:
                return dt
            umax = np.abs(self.velocity(y)).max()
            h = self.cfl * dx / umax if umax > 0 else t1
            return min(h, 0.05 / rate_max) if rate_max and rate_max > 0 else h

        stopped_at: list[float] = []

        def stop(t: float, y: np.ndarray) -> str | None:
            problem = self._check(y)
            if problem is not None:
                stopped_at.append(t)
            return problem

        traj = solve(self.field, rho, 0.0, t1, solver="rk4" if self.kappa is None else "etdrk4",
                     stepsize=StateStep(step_size), saveat=SaveAt(saves), stop=stop)
        status, t = traj.status, (stopped_at[0] if stopped_at else traj.final.t)
        if stopped_at:
            warnings.warn(f"CircleSolver stopped at t={t:.6g}: the density {status} "
                          f"(M={self.M}). Fix: increase M, or stop before the density concentrates "
                          "into Dirac masses", ResolutionWarning, stacklevel=2)
        steps = traj.stats["n_steps"]
        out_t, out_rho = traj.ts, traj.ys
        attrs = {"beta": self.beta, "M": self.M, "normalization": self.normalization,
                 "identity": int(self._identity), "steps": steps, "t_end": t, "kappa": self.kappa}
        return CircleSolution(out_t, self.theta.copy(), out_rho, status, attrs)
