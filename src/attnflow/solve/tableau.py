"""Butcher tableaux of the explicit Runge-Kutta schemes, named as in the literature.

A tableau (c, A, b) with A strictly lower triangular defines the s-stage scheme

    k_i = f(t + c_i h, y + h sum_{j<i} a_ij k_j),     y_{n+1} = y + h sum_i b_i k_i,

of classical order ``order`` (Hairer, Norsett, Wanner, *Solving ODEs I*, II.1). An embedded
pair also carries weights ``b_hat`` of order ``error_order``; the difference
h sum_i (b_i - b_hat_i) k_i estimates the local error for step-size control (II.4).

Coefficients are exact fractions; :func:`validate` checks the order conditions up to the
declared order (rooted trees of order <= 4, plus the consistency of c), so a typo in a
coefficient fails at import rather than as a wrong measured order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F
from math import lcm

__all__ = ["BOSH3", "DOPRI5", "EULER", "HEUN2", "MIDPOINT", "RK4", "RK38", "SSPRK3", "TABLEAUX",
           "ButcherTableau"]


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge-Kutta tableau with exact rational coefficients.

    Attributes
    ----------
    name : the scheme's name.
    c : (s,) stage times.
    a : rows of the strictly lower triangular matrix A (row i has i entries).
    b : (s,) weights of the propagated solution.
    order : classical order of the propagated solution.
    b_hat : (s,) weights of the embedded solution, or None.
    error_order : order of the embedded solution (the error estimate is O(h^(error_order+1))).
    reference : where the coefficients come from.
    """

    name: str
    c: tuple[F, ...]
    a: tuple[tuple[F, ...], ...]
    b: tuple[F, ...]
    order: int
    b_hat: tuple[F, ...] | None = None
    error_order: int | None = None
    reference: str = ""

    @property
    def stages(self) -> int:
        return len(self.b)

    @property
    def fsal(self) -> bool:
        """First same as last: the last stage is evaluated at the propagated solution."""
        return len(self.a[-1]) == self.stages - 1 and (*self.a[-1], F(0)) == tuple(self.b)

    @property
    def adaptive(self) -> bool:
        return self.b_hat is not None

    def weights(self) -> tuple[int, tuple[int, ...]]:
        """(D, w): b_i = w_i / D with integers w_i over the least common denominator D."""
        den = lcm(*(x.denominator for x in self.b))
        return den, tuple(int(x * den) for x in self.b)

    def error_weights(self) -> tuple[float, ...]:
        """e_i = b_i - b_hat_i as floats (zeros where the two agree)."""
        if self.b_hat is None:
            raise ValueError(f"the {self.name} tableau has no embedded pair")
        return tuple(float(b) - float(bh) for b, bh in zip(self.b, self.b_hat, strict=True))


def _order_conditions(c, a, b) -> dict[int, list[F]]:
    """Residuals of the order conditions of the trees of order 1..4 for weights b."""
    s = len(b)
    A = [[a[i][j] if j < len(a[i]) else F(0) for j in range(s)] for i in range(s)]
    Ac = [sum(A[i][j] * c[j] for j in range(s)) for i in range(s)]
    Ac2 = [sum(A[i][j] * c[j] ** 2 for j in range(s)) for i in range(s)]
    AAc = [sum(A[i][j] * Ac[j] for j in range(s)) for i in range(s)]
    dot = lambda u: sum(bi * ui for bi, ui in zip(b, u, strict=True))  # noqa: E731
    return {
        1: [dot([F(1)] * s) - 1],
        2: [dot(c) - F(1, 2)],
        3: [dot([x**2 for x in c]) - F(1, 3), dot(Ac) - F(1, 6)],
        4: [dot([x**3 for x in c]) - F(1, 4), dot([ci * y for ci, y in zip(c, Ac, strict=True)]) - F(1, 8),
            dot(Ac2) - F(1, 12), dot(AAc) - F(1, 24)],
    }


def validate(tab: ButcherTableau) -> None:
    """Check consistency (c_i = sum_j a_ij) and the order conditions up to min(order, 4).

    Raises ValueError naming the tableau and the failed condition.
    """
    for i, row in enumerate(tab.a):
        if len(row) != i or sum(row, F(0)) != tab.c[i]:
            raise ValueError(f"tableau {tab.name}: row {i} of A does not sum to c_{i}")
    for weights, order in ((tab.b, tab.order), (tab.b_hat, tab.error_order)):
        if weights is None:
            continue
        conds = _order_conditions(tab.c, tab.a, weights)
        for p in range(1, min(order, 4) + 1):
            if any(r != 0 for r in conds[p]):
                raise ValueError(f"tableau {tab.name}: an order-{p} condition fails")


def _t(name, c, a, b, order, b_hat=None, error_order=None, reference=""):
    tab = ButcherTableau(name, tuple(F(x) for x in c), tuple(tuple(F(x) for x in r) for r in a),
                         tuple(F(x) for x in b), order,
                         None if b_hat is None else tuple(F(x) for x in b_hat), error_order, reference)
    validate(tab)
    return tab


EULER = _t("euler", [0], [[]], [1], 1, reference="explicit Euler")
MIDPOINT = _t("midpoint", [0, F(1, 2)], [[], [F(1, 2)]], [0, 1], 2,
              reference="explicit midpoint (Runge 1895)")
HEUN2 = _t("heun2", [0, 1], [[], [1]], [F(1, 2), F(1, 2)], 2,
           reference="Heun's method (explicit trapezoid)")
SSPRK3 = _t("ssprk3", [0, 1, F(1, 2)], [[], [1], [F(1, 4), F(1, 4)]], [F(1, 6), F(1, 6), F(2, 3)], 3,
            reference="Shu-Osher strong-stability-preserving RK3")
RK4 = _t("rk4", [0, F(1, 2), F(1, 2), 1], [[], [F(1, 2)], [0, F(1, 2)], [0, 0, 1]],
         [F(1, 6), F(1, 3), F(1, 3), F(1, 6)], 4, reference="classical Runge-Kutta (Kutta 1901)")
RK38 = _t("rk38", [0, F(1, 3), F(2, 3), 1], [[], [F(1, 3)], [F(-1, 3), 1], [1, -1, 1]],
          [F(1, 8), F(3, 8), F(3, 8), F(1, 8)], 4, reference="Kutta's 3/8 rule")
BOSH3 = _t("bosh3", [0, F(1, 2), F(3, 4), 1],
           [[], [F(1, 2)], [0, F(3, 4)], [F(2, 9), F(1, 3), F(4, 9)]],
           [F(2, 9), F(1, 3), F(4, 9), 0], 3,
           b_hat=[F(7, 24), F(1, 4), F(1, 3), F(1, 8)], error_order=2,
           reference="Bogacki-Shampine 3(2) (1989)")
DOPRI5 = _t("dopri5", [0, F(1, 5), F(3, 10), F(4, 5), F(8, 9), 1, 1],
            [[], [F(1, 5)], [F(3, 40), F(9, 40)], [F(44, 45), F(-56, 15), F(32, 9)],
             [F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729)],
             [F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656)],
             [F(35, 384), 0, F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84)]],
            [F(35, 384), 0, F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), 0], 5,
            b_hat=[F(5179, 57600), 0, F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100),
                   F(1, 40)], error_order=4,
            reference="Dormand-Prince 5(4) (1980)")

#: name -> tableau of every explicit RK scheme attnflow ships
TABLEAUX: dict[str, ButcherTableau] = {t.name: t for t in
                                       (EULER, MIDPOINT, HEUN2, SSPRK3, RK4, RK38, BOSH3, DOPRI5)}
