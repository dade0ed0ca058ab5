"""Private validation helpers: every error names the argument, the value and the fix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__: list[str] = []


def _short(value: Any) -> str:
    """A short, readable rendering of a value for an error message."""
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return f"array({np.array2string(value, precision=4, separator=', ')})".replace("\n", "")
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(name: str, value: Any, problem: str, fix: str) -> ValueError:
    """Build the project's standard ValueError: argument, value, problem, fix."""
    return ValueError(f"{name}={_short(value)}: {problem}. Fix: {fix}.")


def finite_float(name: str, value: Any, *, fix: str, positive: bool = False) -> float:
    """Return ``value`` as a finite float (positive if asked) or raise a clear ValueError."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise fail(name, value, "is not a real number", fix) from None
    if not math.isfinite(out):
        raise fail(name, value, "is not finite", fix)
    if positive and out <= 0:
        raise fail(name, value, "must be > 0", fix)
    return out


def square_matrix(name: str, value: Any, d: int) -> np.ndarray | None:
    """Validate an optional (d, d) finite matrix; return a read-only float64 copy or None."""
    if value is None:
        return None
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, value, "is not a numeric array", f"pass a ({d}, {d}) real array or None") from None
    if arr.shape != (d, d):
        raise fail(
            name, value, f"has shape {arr.shape} but the model has d={d}",
            f"pass a ({d}, {d}) array, or None for the identity",
        )
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise fail(name, value, f"has a non-finite entry at {tuple(int(i) for i in bad)}",
                   "replace NaN/inf entries with finite values")
    arr.setflags(write=False)
    return arr


def check_points(name: str, x: Any, d: int, *, normalize: bool = False,
                 atol: float = 1e-8, dtype: Any = None) -> np.ndarray:
    """Validate points on S^{d-1}: shape (n, d) or (B, n, d), finite, unit norm.

    Returns a C-contiguous array (float64 unless ``dtype`` says otherwise), normalized if
    ``normalize`` is true. Points off the sphere by more than ``atol`` raise an error naming
    the first offending particle and offering ``normalize=True``.
    """
    dtype = np.float64 if dtype is None else np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise fail("dtype", dtype, "is not supported", "use numpy.float64 (default) or numpy.float32")
    try:
        arr = np.array(x, dtype=dtype, copy=True)
    except (TypeError, ValueError):
        raise fail(name, x, "is not a numeric array", f"pass an (n, {d}) or (B, n, {d}) array") from None
    if arr.ndim not in (2, 3) or arr.shape[-1] != d:
        raise fail(name, arr, f"has shape {arr.shape}, expected (n, {d}) or (B, n, {d}) for d={d}",
                   f"pass points in R^{d}, one per row (the model's d is {d})")
    if arr.shape[-2] == 0:
        raise fail(name, arr, "holds no particles", "pass at least one point")
    finite = np.isfinite(arr).all(axis=-1)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise fail(name, arr, f"has a NaN or inf coordinate at particle index {idx}",
                   "remove or replace the non-finite points")
    norms = np.linalg.norm(arr, axis=-1)
    if normalize:
        if np.any(norms == 0):
            idx = tuple(int(i) for i in np.argwhere(norms == 0)[0])
            raise fail(name, arr, f"has a zero vector at particle index {idx}",
                       "zero cannot be normalized onto the sphere; remove it")
        arr /= norms[..., None]
        return arr
    off = np.abs(norms - 1.0)
    tol = max(atol, 10 * np.finfo(dtype).eps)
    if np.any(off > tol):
        idx = tuple(int(i) for i in np.argwhere(off > tol)[0])
        raise fail(
            name, arr,
            f"is not on the unit sphere: particle {idx} has norm {norms[idx]:.6g} "
            f"({int((off > tol).sum())} points off by more than {tol:g})",
            "pass normalize=True to project the points onto the sphere, or normalize them yourself",
        )
    return arr
