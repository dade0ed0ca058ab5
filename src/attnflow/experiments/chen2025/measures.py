"""Measurements shared by the [C] rows: angles to a pole, and PDE runs without resolution warnings."""

from __future__ import annotations

import warnings

import numpy as np

from ...meanfield import ResolutionWarning

__all__ = ["angles_to", "quiet"]


def angles_to(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Geodesic angle of each row of x (..., n, d) to the unit vector e, stable near 0 and pi."""
    c = x @ e
    s = np.linalg.norm(x - c[..., None] * e, axis=-1)
    return np.arctan2(s, c)


def quiet(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with :class:`~attnflow.meanfield.ResolutionWarning` silenced (the
    Eulerian PDEs stop, and say so in their status, once the density concentrates)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResolutionWarning)
        return fn(*args, **kwargs)
