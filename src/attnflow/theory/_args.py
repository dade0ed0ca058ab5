"""Argument checks shared by the modules of :mod:`attnflow.theory` (one wording for each).

Thin wrappers over :mod:`attnflow.validation` that fix the message of each recurring
argument (beta, d, K, the model, points on the sphere).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..model import AttentionModel
from ..validation import check_points, fail, finite_float, instance, integer

__all__ = ["Normalization", "degree", "dimension", "inverse_temperature", "model_arg", "sphere_points"]

Normalization = Literal["sa", "usa"]


def inverse_temperature(beta: Any, *, positive: bool = False) -> float:
    """beta as a finite float (> 0 if ``positive``)."""
    return finite_float("beta", beta, fix="pass a finite inverse temperature, e.g. beta=5.0",
                        positive=positive)


def dimension(d: Any) -> int:
    """The ambient dimension d >= 2 (the sphere is S^{d-1})."""
    return integer("d", d, 2, fix="pass the ambient dimension d >= 2 (d=2 is the circle S^1)")


def degree(K: Any, minimum: int = 0, fix: str = "pass the largest harmonic degree, e.g. K=20") -> int:
    """A harmonic degree (or the largest one) K >= minimum."""
    return integer("K", K, minimum, fix=fix)


def model_arg(model: Any) -> AttentionModel:
    """An :class:`attnflow.AttentionModel`."""
    return instance("model", model, AttentionModel, "build one with attnflow.AttentionModel(d=..., beta=...)")


def sphere_points(x: Any, d: int, name: str = "x") -> np.ndarray:
    """One configuration of points on S^{d-1}, shape (n, d) with n >= 1 (float64 copy)."""
    arr = check_points(name, x, d)
    if arr.ndim != 2:
        raise fail(name, arr, f"has shape {arr.shape}, expected one configuration (n, {d})",
                   "pass one configuration; loop over a batch")
    return arr
