"""Argument checks and small helpers shared by the modules of :mod:`attnflow.observables`.

One wording for each recurring argument (the model, the points, ``block``, ``tol``) and the
loop that maps a one-configuration function over a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import fail, finite_float, instance, integer, real_array

__all__ = ["BLOCK_ENTRIES", "EPS", "block_rows", "default_rows", "model_arg", "per_item", "points",
           "tolerance"]

#: entries of one block of temporary values (2^19 float64 = 4 MiB)
BLOCK_ENTRIES = 1 << 19
#: float64 machine epsilon
EPS = float(np.finfo(np.float64).eps)


def default_rows(n: int) -> int:
    """Rows per block for n points when the caller passes ``block=None`` (about 2^19 entries)."""
    from ..backends.dense import default_block

    return default_block(n)


def model_arg(model: Any) -> AttentionModel:
    """An :class:`attnflow.AttentionModel`."""
    return instance("model", model, AttentionModel, "build one with attnflow.AttentionModel(d=..., beta=...)")


def points(x: Any, d: int | None = None, name: str = "x") -> np.ndarray:
    """x as a C-contiguous finite float64 array of shape (n, d) or (B, n, d), n >= 1, d >= 2.

    The points need not lie on the sphere: an observable measures what it is given. With
    ``d`` given, the last axis must equal it (the model's dimension).
    """
    want = "(n, d) or (B, n, d)" if d is None else f"(n, {d}) or (B, n, {d})"
    arr = np.ascontiguousarray(real_array(name, x, fix=f"pass a float array of shape {want}", ndim=(2, 3),
                                          copy=False))
    if d is not None and arr.shape[-1] != d:
        raise fail(name, arr, f"has last axis {arr.shape[-1]} but the model has d={d}",
                   f"pass points of shape {want}")
    if arr.shape[-1] < 2:
        raise fail(name, arr, f"has last axis {arr.shape[-1]}; points of S^(d-1) need d >= 2",
                   "pass points of shape (n, d) with d >= 2")
    if arr.shape[-2] == 0:
        raise fail(name, arr, "holds no particles", "pass at least one point")
    return arr


def block_rows(block: Any) -> int | None:
    """``block``: a positive number of rows per block, or None for the default."""
    if block is None:
        return None
    return integer("block", block, 1, fix="pass a positive number of rows, e.g. block=256, "
                   "or None for the default")


def tolerance(tol: Any) -> float:
    """The closeness tolerance: pairs are close when <x_i, x_j> >= 1 - tol, tol in (0, 2)."""
    tol = finite_float("tol", tol, fix="pass a tolerance in (0, 2), e.g. tol=1e-3")
    if not 0 < tol < 2:
        raise fail("tol", tol, "must lie in (0, 2) (pairs count as close when "
                   "<x_i, x_j> >= 1 - tol)", "pass e.g. tol=1e-3")
    return tol


def per_item(fn: Callable[[np.ndarray], float], x: np.ndarray) -> float | np.ndarray:
    """fn on one configuration (n, d) -> float, or on each member of a batch -> (B,)."""
    if x.ndim == 2:
        return fn(x)
    return np.array([fn(xb) for xb in x], dtype=np.float64)
