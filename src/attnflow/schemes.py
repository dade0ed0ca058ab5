"""Layer-normalization schemes as fields: where the normalization sits changes the dynamics.

Tokens are x_i = r_i theta_i with theta_i on S^{d-1}. Every scheme computes the same attention
vector A_i = y_i(Theta) from the directions (the attention output of the model at the directions,
all heads summed, with its mask) and moves the directions by

    dtheta_i/dt = P_{theta_i} A_i / s_i

with a scheme-dependent speed factor s_i and radial equation (survey arXiv 2512.01868, eq. (NA);
Karagodin-Ge-Polyanskiy-Rigollet arXiv 2510.22026). What attnflow integrates (our reading of each
architecture's update rule as a residual flow; docs/theory/normalization.md):

========  ======================================  ======================  ======================
scheme    state equation                          s_i                     layer (one step h)
========  ======================================  ======================  ======================
post      theta' = P_theta A (on the sphere)      1                       N(x + h A)
pre       x' = A(Theta)                           r_i                     x + h A
peri      x' = A / |A|                            r_i |A_i|               x + h A/|A|
ngpt      theta' = alpha P_theta (A/|A|)           |A_i| / alpha           N(x + h alpha (A/|A| - x))
mix       post for t < t_switch, then pre          1, then r_i             N(x + h A), then x + h A
sqrt      x' = A / sqrt(1 + t)                    r_i sqrt(1 + t)         x + h A / sqrt(1 + t)
========  ======================================  ======================  ======================

N(z) = z / |z|. Pre-LN is the residual stream of GPT-style blocks (attention reads normalized
tokens, the residual adds its output); peri-LN also normalizes the block's output (Gemma 3);
nGPT (Loshchilov et al. 2024) keeps tokens on the sphere and interpolates toward the normalized
output with step alpha; Mix-LN (Li et al. 2024) uses post-LN in the first layers and pre-LN
after t_switch; sqrt-scaling scales the residual branch by the inverse square root of the depth,
here with the layer index read as 1 + t. nGPT and sqrt-scaling are our readings of the papers'
descriptions [U]. The simuformer code (public) updates pre- and peri-LN radii with r * sum(A),
which is not rotation invariant; here dr/dt = <theta, x'> exactly.

Off-sphere schemes (pre, peri, mix, sqrt) live on the Euclidean manifold: their state is x = r
theta, and the observables of :func:`attnflow.simulate` use the directions. Post-LN is
:class:`attnflow.fields.AttentionField` (bit for bit the seed model); nGPT is a sphere field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .fields import Field
from .manifolds import Euclidean, Manifold, Sphere
from .sphere import retract, tangent_project

__all__ = ["SchemeField", "directions"]


def directions(x: np.ndarray) -> np.ndarray:
    """theta = x / |x| on the last axis; a zero token is a FloatingPointError (r = 0 has no
    direction, which only a step far too large for the field can produce)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    if not np.all(norms > 0) or not np.all(np.isfinite(norms)):
        raise FloatingPointError("a token reached r = 0 or left the floating-point range, where its "
                                 "direction is undefined. Fix: a smaller dt")
    return x / norms


def _unit(y: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(y, axis=-1, keepdims=True)
    if not np.all(norms > 0):
        raise FloatingPointError("the attention output of a token is zero, so A/|A| (peri-LN, nGPT) is "
                                 "undefined there")
    return y / norms


@dataclass(frozen=True, eq=False)
class SchemeField(Field):
    """The flow of a model with ``layernorm`` pre, peri, ngpt, mix or sqrt (table above).

    ``evaluator`` maps directions (n, d) / (B, n, d) to the attention output A(Theta)
    (:func:`attnflow.backends.prepare` of the model).
    """

    model: Any
    evaluator: Any
    phase: str | None = None

    @property
    def manifold(self) -> Manifold:  # type: ignore[override]
        return Sphere(self.model.d) if self.model.layernorm == "ngpt" else Euclidean()

    @property
    def backend(self) -> str:
        return self.evaluator.name

    def _post_phase(self, t: float) -> bool:
        if self.model.layernorm != "mix":
            return False
        return self.phase == "post" if self.phase is not None else t < self.model.t_switch

    def at_step(self, t: float, h: float) -> SchemeField:
        """The field valid on the whole step [t, t + h]: Mix-LN's phase is that of the step's
        start, so the stages at t + h = t_switch of the last post-LN step stay post-LN (the
        solvers never let a step straddle t_switch: it is a breakpoint)."""
        if self.model.layernorm != "mix":
            return self
        return dataclasses.replace(self, phase="post" if t < self.model.t_switch else "pre")

    def attention(self, y: np.ndarray) -> np.ndarray:
        """A(Theta) at the directions of the state ``y``."""
        return self.evaluator.output(directions(y))

    def output(self, t: float, y: np.ndarray) -> np.ndarray:
        """The ambient increment of one layer per unit step (table above)."""
        scheme = self.model.layernorm
        if scheme == "ngpt":
            return self.model.alpha * (_unit(self.evaluator.output(y)) - y)
        a = self.attention(y)
        if scheme == "peri":
            return _unit(a)
        if scheme == "sqrt":
            return a / np.sqrt(1.0 + t)
        return a                                           # pre, mix (both phases)

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        scheme = self.model.layernorm
        if scheme == "ngpt":
            return self.model.alpha * tangent_project(y, _unit(self.evaluator.output(y)))
        if self._post_phase(t):
            theta = directions(y)
            return tangent_project(theta, self.evaluator.output(theta)) * np.linalg.norm(y, axis=-1,
                                                                                           keepdims=True)
        return self.output(t, y)

    def layer_step(self, t: float, y: np.ndarray, h: float) -> np.ndarray:
        """One transformer layer: the residual update, normalized where the scheme normalizes."""
        z = y + h * self.output(t, y)
        return retract(z) if self._post_phase(t) else z
