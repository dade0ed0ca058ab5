"""The saved states of a run, as the analysis functions take them.

:func:`solution_states` reads a non-batched :class:`attnflow.Solution` with saved states;
:func:`states` also takes an array of states (T, n, d).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..solution import Solution
from ..validation import fail, real_array

__all__ = ["solution_states", "states", "time_range"]


def solution_states(sol: Any, name: str = "sol") -> tuple[np.ndarray, np.ndarray]:
    """(t, x) of a non-batched Solution with saved states, x of shape (T, n, d)."""
    if not isinstance(sol, Solution):
        raise fail(name, sol, "is not an attnflow.Solution",
                   "pass the result of attnflow.simulate(...)")
    if sol.x is None:
        raise fail(name, sol, "has no saved states (it was run with save_states=False)",
                   "rerun simulate(..., save_states=True)")
    x = np.asarray(sol.x, dtype=np.float64)
    if x.ndim == 4:
        raise fail(name, sol, f"is batched (states of shape {x.shape}); the analysis takes one "
                   "configuration", "select a member, e.g. mode_amplitudes(sol.x[:, b], K) or "
                   "build a Solution from sol.x[:, b]")
    return np.asarray(sol.t, dtype=np.float64), x


def states(sol_or_x: Any, name: str = "sol_or_x") -> tuple[np.ndarray, np.ndarray]:
    """(t, x (T, n, d)) from a Solution or an array (T, n, d) (t = 0..T-1 for arrays)."""
    if isinstance(sol_or_x, Solution):
        return solution_states(sol_or_x, name)
    fix = "pass a Solution or an array of shape (T, n, d); for one configuration use x[None]"
    x = real_array(name, sol_or_x, fix=fix, copy=False)
    if x.ndim != 3 or x.shape[-1] < 2 or x.shape[1] == 0 or x.shape[0] == 0:
        raise fail(name, x, f"has shape {x.shape}, expected (T, n, d) with d >= 2", fix)
    return np.arange(x.shape[0], dtype=np.float64), x


def time_range(name: str, value: Any, fix: str) -> tuple[float, float]:
    """A pair of times (t0, t1) as floats (e.g. a fit window or a range of saved times)."""
    try:
        t0, t1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise fail(name, value, "is not a pair of times", fix) from None
    return t0, t1
