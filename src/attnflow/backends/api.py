"""Prepared evaluators of the attention field, and the one-call functions built on them.

``prepare(model, x, backend, options)`` picks a backend and computes once what depends only on
the model and the dtype (matrices in the working dtype, spectral coefficients, the Numba kernel
for d, torch tensors on the device); the returned :class:`Evaluator` then maps states to

    y_i = sum_j w_ij V x_j      (the attention output; w_ij as in :mod:`attnflow.backends.dense`)
    P_{x_i} y_i = y_i - <x_i, y_i> x_i      (the velocity of the flow [GLPR, eqs. (SA), (USA)]).

``velocity(model, x)`` and ``attention_output(model, x)`` validate the points and prepare an
evaluator for a single call (``af.velocity`` and ``af.attention_output``).

Variants (docs/theory/numerics.md#heads-and-the-causal-mask): with H heads, y_i is the sum over
heads of y_i^(h) = sum_j w^(h)_ij V_h x_j, w^(h) from e^{beta <A_h x_i, x_j>}; under the causal
mask token i sums over j <= i (SA normalized over j <= i; USA divided by N, the total token
count). A model with ``beta="log"`` is resolved for the token count n = x.shape[-2] of the state
(``model.for_tokens(n)``, beta_n = gamma log n) by every function here; its evaluator then
accepts states of n tokens only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..sphere import tangent_project
from ..validation import check_points, fail, instance
from .registry import choose, for_tokens

__all__ = ["Evaluator", "attention_output", "prepare", "resolve_backend", "velocity"]


@dataclass(frozen=True, eq=False)
class Evaluator:
    """The attention field of one model, prepared by one backend for one dtype.

    Attributes
    ----------
    name : the backend's registry name (what ``backend="auto"`` chose).
    model : the AttentionModel it evaluates (with a numeric beta: ``beta="log"`` resolved).
    dtype : float64 or float32; the dtype of the states it accepts and of its results.
    options : the backend options it was prepared with (read-only).
    tokens : None (any n), or the token count n that ``beta="log"`` was resolved for.

    Methods ``output(x)`` and ``velocity(x)`` take x of shape (n, d) or (B, n, d) in ``dtype``
    (any n, or n = ``tokens``; any batch; points off the sphere are evaluated as the backend
    extends the field, as the stages of a Runge-Kutta step need) and return an array of the
    same shape and dtype. They check only the shape and dtype, so that repeated calls cost the
    evaluation alone.
    """

    name: str
    model: AttentionModel
    dtype: np.dtype
    options: Mapping[str, Any]
    _output: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    tokens: int | None = None

    def output(self, x: np.ndarray) -> np.ndarray:
        """The unprojected attention output y (same shape and dtype as ``x``)."""
        d = self.model.d
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim in (2, 3)
                and x.shape[-1] == d):
            raise fail("x", x, f"is not an (n, {d}) or (B, n, {d}) {self.dtype} array, which this "
                       f"evaluator was prepared for", "pass such an array, or prepare an evaluator "
                       "with an example state of this shape and dtype")
        if self.tokens is not None and x.shape[-2] != self.tokens:
            raise fail("x", x, f"has {x.shape[-2]} tokens, but this evaluator resolved beta=\"log\" for "
                       f"n={self.tokens} (beta_n = gamma log n = {self.model.beta:g})",
                       f"prepare an evaluator with an example state of {x.shape[-2]} tokens")
        return self._output(x)

    def velocity(self, x: np.ndarray) -> np.ndarray:
        """The tangent field P_x y = y - <x, y> x of the flow (same shape and dtype as ``x``)."""
        return tangent_project(x, self.output(x))


def _dtype(x: Any) -> type:
    """The working dtype for ``x``: float32 if ``x`` is float32, else float64."""
    return np.float32 if getattr(x, "dtype", None) == np.float32 else np.float64


def _points(model: AttentionModel, x: Any, normalize: bool) -> np.ndarray:
    instance("model", model, AttentionModel, "build one with af.AttentionModel(...)")
    return check_points("x", x, model.d, normalize=normalize, dtype=_dtype(x))


def _prepare(model: AttentionModel, x: np.ndarray, backend: str, options: Any) -> Evaluator:
    """prepare() for a model and an example state that are already validated."""
    tokens = int(x.shape[-2]) if isinstance(model.beta, str) else None
    model = for_tokens(model, x)
    chosen = choose(model, x, backend)
    if options is None:
        options = {}
    instance("options", options, dict, "pass a dict of backend options, e.g. {'block': 256}, or None")
    unknown = [k for k in options if k not in chosen.options]
    if unknown:
        how = " (chosen by backend='auto')" if backend == "auto" else ""
        known = (f"use only {', '.join(repr(k) for k in chosen.options)}" if chosen.options
                 else "pass no options: this backend takes none")
        raise fail("options", options, f"has {unknown[0]!r}, which is not an option of the "
                   f"{chosen.name} backend{how}", known)
    output = chosen.prepare(model, x.dtype, **options)
    return Evaluator(chosen.name, model, x.dtype, MappingProxyType(dict(options)), output, tokens)


def prepare(model: AttentionModel, x: Any, backend: str = "auto",
            options: dict[str, Any] | None = None) -> Evaluator:
    """Prepare the attention field of ``model`` once, for repeated evaluations.

    Parameters
    ----------
    model : AttentionModel (any heads, mask; ``beta="log"`` is resolved for x's token count)
    x : an example state, (n, d) or (B, n, d) points on S^{d-1}; its dtype (float32, else
        float64) is the evaluator's, and with the model its shape decides ``backend="auto"``.
    backend : "auto" (the fastest exact backend for this case) or a name from :func:`backends`.
    options : backend options, checked against the chosen backend's list (e.g. dense:
        ``block``; torch: ``device``, ``block``; spectral: ``block``; numba: none). An unknown
        key is an error naming it and the known ones.

    Returns
    -------
    Evaluator with ``.name``, ``.output(x)`` and ``.velocity(x)``.
    """
    return _prepare(model, _points(model, x, normalize=False), backend, options)


def attention_output(model: AttentionModel, x, backend: str = "auto", *,
                     normalize: bool = False) -> np.ndarray:
    """Unprojected attention output y_i (see :mod:`attnflow.backends.dense` for the formula).

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) or (B, n, d) array of points on S^{d-1} (float64, or float32 to trade digits
        for speed).
    backend : "auto" or a registered backend name.
    normalize : project ``x`` onto the sphere first instead of rejecting points off it.
    """
    x = _points(model, x, normalize)
    return _prepare(model, x, backend, None).output(x)


def velocity(model: AttentionModel, x, backend: str = "auto", *,
             normalize: bool = False) -> np.ndarray:
    """The tangent field dx_i/dt = P_{x_i} y_i of the attention flow, same shape as ``x``."""
    x = _points(model, x, normalize)
    return _prepare(model, x, backend, None).velocity(x)


@dataclass
class _Resolved:
    """What ``resolve_backend`` returns: ``.name`` and ``.output(model, x)`` for any x dtype."""

    name: str
    _evaluators: dict[tuple, tuple[AttentionModel, Evaluator]] = field(default_factory=dict, repr=False)

    def output(self, model: AttentionModel, x: np.ndarray) -> np.ndarray:
        key = (id(model), x.dtype, x.shape[-2] if isinstance(model.beta, str) else None)
        seen = self._evaluators.get(key)
        if seen is None or seen[0] is not model:     # prepared once per model and dtype (and n for "log")
            seen = self._evaluators[key] = (model, _prepare(model, x, self.name, None))
        return seen[1].output(x)


def resolve_backend(model: AttentionModel, x: np.ndarray, backend: str = "auto") -> _Resolved:
    """Compatibility: the chosen backend as an object with ``.name`` and ``.output(model, x)``.

    ``output`` prepares an evaluator at its first call for each model and dtype and reuses it.
    New code should call :func:`prepare` and use the :class:`Evaluator`.
    """
    return _Resolved(choose(model, x, backend).name)
