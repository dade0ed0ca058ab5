"""The attention vector field and its registry of exact evaluators.

``velocity(model, x)`` returns P_x y, the tangent field of the flow; ``attention_output``
returns y itself (what one transformer layer adds before normalization). Every backend
computes the same exact field; ``backend="auto"`` picks the fastest one that applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model import AttentionModel
from ..sphere import tangent_project
from ..validation import check_points, fail
from . import dense, spectral

__all__ = ["Backend", "attention_output", "backends", "register_backend", "resolve_backend",
           "velocity"]


@dataclass(frozen=True)
class Backend:
    """An exact evaluator of the attention output.

    Attributes
    ----------
    name : str
    output : callable (model, x) -> y, x of shape (n, d) or (B, n, d), y of the same shape
    applies : callable (model, x) -> bool, whether this backend can evaluate the case
    priority : int, higher is preferred by ``backend="auto"`` among those that apply
    faster : optional callable (model, x) -> bool; when given, ``backend="auto"`` considers
        this backend only where it also returns True (an explicit ``backend=name`` needs
        ``applies`` only)
    """

    name: str
    output: Callable[[AttentionModel, np.ndarray], np.ndarray]
    applies: Callable[[AttentionModel, np.ndarray], bool]
    priority: int = 0
    faster: Callable[[AttentionModel, np.ndarray], bool] | None = None


_REGISTRY: dict[str, Backend] = {}


def register_backend(backend: Backend) -> None:
    """Add (or replace) a backend in the registry."""
    _REGISTRY[backend.name] = backend


def backends() -> tuple[str, ...]:
    """Names of the registered backends."""
    return tuple(_REGISTRY)


register_backend(Backend("dense", dense.attention_output, lambda m, x: True, priority=0))
register_backend(Backend("spectral", spectral.attention_output, spectral.supports, 10, spectral.faster))

try:                                  # optional: Numba, the fused dense kernel (not registered without it)
    from . import numba_dense
except ImportError:
    numba_dense = None
if numba_dense is not None:
    register_backend(Backend("numba", numba_dense.attention_output, numba_dense.applies, 5,
                             numba_dense.faster))


def _torch_importable(model: AttentionModel, x: np.ndarray) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _torch_output(model: AttentionModel, x: np.ndarray) -> np.ndarray:
    # torch_backend imports torch only inside its functions
    from . import torch_backend

    return torch_backend.attention_output(model, x)


def _torch_faster(model: AttentionModel, x: np.ndarray) -> bool:
    from . import torch_backend

    return torch_backend.cuda_available()            # CPU-only builds: answered without importing torch


# optional: PyTorch (the [gpu] extra); applies wherever torch is importable, auto-picked only on CUDA
register_backend(Backend("torch", _torch_output, _torch_importable, 1, _torch_faster))


def resolve_backend(model: AttentionModel, x: np.ndarray, backend: str = "auto") -> Backend:
    """The backend that ``backend`` names, or the preferred applicable one for "auto"."""
    if backend == "auto":
        ok = [b for b in _REGISTRY.values()
              if b.applies(model, x) and (b.faster is None or b.faster(model, x))]
        return max(ok, key=lambda b: b.priority)
    if backend not in _REGISTRY:
        raise fail("backend", backend, "is not a registered backend",
                   f'use "auto" or one of {sorted(_REGISTRY)}')
    chosen = _REGISTRY[backend]
    if not chosen.applies(model, x):
        raise fail("backend", backend, f"does not apply to {model!r}", 'use backend="auto"')
    return chosen


def _prepare(model: AttentionModel, x, normalize: bool) -> np.ndarray:
    if not isinstance(model, AttentionModel):
        raise fail("model", model, "is not an AttentionModel", "build one with af.AttentionModel(...)")
    dtype = getattr(x, "dtype", np.float64)
    dtype = np.float32 if dtype == np.float32 else np.float64
    return check_points("x", x, model.d, normalize=normalize, dtype=dtype)


def attention_output(model: AttentionModel, x, backend: str = "auto", *,
                     normalize: bool = False) -> np.ndarray:
    """Unprojected attention output y_i (see :mod:`attnflow.velocity.dense` for the formula).

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) or (B, n, d) array of points on S^{d-1} (float64, or float32 to trade digits
        for speed).
    backend : "auto" or a registered backend name.
    normalize : project ``x`` onto the sphere first instead of rejecting points off it.
    """
    x = _prepare(model, x, normalize)
    return resolve_backend(model, x, backend).output(model, x)


def velocity(model: AttentionModel, x, backend: str = "auto", *,
             normalize: bool = False) -> np.ndarray:
    """The tangent field dx_i/dt = P_{x_i} y_i of the attention flow, same shape as ``x``."""
    x = _prepare(model, x, normalize)
    y = resolve_backend(model, x, backend).output(model, x)
    return tangent_project(x, y)
