"""The one validation layer: every error names the argument, the value, the problem and the fix.

The dialect, used by every module and by the run-file parser:

    ValueError("name=value: what is wrong. Fix: what to do.")

Helpers return the validated value (converted: ``int``, ``float``, a float64 array); they never
cast silently across kinds (a complex array or a bool where a number is expected is an error).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["angles", "check_points", "choice", "fail", "finite_float", "instance", "integer",
           "normalization", "real_array", "rng", "square_matrix"]


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


def integer(name: str, value: Any, minimum: int | None = None, *, fix: str,
            maximum: int | None = None) -> int:
    """``value`` as an ``int`` (NumPy integers accepted; bool and floats are not) within bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise fail(name, value, "is not an integer", fix)
    if minimum is not None and value < minimum:
        raise fail(name, value, f"must be an integer >= {minimum}", fix)
    if maximum is not None and value > maximum:
        raise fail(name, value, f"must be an integer <= {maximum}", fix)
    return int(value)


def choice(name: str, value: Any, choices: tuple[str, ...] | list[str], *, fix: str | None = None) -> str:
    """``value`` if it is one of ``choices`` (strings), else the standard error listing them."""
    if not isinstance(value, str) or value not in choices:
        raise fail(name, value, "is not one of the known values",
                   fix or f"use one of {', '.join(repr(c) for c in choices)}")
    return value


def normalization(value: Any, name: str = "normalization") -> str:
    """The attention normalization: "sa" (softmax) or "usa" (divided by N)."""
    return choice(name, value, ("sa", "usa"),
                  fix='use "sa" (softmax, weights divided by their sum) or "usa" (divided by N)')


def instance(name: str, value: Any, cls: type, fix: str) -> Any:
    """``value`` if it is an instance of ``cls``, else the standard error."""
    if not isinstance(value, cls):
        raise fail(name, value, f"is not a {cls.__name__}", fix)
    return value


def rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """A NumPy Generator from an int seed, a SeedSequence, a Generator or None."""
    if isinstance(seed, bool) or isinstance(seed, float):
        raise fail(name, seed, "is not a valid seed", "pass an int, a numpy Generator or None")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise fail(name, seed, "is not a valid seed", "pass an int, a numpy Generator or None") from None


def real_array(name: str, value: Any, *, fix: str, dtype: Any = np.float64, copy: bool = True,
               ndim: int | tuple[int, ...] | None = None, finite: bool = True) -> np.ndarray:
    """``value`` as a real array of ``dtype``; complex, object or non-numeric input is an error.

    ``ndim`` restricts the number of axes; ``finite`` rejects NaN and inf (naming the first).
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise fail(name, value, "is not a numeric array", fix) from None
    if raw.dtype.kind == "c":
        raise fail(name, value, "is complex; attention dynamics are real",
                   "pass the real part explicitly (numpy.real) if that is what you mean")
    if raw.dtype.kind not in "biuf":
        raise fail(name, value, f"is not a real numeric array (dtype {raw.dtype})", fix)
    arr = np.array(raw, dtype=dtype, copy=True) if copy else np.asarray(raw, dtype=dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise fail(name, value, f"has {arr.ndim} axes (shape {arr.shape}), expected "
                       + " or ".join(str(a) for a in allowed), fix)
    if finite and not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise fail(name, value, f"has a NaN or inf entry at index {bad}", "replace the non-finite values")
    return arr


def angles(name: str, value: Any) -> np.ndarray:
    """Angles (N,) from angles (N,) or from points on S^1 (N, 2); finite, N >= 1."""
    fix = "pass angles of shape (N,) or points on S^1 of shape (N, 2)"
    arr = real_array(name, value, fix=fix, ndim=(1, 2))
    if arr.ndim == 2:
        if arr.shape[1] != 2:
            raise fail(name, arr, f"has shape {arr.shape}", fix)
        pts = check_points(name, arr, 2)
        return np.arctan2(pts[:, 1], pts[:, 0])
    if arr.size == 0:
        raise fail(name, arr, "is empty", "pass at least one angle")
    return arr


def finite_float(name: str, value: Any, *, fix: str, positive: bool = False) -> float:
    """Return ``value`` as a finite float (positive if asked) or raise a clear ValueError."""
    if isinstance(value, (bool, complex, np.complexfloating, str, bytes)):
        raise fail(name, value, "is not a real number", fix)
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
    arr = real_array(name, value, fix=f"pass a ({d}, {d}) real array or None", finite=False)
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
                 atol: float = 1e-8, dtype: Any = None, unit: bool = True) -> np.ndarray:
    """Validate points on S^{d-1}: shape (n, d) or (B, n, d), finite, unit norm.

    Returns a C-contiguous array (float64 unless ``dtype`` says otherwise), normalized if
    ``normalize`` is true. Points off the sphere by more than ``atol`` raise an error naming
    the first offending particle and offering ``normalize=True``. With ``unit=False`` (tokens
    x = r theta of the off-sphere layer-norm schemes) any non-zero norm is accepted.
    """
    dtype = np.float64 if dtype is None else np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise fail("dtype", dtype, "is not supported", "use numpy.float64 (default) or numpy.float32")
    arr = real_array(name, x, fix=f"pass an (n, {d}) or (B, n, {d}) array", dtype=dtype, finite=False)
    if arr.ndim not in (2, 3) or arr.shape[-1] != d:
        raise fail(name, arr, f"has shape {arr.shape}, expected (n, {d}) or (B, n, {d}) for d={d}",
                   f"pass points in R^{d}, one per row (the model's d is {d})")
    if arr.shape[-2] == 0:
        raise fail(name, arr, "holds no particles", "pass at least one point")
    if arr.ndim == 3 and arr.shape[0] == 0:
        raise fail(name, arr, "is a batch of zero systems", "pass at least one configuration")
    finite = np.isfinite(arr).all(axis=-1)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise fail(name, arr, f"has a NaN or inf coordinate at particle index {idx}",
                   "remove or replace the non-finite points")
    norms = np.linalg.norm(arr, axis=-1)
    if normalize or not unit:
        if np.any(norms == 0):
            idx = tuple(int(i) for i in np.argwhere(norms == 0)[0])
            raise fail(name, arr, f"has a zero vector at particle index {idx}",
                       "a token at the origin has no direction (r = 0); remove it or move it off 0")
        if normalize:
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
