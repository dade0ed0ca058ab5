"""What a run keeps: save times, and states and/or statistics of the state at those times."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..validation import fail

__all__ = ["SaveAt"]


@dataclass(frozen=True, eq=False)
class SaveAt:
    """Save times ``ts`` (hit exactly), whether to keep the states, and statistics ``fn``.

    Parameters
    ----------
    ts : increasing times within [t0, t1], or None for (t0, t1).
    states : keep the state y at every save time.
    fn : name -> callable(t, y) giving a statistic stored at every save time instead of (or
        besides) the state; its value is a scalar or an array of fixed shape.
    """

    ts: np.ndarray | None = None
    states: bool = True
    fn: Mapping[str, Callable[[float, np.ndarray], object]] = field(default_factory=dict)

    def times(self, t0: float, t1: float) -> np.ndarray:
        """The save times as a validated float64 array within [t0, t1]."""
        if self.ts is None:
            return np.array([t0, t1])
        try:
            arr = np.atleast_1d(np.asarray(self.ts, dtype=np.float64))
        except (TypeError, ValueError):
            raise fail("save_at", self.ts, "is not a numeric array",
                       f"pass e.g. numpy.linspace({t0:g}, {t1:g}, 11)") from None
        if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise fail("save_at", self.ts, "must be a non-empty 1-D array of finite times",
                       f"pass e.g. numpy.linspace({t0:g}, {t1:g}, 11)")
        tol = 1e-12 * max(1.0, abs(t1))
        bad = (arr < t0 - tol) | (arr > t1 + tol)
        if np.any(bad):
            raise fail("save_at", arr, f"has times outside [t0, t1] = [{t0:g}, {t1:g}] "
                       f"(first: {arr[bad][0]:g})", "keep every save time within [t0, t1]")
        if np.any(np.diff(arr) <= 0):
            raise fail("save_at", arr, "is not strictly increasing", "sort it and drop duplicates")
        return np.clip(arr, t0, t1)
