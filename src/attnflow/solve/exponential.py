"""Exponential time differencing (ETD) Runge-Kutta schemes for split fields dy/dt = L y + N(t, y).

With L diagonal in a known basis (:class:`attnflow.fields.DiagonalLinear`), the variation of
constants y(t + h) = e^{hL} y(t) + int_0^h e^{(h-s)L} N(t + s, y(t + s)) ds is integrated with N
interpolated at a few stages (Cox-Matthews, J. Comput. Phys. 176, 2002):

- ``"etdrk2"`` (order 2): a = e^{hL} y + h phi_1(hL) N(y); y_new = a + h phi_2(hL) (N(a) - N(y));
- ``"etdrk4"`` (order 4): with E = e^{hL/2} and Q = (h/2) phi_1(hL/2),
  a = E y + Q N(y), b = E y + Q N(a), c = E a + Q (2 N(b) - N(y)),
  y_new = e^{hL} y + f_1 N(y) + 2 f_2 (N(a) + N(b)) + f_3 N(c), with f_1 = h(-4 - z + e^z(4 - 3z + z^2))
  / z^3, f_2 = h(2 + z + e^z(z - 2)) / z^3, f_3 = h(-4 - 3z - z^2 + e^z(4 - z)) / z^3, z = hL;

phi_1(z) = (e^z - 1)/z, phi_2(z) = (e^z - 1 - z)/z^2. The coefficients are evaluated by the
contour integral of Kassam-Trefethen (SIAM J. Sci. Comput. 26, 2005): the mean over 32 points
of a circle of radius 1 around each z, free of the cancellation of the formulas at small z.

Why ETD. The linear part is integrated exactly: for L <= 0 (a diffusion -k(k+d-2)/kappa) every
coefficient is bounded, so the step is limited by N alone (CFL, growth rates) and small kappa
(strong noise) is no stiff trap. Fixed points are kept exactly: if L y + N(y) = 0 every stage
equals y and y_new = y, whatever h, so states relaxed by time stepping are the stationary states
of the semi-discrete equation (an integrating-factor (Lawson) scheme lacks this: its fixed point
in a mode with h|L| >> 1 is off by O(1)). Modes with L = 0 (the mass) get the plain RK step
(etdrk2 -> Heun, etdrk4 -> classical RK4), so a nonlinearity that conserves mass keeps it to
rounding. ``tests/test_exponential.py`` measures the orders on a stiff problem with a known
solution and the fixed-point property.
"""

from __future__ import annotations

import numpy as np

from .solvers import Solver

__all__ = ["ETDRK2", "ETDRK4", "SPLIT_SOLVERS", "phi_functions"]

#: points of the Kassam-Trefethen contour (radius 1 around each z)
_CONTOUR = np.exp(1j * np.pi * (np.arange(1, 33) - 0.5) / 32)


def phi_functions(z: np.ndarray, *funcs) -> list[np.ndarray]:
    """The functions ``funcs`` (callables of w, vectorized, analytic near z) at every z by the
    contour mean f(z) = mean_j f(z + r_j), r_j on the unit circle (real for real z)."""
    w = np.asarray(z, dtype=np.complex128)[..., None] + _CONTOUR
    out = [np.mean(f(w), axis=-1) for f in funcs]
    return [o.real if np.isrealobj(z) else o for o in out]


class _ETD(Solver):
    """Coefficients cached for the last (h, operator); needs ``field.linear`` and ``field.nonlinear``."""

    stability_interval = float("inf")      # L exact; N's own scale limits the step (CFL)

    def __init__(self):
        self._cache: tuple | None = None

    def _coefficients(self, lin, h: float) -> dict[str, np.ndarray]:
        cache = self._cache                              # one read: safe if another thread replaces it
        if cache is not None and cache[0] == h and cache[1] is lin:
            return cache[2]
        coef = self._make(np.asarray(lin.diagonal) * h, h)
        self._cache = (h, lin, coef)
        return coef

    def _make(self, z: np.ndarray, h: float) -> dict[str, np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError


class ETDRK2(_ETD):
    """Cox-Matthews ETD2RK (module docstring), 2 evaluations of N per step."""

    name, order, stages = "etdrk2", 2, 2

    def _make(self, z, h):
        phi1, phi2 = phi_functions(z, lambda w: (np.exp(w) - 1) / w, lambda w: (np.exp(w) - 1 - w) / w**2)
        return {"E": np.exp(z), "P1": h * phi1, "P2": h * phi2}

    def step(self, field, t: float, y: np.ndarray, h: float) -> tuple[np.ndarray, None]:
        lin, N = field.linear, field.nonlinear
        c = self._coefficients(lin, h)
        yh, n0 = lin.to_basis(y), lin.to_basis(N(t, y))
        ah = c["E"] * yh + c["P1"] * n0
        na = lin.to_basis(N(t + h, lin.from_basis(ah)))
        return lin.from_basis(ah + c["P2"] * (na - n0)), None


class ETDRK4(_ETD):
    """Cox-Matthews ETDRK4 (module docstring), 4 evaluations of N per step."""

    name, order, stages = "etdrk4", 4, 4

    def _make(self, z, h):
        (q,) = phi_functions(0.5 * z, lambda w: (np.exp(w) - 1) / w)
        f1, f2, f3 = phi_functions(
            z,
            lambda w: (-4 - w + np.exp(w) * (4 - 3 * w + w**2)) / w**3,
            lambda w: (2 + w + np.exp(w) * (w - 2)) / w**3,
            lambda w: (-4 - 3 * w - w**2 + np.exp(w) * (4 - w)) / w**3)
        return {"E": np.exp(z), "E2": np.exp(0.5 * z), "Q": 0.5 * h * q, "f1": h * f1, "f2": h * f2,
                "f3": h * f3}

    def step(self, field, t: float, y: np.ndarray, h: float) -> tuple[np.ndarray, None]:
        lin, N = field.linear, field.nonlinear
        c = self._coefficients(lin, h)
        fwd, inv = lin.to_basis, lin.from_basis
        yh = fwd(y)
        nu = fwd(N(t, y))
        ah = c["E2"] * yh + c["Q"] * nu
        na = fwd(N(t + 0.5 * h, inv(ah)))
        bh = c["E2"] * yh + c["Q"] * na
        nb = fwd(N(t + 0.5 * h, inv(bh)))
        ch = c["E2"] * ah + c["Q"] * (2 * nb - nu)
        nc = fwd(N(t + h, inv(ch)))
        out = c["E"] * yh + c["f1"] * nu + 2 * c["f2"] * (na + nb) + c["f3"] * nc
        return inv(out), None


#: name -> exponential scheme for split fields
SPLIT_SOLVERS: dict[str, Solver] = {s.name: s for s in (ETDRK2(), ETDRK4())}
