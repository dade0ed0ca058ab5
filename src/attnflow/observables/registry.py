"""The registry of observables the integrator records at save times instead of storing states.

- :data:`OBSERVABLES`: name -> observable(model, x), x of shape (n, d) (a float) or (B, n, d)
  (a (B,) array);
- :func:`resolve_observables`: a user's choice (names, dicts of callables) as an ordered dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import fail
from ._common import model_arg, per_item, points
from .clustering import clustering_density, clusters
from .fourier import dominant_mode, order_parameter
from .interaction import energy

__all__ = ["OBSERVABLES", "Observable", "resolve_observables"]

#: an observable of the registry: (model, x of shape (n, d)) -> float
Observable = Callable[[AttentionModel, np.ndarray], "float | np.ndarray"]


def _registry_points(model: AttentionModel, x: Any) -> np.ndarray:
    return points(x, model_arg(model).d)


def _obs_energy(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return energy(model, x)


def _obs_order_parameter(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return order_parameter(_registry_points(model, x), 1)


def _obs_order_parameter_2(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return order_parameter(_registry_points(model, x), 2)


def _obs_clustering_density(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    return clustering_density(_registry_points(model, x), 1e-3)


def _obs_cluster_count(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    x = _registry_points(model, x)
    return per_item(lambda xb: float(clusters(xb, 1e-3).count), x)


def _obs_dominant_mode(model: AttentionModel, x: np.ndarray) -> float | np.ndarray:
    x = _registry_points(model, x)
    if x.shape[-1] != 2:
        raise fail("observables", "dominant_mode", f"needs points on S^1, got d = {x.shape[-1]}",
                   "drop dominant_mode for d > 2 (use order_parameter or cluster_count)")
    return dominant_mode(x)


#: name -> observable(model, x); x of shape (n, d) gives a float ((B, n, d) gives (B,)).
#: "order_parameter_2" (R_2) and "dominant_mode" exist only on S^1; tolerances are tol = 1e-3.
OBSERVABLES: dict[str, Observable] = {
    "energy": _obs_energy,
    "order_parameter": _obs_order_parameter,
    "order_parameter_2": _obs_order_parameter_2,
    "clustering_density": _obs_clustering_density,
    "cluster_count": _obs_cluster_count,
    "dominant_mode": _obs_dominant_mode,
}


def resolve_observables(names_or_callables: Sequence[str | Mapping[str, Observable]]
                        | Mapping[str, Observable] | str | None) -> dict[str, Observable]:
    """Turn a user's choice of observables into an ordered dict name -> callable(model, x).

    Parameters
    ----------
    names_or_callables : a name of :data:`OBSERVABLES`, a sequence of such names, a dict
        name -> callable(model, x) -> float, a sequence mixing names and such dicts, or None
        (no observables). The order given is kept. A name may repeat only with the same
        callable.

    Returns
    -------
    dict name -> callable, a new dict (editing it leaves the registry unchanged).

    Raises
    ------
    ValueError
        Naming the unknown names and listing the valid ones, or the entry that is not a
        name, a dict, or a callable.
    """
    spec = names_or_callables
    if spec is None:
        return {}
    items = [spec] if isinstance(spec, (str, Mapping)) else spec
    try:
        items = list(items)
    except TypeError:
        raise fail("observables", spec, "is not a name, a sequence of names or a dict",
                   f"pass names from {sorted(OBSERVABLES)} or a dict name -> callable(model, x)"
                   ) from None
    out: dict[str, Observable] = {}
    unknown: list[str] = []

    def add(name: str, fn: Observable) -> None:
        if name in out and out[name] is not fn:
            raise fail("observables", name, "is given twice with different callables",
                       "give each observable name once")
        out[name] = fn

    for item in items:
        if isinstance(item, str):
            if item in OBSERVABLES:
                add(item, OBSERVABLES[item])
            else:
                unknown.append(item)
        elif isinstance(item, Mapping):
            for name, fn in item.items():
                if not isinstance(name, str) or not name:
                    raise fail("observables", name, "is not a non-empty string name",
                               "use string keys in the dict name -> callable(model, x)")
                if not callable(fn):
                    raise fail(f"observables[{name!r}]", fn, "is not callable",
                               "map each name to a function (model, x) -> float")
                add(name, fn)
        else:
            raise fail("observables", item, "is neither an observable name nor a dict "
                       "name -> callable(model, x)",
                       f"use names from {sorted(OBSERVABLES)} or a dict")
    if unknown:
        raise fail("observables", unknown, "are unknown observable names",
                   f"use some of {sorted(OBSERVABLES)}, or pass a dict name -> callable(model, x)")
    return out
