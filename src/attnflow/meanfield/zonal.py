"""Spectral solver of the mean-field equation for axisymmetric (zonal) densities on S^{d-1}.

A probability measure mu = f sigma on S^{d-1} (d >= 2) that depends only on the polar angle
phi in [0, pi] from a pole e (t = cos phi = <x, e>) stays zonal under the mean-field flow
with A = V = I (docs/theory/zonal-solver.md#zonal-reduction; [GLPR] arXiv 2312.10794; [C] arXiv 2504.14697):

    d_t f + (1 / sin^{d-2} phi) d_phi( sin^{d-2}(phi) f u_phi ) = 0,
    USA: u_phi = (1 / beta) dU/dphi,    SA: u_phi = (1 / beta) (dU/dphi) / U,
    U(x) = int e^{beta <x, y>} f(y) dsigma(y),

because X[mu](x) = P_x int e^{beta <x, y>} y dmu(y) = (1 / beta) grad_sphere U(x).

**Density convention.** ``f`` is the density with respect to the *normalized* uniform measure
sigma (sigma(S^{d-1}) = 1), so ``f = 1`` is the uniform law and int f dsigma = 1. The law of
the polar angle is then f(phi) w_d(phi) dphi with w_d(phi) = sin^{d-2}(phi) / int_0^pi
sin^{d-2}. For d = 2, sigma = dtheta / (2 pi) and the circle density of
:class:`attnflow.meanfield.CircleSolver` is rho(theta) = f(|theta|) / (2 pi) (only densities
even in theta are zonal).

**Method.** f is expanded in the zonal harmonics

    P_k(t) = C_k^{nu}(t) / C_k^{nu}(1),  nu = (d - 2) / 2   (d = 2: P_k(cos phi) = cos(k phi)),

orthogonal in L^2(sigma) with int P_k^2 dsigma = h_k = 1 / N(d, k), N(d, k) the dimension of
the degree-k spherical harmonics. By Funk-Hecke (docs/theory/linear-stability.md#funk-hecke-eigenvalues)
the potential has the
exact coefficients U_k = lambda_k f_k,

    lambda_k = Gamma(d/2) (2/beta)^{d/2-1} I_{k+d/2-1}(beta)      (d = 2: I_k(beta)).

In t the equation reads d_t f = -(1/beta) L(f U'(t) [/ U]) with
L g = (1 - t^2) g' - (d - 1) t g, the negative adjoint of d/dt in L^2((1 - t^2) dsigma).
The Galerkin projection onto degree <= K is therefore

    d f_k / dt = (1 / (beta h_k)) int f U' [/ U] P_k' (1 - t^2) dsigma,

evaluated with M-point Gauss-Jacobi quadrature in t (alpha = beta_J = (d - 3) / 2), exact
for USA when 3K <= 2M - 1 (the default K = (2M - 1) // 3: the "3/2 rule" de-aliasing). This
projection conserves the mass f_0 exactly (P_0' = 0) and, for USA, makes the semi-discrete
energy E = (1/(2 beta)) sum_k lambda_k f_k^2 h_k non-decreasing, as for the PDE.
At the uniform state a degree-k perturbation grows at gamma_k = k(k + d - 2) lambda_k / beta
(USA), divided by lambda_0 for SA (docs/theory/linear-stability.md#growth-rates). Time stepping is
classical RK4 of the solver
core (:func:`attnflow.solve.solve`, :class:`~attnflow.solve.StateStep`) with a step
limited by a CFL number, the divergence of the field and the fastest linear rate; save times
are hit exactly.

Noise (``kappa``): d_t f gains kappa^{-1} Delta f, diagonal in the zonal harmonics
(-k(k + d - 2)/kappa), so the Galerkin system is a split field (:class:`attnflow.fields.SplitField`)
integrated by the exponential RK4 ``"etdrk4"`` (:mod:`attnflow.solve.exponential`): the
diffusion is exact, the step is limited by the advection alone and stationary states are fixed
points of the step (docs/theory/noise.md).
Mass stays exact (k = 0 has no diffusion).

Loss of positivity (min f < -pos_tol max f on the nodes) or of resolution (the L^2(sigma)
norm of the top third of the retained coefficients exceeding tail_tol times the norm of f)
is reported with a :class:`ResolutionWarning` and the run stops there; the result keeps the
frames saved so far and says so in ``status``. It never continues silently.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy.special import roots_jacobi

from ..fields import DiagonalLinear, FunctionField, SplitField
from ..solve import SaveAt, StateStep, solve
from ..theory.kernels import (
    LOG_MAX,
    harmonic_norms,
    kernel_coefficients,
    zonal_harmonics,
    zonal_harmonics_and_derivatives,
)
from ..theory.kernels import kernel_coefficients as funk_hecke_eigenvalues
from ..theory.stability import growth_rates as zonal_growth_rates
from ..validation import fail, finite_float, integer
from .circle import ResolutionWarning
from .zonal_solution import ZonalSolution

__all__ = [
    "ResolutionWarning",
    "ZonalSolver",
    "funk_hecke_eigenvalues",
    "harmonic_norms",
    "zonal_growth_rates",
    "zonal_harmonics",
]

# -- the solver ------------------------------------------------------------------------------
class ZonalSolver:
    """Mean-field solver for zonal densities on S^{d-1} (equations in the module docstring).

    Parameters
    ----------
    beta : float, inverse temperature (finite; 0 and negative values allowed).
    d : int >= 2, ambient dimension (the sphere is S^{d-1}).
    M : int >= 4, number of Gauss-Jacobi nodes in t = cos phi.
    normalization : "usa" or "sa".
    K : top retained degree; default (2M - 1) // 3 (exact de-aliasing for USA).
    cfl : Courant number of the automatic step, dt <= cfl * min dphi / max |u_phi|.
    pos_tol, tail_tol : thresholds of the positivity and resolution checks (defaults 1e-8).
    kappa : None (no noise) or the noise parameter: diffusion kappa^{-1} Delta f, the mean field
        of tokens with noise sqrt(2/kappa) dB (``AttentionModel(..., kappa=...)``).

    Attributes
    ----------
    phi, t_nodes, weights : (M,) node angles (increasing), cosines and sigma-weights.

    Examples
    --------
    >>> s = ZonalSolver(beta=1.0, d=3, M=32)
    >>> sol = s.solve(lambda phi: 1 + 0.5 * np.cos(phi), 0.5, [0, 0.5])
    >>> bool(abs(sol.mass()[-1] - 1) < 1e-12)
    True
    """

    def __init__(self, beta: float, d: int, M: int, normalization: str = "usa", *, K: int | None = None,
                 cfl: float = 0.5, pos_tol: float = 1e-8, tail_tol: float = 1e-8, kappa: float | None = None):
        self.beta = finite_float("beta", beta, fix="pass a finite inverse temperature")
        self.d = integer("d", d, 2, fix="pass the ambient dimension (S^{d-1} lives in R^d)")
        self.M = integer("M", M, 4, fix="pass the number of quadrature nodes, e.g. M=64")
        if normalization not in ("sa", "usa"):
            raise fail("normalization", normalization, "is not known", 'use "sa" or "usa"')
        self.normalization = normalization
        kmax = (2 * self.M - 1) // 3
        if K is None:
            K = kmax
        self.K = integer("K", K, 1, fix=f"pass a top degree in [1, {self.M - 1}], default {kmax}")
        if self.K > self.M - 1:
            raise fail("K", K, f"exceeds M - 1 = {self.M - 1}: the transform would not be exact",
                       f"pass K <= {kmax} (de-aliased) or increase M")
        self.cfl = finite_float("cfl", cfl, fix="pass e.g. cfl=0.5", positive=True)
        self.pos_tol = finite_float("pos_tol", pos_tol, fix="pass e.g. pos_tol=1e-8", positive=True)
        self.tail_tol = finite_float("tail_tol", tail_tol, fix="pass e.g. tail_tol=1e-8", positive=True)
        self.kappa = None if kappa is None else finite_float(
            "kappa", kappa, fix="pass a positive noise parameter, or None for no noise", positive=True)
        if self.normalization == "usa" and abs(self.beta) > LOG_MAX:
            raise fail("beta", beta, "overflows the USA field e^{|beta|} in float64",
                       'use normalization="sa" or |beta| < 700')

        a = (self.d - 3) / 2
        x, w = roots_jacobi(self.M, a, a)
        order = np.argsort(-x)                        # phi increasing
        self.t_nodes = np.ascontiguousarray(x[order])
        self.weights = np.ascontiguousarray(w[order] / w.sum())
        self.phi = np.arccos(np.clip(self.t_nodes, -1.0, 1.0))
        P, dP = zonal_harmonics_and_derivatives(self.t_nodes, self.K, self.d)
        self._P, self._dP = P, dP
        self.h = harmonic_norms(self.K, self.d)
        self._sin = np.sqrt(np.clip(1 - self.t_nodes**2, 0.0, None))
        # analysis: c_k = (1/h_k) sum_j w_j f_j P_k(t_j)
        self._analysis = (P * self.weights[:, None]).T / self.h[:, None]
        # Galerkin flux: df_k/dt = (1/(beta h_k)) sum_j w_j (1 - t_j^2) g_j P_k'(t_j)
        self._flux = (dP * (self.weights * self._sin**2)[:, None]).T / self.h[:, None]
        k = np.arange(self.K + 1)
        if self.beta == 0:
            self._lam = (k == 0).astype(np.float64)                      # U = f_0
            self._lam_over_beta = np.where(k == 1, 1.0 / self.d, 0.0)    # limit lambda_k / beta
        else:
            lam = kernel_coefficients(self.beta, self.d, self.K, scaled=True)
            scale = 1.0 if self.normalization == "sa" else math.exp(abs(self.beta))
            self._lam = lam * scale            # SA: the factor e^{|beta|} cancels in U'/U
            self._lam_over_beta = self._lam / self.beta
        self._lap = k * (k + self.d - 2)
        self._diffusion = None if self.kappa is None else DiagonalLinear(-self._lap / self.kappa)
        self._top = k >= self.K + 1 - max(1, (self.K + 1) // 3)
        self._dphi = float(np.min(np.diff(np.concatenate([[0.0], self.phi, [np.pi]]))))

    def __repr__(self) -> str:
        noise = "" if self.kappa is None else f", kappa={self.kappa:g}"
        return (f"ZonalSolver(beta={self.beta:g}, d={self.d}, M={self.M}, K={self.K}, "
                f"normalization={self.normalization!r}{noise})")

    # -- spectral helpers ----------------------------------------------------------------------
    def growth_rates(self) -> np.ndarray:
        """Linear rates gamma_k at the uniform density, k = 0..K (see :func:`zonal_growth_rates`;
        with noise, minus k(k + d - 2)/kappa)."""
        return zonal_growth_rates(self.beta, self.d, self.K, self.normalization, kappa=self.kappa)

    def eigenvalues(self) -> np.ndarray:
        """lambda_k, k = 0..K (:func:`funk_hecke_eigenvalues`)."""
        return funk_hecke_eigenvalues(self.beta, self.d, self.K)

    def coefficients(self, f) -> np.ndarray:
        """Coefficients f_k (K + 1,) of nodal values (M,) or of a callable of phi."""
        return self._analysis @ self._nodal(f, "f")

    def synthesize(self, c) -> np.ndarray:
        """Nodal values (M,) of the expansion with coefficients ``c`` (K + 1,)."""
        c = np.asarray(c, dtype=np.float64)
        if c.shape != (self.K + 1,):
            raise fail("c", c, f"has shape {c.shape}, expected ({self.K + 1},)", "pass K + 1 coefficients")
        return self._P @ c

    @property
    def analysis(self) -> np.ndarray:
        """(K + 1, M): coefficients = analysis @ nodal values (exact for degree <= K)."""
        return self._analysis

    @property
    def laplacian(self) -> np.ndarray:
        """(K + 1,): the eigenvalues -k(k + d - 2) of the Laplacian on the zonal harmonics."""
        return -self._lap.astype(np.float64)

    def potential(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Phi at the nodes (M,), up to a constant, and dPhi/dc (M, K + 1): the drift is grad Phi.

        USA: Phi = (1/beta) int e^{beta <x, y>} f dsigma(y) = sum_k (lambda_k / beta) c_k P_k;
        SA: Phi = (1/beta) log int e^{beta <x, y>} f dsigma(y); both tend to <x, m> (the mean m)
        as beta -> 0 (docs/theory/noise.md#stationary-states). The constant k = 0 term is dropped.
        """
        ell = self._lam_over_beta.copy()
        ell[0] = 0.0
        if self.normalization == "usa" or self.beta == 0:
            D = self._P * ell
            return D @ c, D
        U = self._P @ (self._lam * c)
        return np.log(U) / self.beta, (self._P * self._lam) / (self.beta * U[:, None])

    def jacobian(self, c: np.ndarray) -> np.ndarray:
        """d rhs / dc at coefficients ``c``, (K + 1, K + 1): the Galerkin linearization (with the
        diffusion when ``kappa`` is set). At the uniform state it is diag(growth rates)."""
        f, g = self._field(c)
        Dg = self._dP * self._lam_over_beta                        # dg/dc for USA
        if self.normalization == "sa":
            U = self._P @ (self._lam * c)
            Dg = Dg / U[:, None] - (g / U)[:, None] * (self._P * self._lam)
        J = self._flux @ (g[:, None] * self._P + f[:, None] * Dg)
        if self._diffusion is not None:
            J[np.diag_indices_from(J)] += self._diffusion.diagonal
        return J

    def _nodal(self, f, name: str) -> np.ndarray:
        if callable(f):
            try:
                vals = np.asarray(f(self.phi.copy()), dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise fail(name, f, f"could not be evaluated on the nodes ({err})",
                           "pass a vectorized callable of phi returning an (M,) array") from None
            if vals.shape == ():
                vals = np.full(self.M, float(vals))
        else:
            try:
                vals = np.array(f, dtype=np.float64)
            except (TypeError, ValueError):
                raise fail(name, f, "is not a numeric array",
                           f"pass ({self.M},) values on solver.phi or a callable of phi") from None
        if vals.shape != (self.M,):
            raise fail(name, vals, f"has shape {vals.shape}, expected ({self.M},)",
                       "pass values on solver.phi or a vectorized callable of phi")
        if not np.all(np.isfinite(vals)):
            raise fail(name, vals, "has non-finite values", "pass a finite density")
        return vals

    def _field(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f, g) at the nodes, g = U'(t) / beta (USA) or U'(t) / (beta U) (SA)."""
        f = self._P @ c
        g = self._dP @ (self._lam_over_beta * c)
        if self.normalization == "sa":
            g = g / (self._P @ (self._lam * c))
        return f, g

    def velocity(self, f) -> np.ndarray:
        """Polar velocity u_phi at the nodes for the density ``f`` (nodal values or callable of phi).

        u_phi = (1/beta) dU/dphi = -(1/beta) sin(phi) U'(t) (USA), divided by U for SA; the
        density is first projected onto degree <= K. Shape (M,).
        """
        _, g = self._field(self.coefficients(f))
        return -self._sin * g

    @property
    def field(self) -> FunctionField | SplitField:
        """The Galerkin system as a field on the coefficients (Euclidean, (K + 1,)); with noise a
        :class:`~attnflow.fields.SplitField` (diffusion diagonal in the coefficients, advection)."""
        if self._diffusion is None:
            return FunctionField(lambda _t, c: self.rhs(c))
        return SplitField(self._diffusion, lambda _t, c: self.advection(c))

    def advection(self, c: np.ndarray) -> np.ndarray:
        """The transport part -div(f X[f]) of d f_k / dt, (K + 1,)."""
        f, g = self._field(c)
        return self._flux @ (f * g)

    def rhs(self, c: np.ndarray) -> np.ndarray:
        """d f_k / dt of the Galerkin system (transport [+ kappa^{-1} Delta f]), (K + 1,)."""
        out = self.advection(c)
        return out if self._diffusion is None else out + self._diffusion.apply(c)

    def energy(self, c) -> float:
        """(1/(2 beta)) sum_k lambda_k c_k^2 h_k for coefficients ``c`` (K + 1,)."""
        if self.beta == 0:
            raise fail("beta", 0.0, "makes the energy infinite", "use a non-zero beta")
        c = np.asarray(c, dtype=np.float64)
        return float((c**2 @ (self.eigenvalues() * self.h)) / (2 * self.beta))

    # -- the solve -----------------------------------------------------------------------------
    def _check(self, c: np.ndarray) -> tuple[str, str] | None:
        f = self._P @ c
        top = f.max()
        if f.min() < -self.pos_tol * top:
            return ("lost positivity",
                    f"min f = {f.min():.3g} < -{self.pos_tol:g} max f (max f = {top:.3g})")
        energy = c**2 * self.h
        tail = math.sqrt(energy[self._top].sum() / energy.sum())
        if not math.isfinite(tail) or tail > self.tail_tol:
            return ("under-resolved",
                    f"the top third of the coefficients (k >= {int(np.argmax(self._top))}) has "
                    f"relative L2 size {tail:.3g} > {self.tail_tol:g}")
        return None

    def _step_size(self, c: np.ndarray, rate_max: float) -> float:
        f, g = self._field(c)
        umax = float(np.max(np.abs(self._sin * g)))
        # divergence of the field: -(1/beta) Lap U / ... ; bounded via the spectral Laplacian
        if self.normalization == "usa":
            div = float(np.max(np.abs(self._P @ (self._lap * self._lam_over_beta * c))))
        else:
            U = self._P @ (self._lam * c)
            lapu = self._P @ (self._lap * self._lam_over_beta * c)
            div = float(np.max(np.abs(lapu / U))) + abs(self.beta) * float(np.max((self._sin * g) ** 2))
        fmax = max(float(np.max(np.abs(f))), 1.0)
        h = math.inf
        if umax > 0:
            h = min(h, self.cfl * self._dphi / umax)
        if div > 0:
            h = min(h, self.cfl / div)
        if rate_max > 0:
            h = min(h, 0.05 / (rate_max * fmax))
        return h

    def solve(self, f0: np.ndarray | Callable, t1: float, save_at=None, *, dt: float | None = None,
              normalize: bool = False) -> ZonalSolution:
        """Evolve the zonal density ``f0`` from t = 0 to ``t1``.

        Parameters
        ----------
        f0 : (M,) density values on ``self.phi`` (relative to sigma: f = 1 is uniform), or a
            vectorized callable of the polar angle phi in [0, pi] (to start from a function of
            t = cos phi, pass ``lambda phi: g(np.cos(phi))``). It is projected onto degree <= K.
        t1 : final time (> 0).
        save_at : increasing times in [0, t1] to save (default 101 equally spaced times).
            The run ends at the last save time.
        dt : fixed step; None chooses it each step from the CFL number, the divergence of the
            field and the fastest linear growth rate (steps shrink to hit save times exactly).
        normalize : rescale f0 to unit mass (int f dsigma = 1) instead of rejecting it.

        Returns
        -------
        ZonalSolution; on loss of positivity or resolution a :class:`ResolutionWarning` is
        issued, the run stops and ``status`` says why.
        """
        t1 = finite_float("t1", t1, fix="pass a positive final time", positive=True)
        if save_at is None:
            saves = np.linspace(0, t1, 101)
        else:
            try:
                saves = np.atleast_1d(np.asarray(save_at, dtype=np.float64))
            except (TypeError, ValueError):
                raise fail("save_at", save_at, "is not a numeric array",
                           "pass e.g. numpy.linspace(0, t1, 11)") from None
        if saves.ndim != 1 or saves.size == 0 or not np.all(np.isfinite(saves)) or saves.min() < 0 \
                or saves.max() > t1 or np.any(np.diff(saves) <= 0):
            raise fail("save_at", saves, f"must be increasing times within [0, {t1:g}]",
                       "pass e.g. numpy.linspace(0, t1, 11)")
        if dt is not None:
            dt = finite_float("dt", dt, fix="pass a positive step or None", positive=True)
        vals = self._nodal(f0, "f0")
        c = self._analysis @ vals
        mass = float(c[0])
        if normalize:
            if not mass > 0:
                raise fail("f0", vals, f"has mass {mass:.6g} <= 0", "pass a non-negative density")
            c /= mass
        elif abs(mass - 1) > 1e-8:
            raise fail("f0", vals, f"has mass {mass:.10g}, not 1 (int f dsigma, f = 1 is uniform)",
                       "pass normalize=True or divide by the mass")
        # the transport's own rates (without the diffusion, which the exponential scheme takes exactly)
        rates = zonal_growth_rates(self.beta, self.d, self.K, self.normalization) if dt is None else None
        rate_max = float(np.max(rates)) if rates is not None else 0.0
        if (self.normalization == "usa" and not math.isfinite(rate_max)) or rate_max < 0:
            rate_max = 0.0

        status, message, steps, t = "complete", "", 0, 0.0
        problem = self._check(c)
        out_t, out_c = np.empty(0), np.empty((0, self.K + 1))
        if problem is None:
            stopped: list[tuple[float, tuple[str, str]]] = []

            def step_size(_t: float, y: np.ndarray) -> float:
                return self._step_size(y, rate_max) if dt is None else dt

            def stop(t: float, y: np.ndarray) -> str | None:
                found = self._check(y)
                if found is not None:
                    stopped.append((t, found))
                    return found[0]
                return None

            traj = solve(self.field, c, 0.0, t1, solver="rk4" if self.kappa is None else "etdrk4",
                         stepsize=StateStep(step_size, split_slivers=True), saveat=SaveAt(saves), stop=stop)
            out_t, out_c, steps = traj.ts, traj.ys, traj.stats["n_steps"]
            t, problem = stopped[0] if stopped else (traj.final.t, None)
        if problem is not None:
            status, why = problem
            message = f"stopped at t={t:.6g}: {why}"
            warnings.warn(f"ZonalSolver (d={self.d}, beta={self.beta:g}, M={self.M}, K={self.K}) "
                          f"{message}. Fix: increase M, or stop before the density concentrates "
                          "into a Dirac mass", ResolutionWarning, stacklevel=2)
        coef = np.asarray(out_c, dtype=np.float64).reshape(-1, self.K + 1)
        attrs = {"beta": self.beta, "d": self.d, "M": self.M, "K": self.K,
                 "normalization": self.normalization, "steps": steps, "t_end": t, "kappa": self.kappa,
                 "dt": dt, "cfl": self.cfl, "pos_tol": self.pos_tol, "tail_tol": self.tail_tol}
        return ZonalSolution(np.asarray(out_t, dtype=np.float64), self.phi.copy(), coef @ self._P.T,
                             coef, self.weights.copy(), status, message, attrs)
