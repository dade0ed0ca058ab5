"""What the figures of a run read from a :class:`attnflow.Solution` (shared by the run figures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import fail, real_array

if TYPE_CHECKING:  # pragma: no cover
    from ..solution import Solution

__all__ = ["configuration", "model_label", "required_states", "saved_states"]


def saved_states(sol: Solution) -> tuple[np.ndarray | None, str]:
    """States of one configuration (T, n, d) and a note when a batch was reduced to member 0."""
    x = sol.x
    if x is None:
        return None, ""
    x = np.asarray(x)
    if x.ndim == 4:
        return x[:, 0], f" (batch member 0 of {x.shape[1]})"
    return x, ""


def required_states(sol: Solution, name: str) -> tuple[np.ndarray, str]:
    """:func:`saved_states`, or the error naming ``name`` when the run saved no states."""
    states, note = saved_states(sol)
    if states is None:
        raise fail(name, sol, "has no saved states", "rerun simulate(..., save_states=True)")
    return states, note


def model_label(sol: Solution) -> str:
    """One line naming the model and the scheme, e.g. "SA, d = 2, beta = 5, A = V = I; rk4, dt = 0.01"."""
    m = sol.model
    mats = "A = V = I" if m.identity else "general A, V"
    return (f"{m.normalization.upper()}, d = {m.d}, beta = {m.beta:g}, {mats}; "
            f"{sol.method}, dt = {sol.dt:g}")


def configuration(x: Any, name: str = "x", index: int = -1) -> tuple[np.ndarray, str]:
    """One configuration (n, d) from an array (n, d) or a Solution (state ``index``), and a note."""
    from ..solution import Solution

    note = ""
    if isinstance(x, Solution):
        states, note = required_states(x, name)
        t = float(np.asarray(x.t)[index])
        x = states[index]
        note = f"t = {t:g}{note}"
    arr = real_array(name, x, fix="pass points of shape (n, d), or a Solution", copy=False, finite=False)
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.shape[0] == 0:
        raise fail(name, arr, f"has shape {arr.shape}, expected one configuration (n, d), d >= 2",
                   "pass points of shape (n, d), or a Solution")
    return arr, note
