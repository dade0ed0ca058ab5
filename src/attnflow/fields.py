"""Dynamics as fields: a right-hand side on a manifold, all that a solver sees.

A field is any object with

- ``manifold``: a :class:`attnflow.manifolds.Manifold` (the retraction the solvers call);
- ``rhs(t, y)``: the time derivative dy/dt at the state ``y`` (an array), defined on an ambient
  neighbourhood of the manifold (the stages of a Runge-Kutta step leave it);
- optionally ``output(t, y)``: the ambient increment of one transformer layer (the layer
  scheme y <- retract(y + h output)); by default the right-hand side itself;
- optionally ``layer_step(t, y, h)``: the layer itself, when it is not y + h output;
- optionally ``at_step(t, h)``: the field to use on the whole step [t, t + h] (a field whose
  formula changes at a breakpoint time, e.g. Mix-LN at t_switch, fixes its phase per step);
- optionally ``diffusivity`` D: the field is the drift of the SDE dX = rhs dt + sqrt(2 D) dB,
  B the manifold's Brownian motion (integrated by the schemes of :mod:`attnflow.solve.sde`);
- optionally ``linear`` and ``nonlinear(t, y)`` (:class:`SplitField`): rhs = L y + N(t, y) with
  L diagonal in a known basis (:class:`DiagonalLinear`), for the exponential schemes of
  :mod:`attnflow.solve.exponential` (a stiff diffusion, e.g. the Fokker-Planck Laplacian).

:class:`Field` gives the defaults. The fields of attnflow:

- :class:`attnflow.AttentionModel` (the attention flow on (S^{d-1})^n; ``model.field(x)``
  prepares its evaluator once for a state like ``x``, see :class:`AttentionField`);
- :class:`HardmaxField`, the zero-temperature flow dx/dt = P_x V A x / |A x| of the
  low-temperature limit [L] (tokens decouple);
- the circle and zonal mean-field PDEs on their grids (``CircleSolver.field``,
  ``ZonalSolver.field``, in :mod:`attnflow.meanfield`), split fields when they have noise;
- :class:`NoisyField`: any field plus a diffusivity (an attention model with ``kappa``).

Nothing in :mod:`attnflow.solve` knows which one it integrates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .manifolds import Euclidean, Manifold, Sphere

__all__ = ["AttentionField", "DiagonalLinear", "Field", "FunctionField", "HardmaxField", "NoisyField",
           "SplitField"]


class Field:
    """Base class of a dynamics dy/dt = rhs(t, y) on ``manifold`` (see the module docstring)."""

    manifold: Manifold = Euclidean()

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """dy/dt at time ``t`` and state ``y`` (same shape as ``y``)."""
        raise NotImplementedError

    def output(self, t: float, y: np.ndarray) -> np.ndarray:
        """The ambient increment of the layer scheme; the right-hand side unless overridden."""
        return self.rhs(t, y)


@dataclass(frozen=True, eq=False)
class FunctionField(Field):
    """A field from a plain function ``f(t, y)`` (Euclidean unless a manifold is given).

    Examples
    --------
    >>> import numpy as np
    >>> decay = FunctionField(lambda t, y: -y)
    >>> decay.rhs(0.0, np.ones(2))
    array([-1., -1.])
    """

    f: Any
    manifold: Manifold = field(default_factory=Euclidean)

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.f(t, y)


@dataclass(frozen=True, eq=False)
class AttentionField(Field):
    """The attention flow of ``model`` with a prepared evaluator (see ``AttentionModel.field``).

    rhs(t, x) = P_x y(x) and output(t, x) = y(x), with y the attention output of the model
    (:func:`attnflow.attention_output`), for states (n, d) or (B, n, d).
    """

    model: Any
    evaluator: Any

    @property
    def manifold(self) -> Manifold:  # type: ignore[override]
        return Sphere(self.model.d)

    @property
    def backend(self) -> str:
        """Name of the evaluator's backend."""
        return self.evaluator.name

    def output(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.evaluator.output(y)

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.evaluator.velocity(y)


@dataclass(frozen=True, eq=False)
class HardmaxField(Field):
    """The zero-temperature (hardmax) flow dx/dt = P_x V A x / |A x| [L].

    The beta -> infinity limit of the SA field for configurations without ties: each token moves
    toward V applied to the direction of A x, independently of the others. Built from a
    :class:`attnflow.theory.ZeroTemperatureMap` (``theory.zero_temperature_map(A, V)``), whose
    ``velocity`` is the one implementation of the formula. States (n, d) or (B, n, d).
    """

    map: Any

    @property
    def manifold(self) -> Manifold:  # type: ignore[override]
        return Sphere(int(self.map.A.shape[0]))

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.map.velocity(y)


@dataclass(frozen=True, eq=False)
class NoisyField(Field):
    """The SDE dX = drift.rhs(t, X) dt + sqrt(2 diffusivity) dB on ``drift``'s manifold.

    For attention with noise (``AttentionModel(..., kappa=k)``): diffusivity = 1/k, so the law
    solves d_t mu = k^{-1} Delta mu - div(mu X[mu]) (docs/theory/noise.md).
    """

    drift: Any
    diffusivity: float

    @property
    def manifold(self) -> Manifold:  # type: ignore[override]
        return self.drift.manifold

    @property
    def backend(self) -> str:
        """The drift's backend (attention fields)."""
        return self.drift.backend

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.drift.rhs(t, y)

    def output(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.drift.output(t, y)


@dataclass(frozen=True, eq=False)
class DiagonalLinear:
    """A linear operator diagonal in a basis: L y = inverse(diagonal * forward(y)).

    ``forward`` maps a state to its coefficients in the eigenbasis (None: the state is already
    there), ``inverse`` maps back; ``diagonal`` holds the eigenvalues (e.g. -k^2/kappa for the
    circle's Laplacian in Fourier, -k(k+d-2)/kappa for zonal harmonics).
    """

    diagonal: np.ndarray
    forward: Callable[[np.ndarray], np.ndarray] | None = None
    inverse: Callable[[np.ndarray], np.ndarray] | None = None

    def to_basis(self, y: np.ndarray) -> np.ndarray:
        return y if self.forward is None else self.forward(y)

    def from_basis(self, c: np.ndarray) -> np.ndarray:
        return c if self.inverse is None else self.inverse(c)

    def apply(self, y: np.ndarray) -> np.ndarray:
        """L y."""
        return self.from_basis(self.diagonal * self.to_basis(y))


@dataclass(frozen=True, eq=False)
class SplitField(Field):
    """dy/dt = L y + N(t, y): a stiff linear part ``linear`` (:class:`DiagonalLinear`) and the
    rest, ``nonlinear``; Euclidean. ``rhs`` is the sum, so every solver can integrate it; the
    exponential (ETD) schemes use the split."""

    linear: DiagonalLinear
    nonlinear: Callable[[float, np.ndarray], np.ndarray]

    def rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.linear.apply(y) + self.nonlinear(t, y)
