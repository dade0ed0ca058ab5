"""The registry of exact evaluators of the attention output, and the choice ``backend="auto"``.

Every registered backend computes the same exact field; they differ in speed and in the cases
they cover. The registry is enumerable (:func:`backends`), so tests run over every backend.
The built-in ones are imported when first used, not with ``import attnflow`` (Numba, SciPy's
special functions and torch are slow to import):

==========  ========  ============================================  ==============================
name        priority  applies                                       chosen by "auto" when it applies
==========  ========  ============================================  ==============================
dense       0         always                                        nothing faster applies
spectral    10        A = V = I (one head, no mask), d in (2, 3),   n >= 9 h + 250 (S^1), 20 h (S^2)
                      order <= MAX_ORDER
numba       5         always                                        d <= 8 and n >= 64
torch       1         torch importable                              a CUDA device is present
==========  ========  ============================================  ==============================

Every backend but spectral evaluates every head count and the causal mask. ``beta="log"``
(beta_n = gamma log n): the rules (``applies``, ``faster``, ``reason``) and :func:`choose` see
the model resolved for the state's token count, ``model.for_tokens(x.shape[-2])``.

Options (``prepare(..., options={...})``): dense ``block``; spectral ``block``; numba none;
torch ``device``, ``block``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import choice, fail

__all__ = ["Backend", "backends", "choose", "for_tokens", "get_backend", "register_backend"]

#: prepare(model, dtype, **options) -> output function x -> y
Prepare = Callable[..., Callable[[np.ndarray], np.ndarray]]
Rule = Callable[[AttentionModel, np.ndarray], bool]


@dataclass(frozen=True)
class Backend:
    """An exact evaluator of the attention output, as the registry knows it.

    Attributes
    ----------
    name : str
    prepare : callable (model, dtype, **options) -> output, where ``output(x)`` maps x of shape
        (n, d) or (B, n, d) and the given dtype to y of the same shape and dtype. Everything that
        depends only on the model and the dtype is computed here, once.
    applies : callable (model, x) -> bool, whether this backend can evaluate the case.
    priority : int, higher is preferred by ``backend="auto"`` among those that apply.
    faster : optional callable (model, x) -> bool; when given, ``backend="auto"`` considers this
        backend only where it also returns True (an explicit ``backend=name`` needs ``applies``).
    options : the names of the keyword options ``prepare`` accepts.
    requires : what ``applies`` checks, in words (for the error when it does not apply).
    reason : optional callable (model, x) -> str, why it does not apply to this model ("" if
        it does); named in the error next to ``requires``.

    The rules ``applies``, ``faster`` and ``reason`` are called with a numeric beta: a model with
    ``beta="log"`` is resolved first for the token count of ``x`` (``model.for_tokens``).
    """

    name: str
    prepare: Prepare
    applies: Rule
    priority: int = 0
    faster: Rule | None = None
    options: tuple[str, ...] = ()
    requires: str = ""
    reason: Callable[[AttentionModel, np.ndarray], str] | None = None

    def __post_init__(self) -> None:
        for rule in ("applies", "faster", "reason"):
            fn = getattr(self, rule)
            if fn is not None and not isinstance(fn, _ForTokens):
                object.__setattr__(self, rule, _ForTokens(fn))


_REGISTRY: dict[str, Backend] = {}


def register_backend(backend: Backend) -> None:
    """Add (or replace) a backend in the registry."""
    _REGISTRY[backend.name] = backend


def backends() -> tuple[str, ...]:
    """Names of the registered backends, in registration order."""
    return tuple(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The registered backend called ``name``."""
    choice("backend", name, backends())
    return _REGISTRY[name]


def for_tokens(model: AttentionModel, x: Any) -> AttentionModel:
    """``model`` with a numeric beta for the states ``x``.

    beta="log" gives beta_n = gamma log n with n = x.shape[-2]; a numeric beta is kept.
    """
    return model.for_tokens(int(np.shape(x)[-2])) if isinstance(model.beta, str) else model


class _ForTokens:
    """A rule (model, x) -> answer called with ``for_tokens(model, x)``."""

    def __init__(self, rule: Callable[[AttentionModel, np.ndarray], Any]) -> None:
        self.rule = rule

    def __call__(self, model: AttentionModel, x: np.ndarray) -> Any:
        return self.rule(for_tokens(model, x), x)

    def __repr__(self) -> str:
        return repr(self.rule)


def choose(model: AttentionModel, x: np.ndarray, backend: str = "auto") -> Backend:
    """The backend that ``backend`` names, or for "auto" the preferred one that applies and is faster.

    ``x`` is an example state: its shape (and the model) decide "auto"; a model with
    ``beta="log"`` is resolved for its token count first.
    """
    choice("backend", backend, ("auto", *_REGISTRY), fix=f'use "auto" or one of {sorted(_REGISTRY)}')
    model = for_tokens(model, x)
    if backend == "auto":
        ok = [b for b in _REGISTRY.values()
              if b.applies(model, x) and (b.faster is None or b.faster(model, x))]
        return max(ok, key=lambda b: b.priority)
    chosen = _REGISTRY[backend]
    if not chosen.applies(model, x):
        why = chosen.reason(model, x) if chosen.reason is not None else ""
        raise fail("backend", backend, f"does not apply to {model!r}: {why + '; ' if why else ''}"
                   f"it needs {chosen.requires}", 'use backend="auto"')
    return chosen


class _Lazy:
    """A function of a built-in backend module, imported at the first call."""

    def __init__(self, module: str, attr: str) -> None:
        self.module, self.attr = module, attr

    def __call__(self, *args: Any, **options: Any) -> Any:   # forwards to an explicit signature
        return getattr(importlib.import_module(f"{__package__}.{self.module}"), self.attr)(*args, **options)

    def __repr__(self) -> str:
        return f"attnflow.backends.{self.module}.{self.attr}"


def _always(model: AttentionModel, x: np.ndarray) -> bool:
    return True


register_backend(Backend("dense", _Lazy("dense", "prepare"), _always, priority=0, options=("block",),
                         requires="nothing"))
register_backend(Backend("spectral", _Lazy("spectral", "prepare"), _Lazy("spectral", "supports"), 10,
                         _Lazy("spectral", "faster"), options=("block",),
                         requires="one head with A = V = I, no mask, d in (2, 3) and a beta whose "
                                  "expansion fits attnflow.backends.spectral.MAX_ORDER (|beta| <= 3.18e6 "
                                  "on S^1, 2.7e3 on S^2)",
                         reason=_Lazy("spectral", "reason")))
register_backend(Backend("numba", _Lazy("numba_dense", "prepare"), _Lazy("numba_dense", "applies"), 5,
                         _Lazy("numba_dense", "faster"), requires="a finite beta"))
# optional: PyTorch (the [gpu] extra); applies wherever torch is importable, auto-picked only on CUDA
# (torch_backend answers both without importing torch on CPU-only builds)
register_backend(Backend("torch", _Lazy("torch_backend", "prepare"), _Lazy("torch_backend", "available"), 1,
                         _Lazy("torch_backend", "cuda_available"), options=("device", "block"),
                         requires="PyTorch (pip install 'attnflow[gpu]')"))
