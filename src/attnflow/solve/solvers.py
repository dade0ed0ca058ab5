"""One-step schemes: every explicit Runge-Kutta scheme from its tableau, and the layer scheme.

A solver advances a state by one step h of a field and returns the *ambient* result; the driver
then calls the field's ``manifold.retract`` (on the sphere: y / |y|; Euclidean: identity). So
the retraction is a hook of the manifold, not of each scheme, and the stages of a step are not
retracted: for the attention flow the field is extended to R^d by the same formula, the sphere is
invariant for the extension (d|x|^2/dt = 2 (1 - |x|^2) <x, y>), the RK step leaves it by
O(h^{p+1}) only, and the order p is kept (docs/theory/numerics.md).

Schemes (``SOLVERS``; each declares its ``order``, ``tests/test_solvers.py`` measures it):

- ``"layer"`` (order 1): one post-LN transformer layer, y <- retract(y + h output(y)), with the
  unprojected attention output; the scheme of the reference code of [GLPR]. Its time axis
  differs from the flow's by O(h).
- every tableau of :data:`attnflow.solve.tableau.TABLEAUX`: ``"euler"``, ``"midpoint"``,
  ``"heun2"``, ``"ssprk3"``, ``"rk4"``, ``"rk38"``, and the embedded pairs ``"bosh3"`` (3(2))
  and ``"dopri5"`` (5(4)), which the adaptive controller uses.

Arithmetic. Stage i is y + sum_j (h a_ij) k_j accumulated in order (zero entries skipped). The
propagated increment is (h / D) sum_i w_i k_i with integer weights w_i = D b_i over the least
common denominator D, consecutive equal weights summed before their multiplication: for RK4 this
is y + (h/6)(k1 + 2 (k2 + k3) + k4), the textbook form, with fewer operations than sum b_i k_i.
For a FSAL tableau (last row of A equal to b) the last stage's input is the new state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .tableau import TABLEAUX, ButcherTableau

__all__ = ["SOLVERS", "ExplicitRK", "LayerScheme", "Solver", "get_solver"]

Rhs = Callable[[float, np.ndarray], np.ndarray]


class Solver:
    """Interface of a one-step scheme: ``order``, ``stages`` (evaluations per step),
    ``stability_interval`` (the step h lambda it tolerates on the negative real axis) and
    ``step(field, t, y, h) -> (y_ambient, error_or_None)``."""

    name: str
    order: int
    stages: int
    adaptive: bool = False
    stochastic: bool = False
    error_order: int | None = None
    stability_interval: float = 2.0

    def step(self, field, t: float, y: np.ndarray, h: float
             ) -> tuple[np.ndarray, np.ndarray | None]:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, order={self.order})"


def _groups(den: int, weights: tuple[int, ...]) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """Runs of consecutive equal non-zero weights: ((w, (i, j, ...)), ...)."""
    out: list[tuple[int, list[int]]] = []
    for i, w in enumerate(weights):
        if w == 0:
            continue
        if out and out[-1][0] == w and out[-1][1][-1] == i - 1:
            out[-1][1].append(i)
        else:
            out.append((w, [i]))
    return tuple((w, tuple(idx)) for w, idx in out)


class ExplicitRK(Solver):
    """An explicit Runge-Kutta scheme given by a :class:`ButcherTableau`."""

    def __init__(self, tableau: ButcherTableau):
        self.tableau = tableau
        self.name = tableau.name
        self.order = tableau.order
        self.stages = tableau.stages
        self.adaptive = tableau.adaptive
        self.error_order = tableau.error_order
        self._c = tuple(float(x) for x in tableau.c)
        self._a = tuple(tuple(float(x) for x in row) for row in tableau.a)
        den, w = tableau.weights()
        self._den = float(den)
        self._groups = tuple((float(wt), idx) for wt, idx in _groups(den, w))
        self._fsal = tableau.fsal
        self._e = tableau.error_weights() if tableau.adaptive else None
        self.stability_interval = _stability_interval(tableau)

    def step(self, field, t: float, y: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray | None]:
        """One step from (t, y): the ambient new state and the embedded error estimate (or None)."""
        rhs = field.rhs
        ks: list[np.ndarray] = []
        yi = y
        for i in range(self.stages):
            yi = y
            for a, k in zip(self._a[i], ks, strict=False):
                if a:
                    yi = yi + (h * a) * k
            ks.append(rhs(t + self._c[i] * h, yi))
        if self._fsal:
            y_new = yi
        else:
            y_new = y + (h / self._den) * self._combine(ks)
        err = None
        if self._e is not None:
            err = sum((h * e) * k for e, k in zip(self._e, ks, strict=True) if e)
        return y_new, err

    def _combine(self, ks: list[np.ndarray]) -> np.ndarray:
        total = None
        for w, idx in self._groups:
            g = ks[idx[0]]
            for i in idx[1:]:
                g = g + ks[i]
            if w != 1.0:
                g = w * g
            total = g if total is None else total + g
        return total


def _stability_interval(tab: ButcherTableau) -> float:
    """Largest r with |R(-x)| <= 1 on [0, r], R(z) = 1 + sum_k z^k b^T A^(k-1) 1 the stability
    polynomial (Hairer-Wanner II, IV.2); e.g. 2 for Euler, 2.785 for RK4."""
    s = tab.stages
    A = np.array([[float(tab.a[i][j]) if j < len(tab.a[i]) else 0.0 for j in range(s)] for i in range(s)])
    b = np.array([float(x) for x in tab.b])
    coef, v = [1.0], np.ones(s)
    for _ in range(s):
        coef.append(float(b @ v))
        v = A @ v
    x = np.linspace(0.0, 8.0, 80001)
    R = np.polynomial.polynomial.polyval(-x, coef)
    bad = np.flatnonzero(np.abs(R) > 1 + 1e-12)
    return float(x[bad[0] - 1]) if bad.size else float(x[-1])


@dataclass(frozen=True)
class LayerScheme(Solver):
    """One transformer layer per step: y <- retract(y + h output(t, y)) (order 1).

    ``output`` is the field's ambient increment (for attention: the unprojected attention
    output, what a residual block adds before the layer normalization). A field with a
    ``layer_step(t, y, h)`` method (e.g. Mix-LN, which normalizes only before its switch time)
    defines the layer itself; the manifold's retraction follows either way.
    """

    name: str = "layer"
    order: int = 1
    stages: int = 1
    stability_interval: float = 2.0

    def step(self, field, t: float, y: np.ndarray, h: float) -> tuple[np.ndarray, None]:
        layer = getattr(field, "layer_step", None)        # a field whose layer normalizes by phase
        if layer is not None:
            return layer(t, y, h), None
        return y + h * field.output(t, y), None


#: name -> solver of every scheme (the layer scheme and one ExplicitRK per tableau)
SOLVERS: dict[str, Solver] = {"layer": LayerScheme(), **{n: ExplicitRK(t) for n, t in TABLEAUX.items()}}


def get_solver(method: str | Solver) -> Solver:
    """The solver named ``method`` (or ``method`` itself if it is a Solver): a scheme of
    :data:`SOLVERS`, of the stochastic schemes (:data:`attnflow.solve.sde.SDE_SOLVERS`) or of
    the exponential schemes of split fields (:data:`attnflow.solve.exponential.SPLIT_SOLVERS`)."""
    from ..validation import fail
    from .exponential import SPLIT_SOLVERS
    from .sde import SDE_SOLVERS

    if isinstance(method, Solver):
        return method
    known = {**SOLVERS, **SDE_SOLVERS, **SPLIT_SOLVERS}
    if not isinstance(method, str) or method not in known:
        raise fail("method", method, "is not a known integrator", f"use one of {list(known)}")
    return known[method]
