"""attnflow: a numerical laboratory for the mean-field theory of transformers.

Tokens are particles on the unit sphere S^{d-1}; a deep stack of attention layers is a flow
in time. See the README and docs/ for the guide, docs/theory/ for the equations.

``import attnflow`` is light (NumPy and the model): the submodules and the heavy entry points
(:func:`simulate`, :func:`velocity`, ``attnflow.theory``, ``attnflow.plot``, ...) are imported
on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .ensembles import random_matrices
from .model import AttentionModel
from .solution import Solution

#: public name -> (module, attribute) imported on first access; attribute None = the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "simulate": ("attnflow.integrate", "simulate"),
    "METHODS": ("attnflow.integrate", "METHODS"),
    "velocity": ("attnflow.backends", "velocity"),
    "attention_output": ("attnflow.backends", "attention_output"),
    **{name: (f"attnflow.{name}", None) for name in (
        "analysis", "backends", "config", "densities", "experiments", "fields", "health", "integrate", "io",
        "manifolds", "meanfield", "observables", "plot", "real", "solve", "sphere", "sweep", "theory",
        "transport", "validation")},
}

__all__ = ["AttentionModel", "Solution", "__version__", "random_matrices", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'attnflow' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    if attr is not None or name not in globals():
        globals()[name] = value                    # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
