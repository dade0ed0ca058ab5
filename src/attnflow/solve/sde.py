"""Stochastic schemes: SDEs dX = b(t, X) dt + sqrt(2 D) dB on a field's manifold.

A noisy field has ``rhs(t, y)`` (the drift b, tangent on a manifold) and ``diffusivity`` D > 0;
B is the Brownian motion of the manifold, so the law of X solves the Fokker-Planck equation
d_t mu = D Delta mu - div(mu b). For attention with noise, D = 1/kappa and the manifold is
(S^{d-1})^n: each token carries its own Brownian motion (docs/theory/noise.md).

On the sphere, in the ambient coordinates of R^d, the Ito form of the noise is

    dX = b dt - (d - 1) D X dt + sqrt(2 D) P_X dW,      W a Brownian motion of R^d,

the Ito drift -(d - 1) D X keeping |X| = 1. The schemes never add it by hand: it comes from the
retraction (Euler-Maruyama) or from the exponential map (the splitting scheme), as shown below.

Schemes (``SDE_SOLVERS``; each declares ``strong_order`` and ``weak_order``; ``order`` is the
weak order; ``tests/test_sde.py`` measures both):

- ``"euler_maruyama"``: y <- retract(y + h b(t, y) + sqrt(2 D) P_y dW), dW ~ N(0, h I), one
  drift evaluation per step. **Weak order 1.** The retraction y/|y| of z = y + sqrt(2D) P_y dW
  (|z|^2 = 1 + 2 D |P_y dW|^2) moves y by -D |P_y dW|^2 y + O(h^2) on average, E|P_y dW|^2 =
  (d - 1) h: the Ito drift -(d - 1) D y h, so the one-step mean and covariance match the
  generator's to O(h^2) and the global weak error is O(h) (Milstein-Tretyakov, *Stochastic
  Numerics for Mathematical Physics*, Thm 2.2.1). Drift-free, E<y_1, y_0> = E (1 + 2 D
  |P dW|^2)^{-1/2} = 1 - (d - 1) D h + (3/2)(d^2 - 1) D^2 h^2 + O(h^3) against e^{-(d-1) D h}.
  **Strong order 1/2** (the noise P_y dW is not commutative for d >= 3); 1 on S^1 and for
  additive noise (Euclidean), where it is the classical Euler-Maruyama scheme.
- ``"strang"``: a Strang splitting, y <- H(h/2) o Phi(h) o H(h/2) y, with H the manifold's heat
  step (:meth:`attnflow.manifolds.Manifold.heat_step`: the exponential map of a Gaussian tangent
  vector whose variance is corrected for the curvature, weak order 2 for the Brownian motion)
  and Phi one explicit midpoint step of the drift (order 2; its stage is retracted too, so the
  drift is only evaluated on the manifold, where every backend agrees), retracted. **Weak order 2**: each
  sub-step has local weak error O(h^3) and the symmetric composition of the two generators
  errs by O(h^3) per step (Leimkuhler-Matthews, *Molecular Dynamics*, ch. 7). Two drift
  evaluations and two noise draws (the increments of the two half steps) per step. **Strong
  order 1/2** (1 on S^1).

Noise comes from :class:`attnflow.solve.noise.BrownianIncrements` through the driver: the step
function receives ``noise(pieces)``, the Brownian increments of ``pieces`` equal parts of the
step, shaped ``(pieces, *manifold.noise_shape(y.shape))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .solvers import Solver

__all__ = ["SDE_SOLVERS", "EulerMaruyama", "StochasticSolver", "StrangSplitting"]

Noise = Callable[[int], np.ndarray]


class StochasticSolver(Solver):
    """Interface of a stochastic scheme: ``strong_order``, ``weak_order``, ``pieces`` (Brownian
    increments drawn per step) and ``step(field, t, y, h, noise) -> (y_ambient, None)``."""

    stochastic = True
    strong_order: float
    weak_order: int
    pieces: int = 1

    def step(self, field, t: float, y: np.ndarray, h: float, noise: Noise  # type: ignore[override]
             ) -> tuple[np.ndarray, None]:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, strong_order={self.strong_order:g}, "
                f"weak_order={self.weak_order})")


def _diffusivity(field) -> float:
    value = getattr(field, "diffusivity", None)
    if value is None:
        raise ValueError(f"the field {field!r} has no diffusivity, so a stochastic scheme has no noise to "
                         "add. Fix: integrate a noisy field (e.g. AttentionModel(..., kappa=...)) or use a "
                         "deterministic method")
    return float(value)


@dataclass(frozen=True, repr=False)
class EulerMaruyama(StochasticSolver):
    """Projected Euler-Maruyama: y + h b + sqrt(2 D) P_y dW, retracted by the driver (module docstring)."""

    name: str = "euler_maruyama"
    order: int = 1
    weak_order: int = 1
    strong_order: float = 0.5
    stages: int = 1
    pieces: int = 1
    stability_interval: float = 2.0

    def step(self, field, t: float, y: np.ndarray, h: float, noise: Noise) -> tuple[np.ndarray, None]:
        sigma = math.sqrt(2.0 * _diffusivity(field))       # a Python float keeps float32 states
        dw = noise(1)[0]
        return y + h * field.rhs(t, y) + sigma * field.manifold.tangent_gaussian(y, dw), None


@dataclass(frozen=True, repr=False)
class StrangSplitting(StochasticSolver):
    """Heat half step, midpoint drift step, heat half step (module docstring)."""

    name: str = "strang"
    order: int = 2
    weak_order: int = 2
    strong_order: float = 0.5
    stages: int = 2
    pieces: int = 2
    stability_interval: float = 2.0

    def step(self, field, t: float, y: np.ndarray, h: float, noise: Noise) -> tuple[np.ndarray, None]:
        D = _diffusivity(field)
        man = field.manifold
        dw = noise(2) / math.sqrt(0.5 * h)              # the two half steps' increments as N(0, 1)
        y = man.heat_step(y, dw[0], 0.5 * D * h)
        k1 = field.rhs(t, y)
        k2 = field.rhs(t + 0.5 * h, man.retract(y + (0.5 * h) * k1))     # the stage on the manifold
        y = man.retract(y + h * k2)
        return man.heat_step(y, dw[1], 0.5 * D * h), None


#: name -> stochastic scheme
SDE_SOLVERS: dict[str, StochasticSolver] = {s.name: s for s in (EulerMaruyama(), StrangSplitting())}
