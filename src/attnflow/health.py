"""Numerical health of a simulation: checks before and during a run that report, never hide.

- :func:`check_step`: before the run, a step h with h max|y(x0)| beyond the scheme's stability
  interval on the negative real axis (2 for Euler and the layer scheme, 2.785 for RK4) is a
  :class:`StepSizeWarning`: the attention output y sets the stiffness of the field (its Jacobian
  has the eigenvalue -<x, y> in the tangent directions).
- :class:`EnergyCheck`: where the flow is a gradient flow of the interaction energy
  (:attr:`attnflow.AttentionModel.gradient_flow`), the energy is checked at every save; a
  decrease beyond rounding is a :class:`NumericalWarning` and the run's status becomes
  ``"suspect"`` instead of ``"complete"``.
- :func:`estimate_memory`: a run whose results cannot fit in memory (or on the store's disk) is
  refused before it starts, with the number.
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from .model import AttentionModel
from .solve import Monitor, field_scale
from .validation import fail

__all__ = ["ENERGY_CHECK_MEMBERS", "ENERGY_CHECK_PAIRS", "ENERGY_RTOL", "EnergyCheck", "NumericalWarning",
           "StepSizeWarning", "check_step", "estimate_memory"]

#: relative decrease of the energy between saves that counts as a numerical failure
ENERGY_RTOL = 1e-9
#: batch members whose energy is checked when the energy was not asked for (the check's cost)
ENERGY_CHECK_MEMBERS = 4
#: below this many pair interactions per save (B n^2) the energy is checked even if not asked for
ENERGY_CHECK_PAIRS = 1 << 24


class StepSizeWarning(UserWarning):
    """The step is beyond the scheme's stability interval for the field's scale."""


class NumericalWarning(UserWarning):
    """A run broke an invariant of the flow (e.g. the energy of a gradient flow decreased)."""


def check_step(field, solver, t0: float, x: np.ndarray, dt: float, adaptive: bool) -> None:
    """Warn when h max|y(x0)| exceeds the scheme's stability interval (before the run)."""
    if adaptive:
        return
    scale = field_scale(field, t0, x)
    if math.isfinite(scale) and dt * scale > solver.stability_interval:
        warnings.warn(
            f"dt={dt:g} times the size of the attention output at x0 ({scale:.3g}) is {dt * scale:.3g}, "
            f"beyond the stability interval {solver.stability_interval:.3g} of {solver.name!r}: the "
            f"run will be inaccurate or blow up. Fix: dt <= {solver.stability_interval / scale:.3g}, "
            "or method='dopri5'", StepSizeWarning, stacklevel=3)


#: bookkeeping per save besides the data (the time, Python objects, the grid entry), in bytes
_SAVE_OVERHEAD = 256


def estimate_memory(x: np.ndarray, n_saves: int, save_states: bool, n_obs: int,
                     store: str | Path | None) -> None:
    """Refuse a run whose results cannot fit in memory (or on the store's disk), before it starts."""
    per = (x.nbytes if save_states else 0) + 8 * (x.shape[0] if x.ndim == 3 else 1) * n_obs
    need = (per + _SAVE_OVERHEAD) * n_saves
    limit = _memory_limit()
    fix = "save fewer times (a larger save_every), or pass save_states=False and keep observables"
    if need > limit:
        raise fail("save_at", f"{n_saves} save times", f"would keep {need / 2**30:.3g} GiB of results in "
                   f"memory (this machine has {limit / 2**30:.3g} GiB available)", fix)
    if store is not None:
        parent = Path(store).resolve().parent
        free = shutil.disk_usage(parent if parent.exists() else Path.cwd()).free
        if per * n_saves > free:
            raise fail("save_at", f"{n_saves} save times", f"would write {per * n_saves / 2**30:.3g} GiB to "
                       f"the store, more than the {free / 2**30:.3g} GiB free on its disk", fix)


def _memory_limit() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 1 << 40


class EnergyCheck(Monitor):
    """Records decreases of the energy between saves (gradient flows only)."""

    def __init__(self, model: AttentionModel, from_observable: bool):
        self.model, self.from_observable = model, from_observable
        self.last: np.ndarray | None = None
        self.drops = 0
        self.worst = 0.0
        self.first_t: float | None = None

    def on_save(self, t: float, y: np.ndarray, values: dict) -> None:
        if not self.model.spherical:                    # the energy of the directions
            from .schemes import directions

            y = directions(y)
        e = self._level(y, values)
        if self.last is not None:
            drop = self.last - e
            if np.any(drop > ENERGY_RTOL):
                self.drops += 1
                self.worst = max(self.worst, float(drop.max()))
                self.first_t = t if self.first_t is None else self.first_t
        self.last = e

    def _level(self, y: np.ndarray, values: dict) -> np.ndarray:
        """A non-decreasing function of E along the flow, whose differences are relative changes
        of E: sign(beta) log|E| (computed without overflow), or E itself at beta = 0."""
        from .observables import energy, log_energy

        beta = self.model.beta
        if self.from_observable:
            e = np.atleast_1d(np.asarray(values["energy"], dtype=np.float64))
            with np.errstate(divide="ignore", invalid="ignore"):
                return e if beta == 0 else np.sign(beta) * np.log(np.abs(e))
        if y.ndim == 3:
            y = y[:ENERGY_CHECK_MEMBERS]          # a sample of the batch: a too large step shows in any
        if beta == 0:
            return np.atleast_1d(np.asarray(energy(self.model, y), dtype=np.float64))
        return np.sign(beta) * np.atleast_1d(np.asarray(log_energy(self.model, y), dtype=np.float64))

    def message(self, n_saves: int) -> str | None:
        if not self.drops:
            return None
        return (f"the energy, which this gradient flow cannot decrease, fell at {self.drops} of {n_saves} "
                f"saves (first at t={self.first_t:.6g}, largest relative drop {self.worst:.3g}): the "
                "step is too large for the field. Fix: a smaller dt, or method='dopri5'")


