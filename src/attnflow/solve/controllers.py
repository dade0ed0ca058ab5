"""Step-size controllers: how the driver chooses the next step.

- :class:`ConstantStep` (``dt``): the step boundaries are the union of the grid t0 + k dt and
  the save times (:func:`time_grid`), so save times are hit exactly, no step is shorter than
  1e-9 dt, and the sequence is deterministic: a resumed run repeats it bit for bit.
- :class:`Adaptive` (``rtol``, ``atol``): error-per-step control of an embedded pair, with
  err = RMS( e / (atol + rtol max(|y|, |y_new|)) ), accepted when err <= 1, and the next step
  h (safety err^(-1/(q+1))) clipped to [min_factor, max_factor] h, q the embedded order
  (Hairer-Norsett-Wanner I, II.4). A trial step that overflows is rejected and shrunk by
  ``min_factor``, as ``scipy.integrate.solve_ivp`` does, instead of aborting the run.
- :class:`StateStep` (``fn``): h = fn(t, y) each step (a CFL number or a growth-rate bound of a
  PDE solver), clipped so that save times are hit exactly.

``breakpoints`` (ConstantStep, Adaptive) are times where the field changes its formula (e.g.
Mix-LN's switch): steps end on them, as on save times, without saving there.

Every controller has ``max_steps``; a run that would need more stops before it starts (fixed
grids) or when it reaches it, with an error naming the number and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..validation import fail, finite_float, integer

__all__ = ["DEFAULT_MAX_STEPS", "Adaptive", "ConstantStep", "StateStep", "time_grid"]

#: default cap on the number of steps of one run (about a day of the cheapest field)
DEFAULT_MAX_STEPS = 10_000_000


def _breakpoints(value) -> tuple[float, ...]:
    """Times where the field changes (a step never straddles one), sorted floats."""
    return tuple(sorted(finite_float("breakpoints", b, fix="pass finite times") for b in value))


def _max_steps(value) -> int:
    return integer("max_steps", value, 1, fix="pass a positive number of steps, e.g. max_steps=10**7")


@dataclass(frozen=True)
class ConstantStep:
    """Fixed steps ``dt`` on the grid {t0 + k dt} merged with the save times."""

    dt: float
    max_steps: int = DEFAULT_MAX_STEPS
    breakpoints: tuple[float, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "dt", finite_float("dt", self.dt, fix="pass a positive step, e.g. dt=0.01",
                                                    positive=True))
        object.__setattr__(self, "max_steps", _max_steps(self.max_steps))
        object.__setattr__(self, "breakpoints", _breakpoints(self.breakpoints))

    def steps_needed(self, t0: float, t1: float) -> float:
        """How many steps of ``dt`` cover [t0, t1] (a float: it may be astronomically large)."""
        return (t1 - t0) / self.dt

    def grid(self, t0: float, t1: float, saves: np.ndarray) -> np.ndarray:
        """The step boundaries (see :func:`time_grid`), after checking ``max_steps``."""
        need = self.steps_needed(t0, t1)
        if not need <= self.max_steps:
            raise fail("dt", self.dt, f"needs {need:.3g} steps to cover [{t0:g}, {t1:g}], more than "
                       f"max_steps={self.max_steps}", "pass a larger dt, or raise max_steps if the "
                       "run really needs that many steps")
        marks = saves if not self.breakpoints else np.union1d(
            saves, [b for b in self.breakpoints if t0 < b < t1])
        return time_grid(t0, t1, self.dt, marks)


@dataclass(frozen=True)
class Adaptive:
    """Error-per-step control for embedded pairs (see the module docstring)."""

    rtol: float = 1e-8
    atol: float = 1e-10
    dt0: float | None = None
    max_steps: int = DEFAULT_MAX_STEPS
    safety: float = 0.9
    min_factor: float = 0.2
    max_factor: float = 5.0
    min_step: float = 1e-14
    breakpoints: tuple[float, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "breakpoints", _breakpoints(self.breakpoints))
        for name in ("rtol", "atol", "safety", "min_factor", "max_factor", "min_step"):
            object.__setattr__(self, name, finite_float(name, getattr(self, name),
                                                        fix=f"pass a positive {name}", positive=True))
        if self.dt0 is not None:
            object.__setattr__(self, "dt0", finite_float("dt0", self.dt0, fix="pass a positive first step",
                                                         positive=True))
        object.__setattr__(self, "max_steps", _max_steps(self.max_steps))
        if not self.min_factor < 1 < self.max_factor:
            raise fail("min_factor", self.min_factor, f"and max_factor={self.max_factor:g} must bracket 1",
                       "use e.g. min_factor=0.2, max_factor=5")

    def error_norm(self, y: np.ndarray, y_new: np.ndarray, err: np.ndarray) -> float:
        """RMS of err / (atol + rtol max(|y|, |y_new|)); inf if anything is non-finite."""
        scale = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(y_new))
        value = float(np.sqrt(np.mean((err / scale) ** 2)))
        return value if math.isfinite(value) else math.inf

    def factor(self, err: float, error_order: int) -> float:
        """The step multiplier after a trial with error norm ``err`` (before clipping)."""
        if err == 0:
            return self.max_factor
        if not math.isfinite(err):
            return self.min_factor
        return self.safety * err ** (-1.0 / (error_order + 1))


@dataclass(frozen=True)
class StateStep:
    """h = fn(t, y) at each step, clipped to hit the save times.

    ``split_slivers``: when the proposed step covers more than half but not all of the distance
    to the next save time, take half of it (two even steps instead of one step and a sliver).
    """

    fn: Callable[[float, np.ndarray], float]
    max_steps: int = DEFAULT_MAX_STEPS
    split_slivers: bool = False

    def __post_init__(self):
        object.__setattr__(self, "max_steps", _max_steps(self.max_steps))

    def propose(self, t: float, y: np.ndarray, target: float) -> float:
        h = float(self.fn(t, y))
        gap = target - t
        if h >= gap:
            return gap
        if self.split_slivers and h > 0.5 * gap:
            return 0.5 * gap
        if not h > 0:
            raise FloatingPointError(f"at t={t:.6g}: the proposed step {h!r} is not positive")
        return h


def time_grid(t0: float, t1: float, dt: float, save_at: np.ndarray) -> np.ndarray:
    """The step boundaries of a fixed-step run: {t0 + k dt} ∪ save_at ∪ {t1}, sorted.

    Grid points closer than 1e-9 dt to a save time are replaced by it, so no step is
    shorter than 1e-9 dt and every save time is a step boundary.
    """
    nsteps = max(1, math.ceil((t1 - t0) / dt - 1e-9))
    grid = t0 + dt * np.arange(nsteps + 1)
    grid = grid[grid < t1 - 1e-9 * dt]
    marks = np.unique(np.concatenate([save_at, [t1]]))
    pos = np.clip(np.searchsorted(marks, grid), 1, marks.size - 1) if marks.size > 1 else None
    if pos is None:
        near = np.abs(grid - marks[0])
    else:
        near = np.minimum(np.abs(grid - marks[pos - 1]), np.abs(grid - marks[pos]))
    grid = grid[near > 1e-9 * dt]
    return np.unique(np.concatenate([[t0], grid, marks]))
