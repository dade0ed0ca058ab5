"""The one time loop: :func:`solve` integrates any field with any solver and step controller.

    traj = solve(field, y0, t0, t1, solver="rk4", stepsize=ConstantStep(0.01),
                 saveat=SaveAt(ts=np.linspace(t0, t1, 11)))

Each step: the solver returns an ambient state, the field's manifold retracts it, an optional
``stop(t, y)`` condition may end the run (its reason becomes the status), save times record the
state and the statistics of ``saveat``, and monitors see every save and every accepted step
(stores write checkpoints from them, progress bars advance). A stochastic scheme
(:mod:`.sde`) also receives the Brownian increments of the step from ``noise``
(:class:`~attnflow.solve.noise.BrownianIncrements`), addressed by the step's grid index, so a
run resumed from a checkpoint draws the increments of the uninterrupted run.

Floating-point overflow and invalid operations raise inside a step; the error names the time,
the step and h times the size of the field at the last good state, so a step too large for the
field is told apart from a field that overflows by itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import fail
from .controllers import Adaptive, ConstantStep, StateStep
from .saveat import SaveAt
from .solvers import Solver, get_solver

__all__ = ["Checkpoint", "Monitor", "Trajectory", "field_scale", "solve"]


@dataclass(frozen=True)
class Checkpoint:
    """Where a run is: grid ``index`` (fixed steps; 0 otherwise), time ``t``, state ``y``, the
    next step ``h`` and how many save times are already recorded (``n_saved``)."""

    index: int
    t: float
    y: np.ndarray
    h: float
    n_saved: int


@dataclass(eq=False)
class Trajectory:
    """Output of :func:`solve`: saved times (T,), states (T, *shape) or None, statistics
    name -> (T, ...), the status ("complete" or a stop reason), counters and the final point."""

    ts: np.ndarray
    ys: np.ndarray | None
    values: dict[str, np.ndarray]
    status: str
    stats: dict[str, int]
    final: Checkpoint


class Monitor:
    """Hooks called by :func:`solve`; subclasses override what they need."""

    def on_save(self, t: float, y: np.ndarray, values: dict[str, Any]) -> None:
        """After a save time is recorded."""

    def on_step(self, checkpoint: Checkpoint) -> None:
        """After every accepted step (and after the save it may have recorded)."""


def field_scale(field, t: float, y: np.ndarray) -> float:
    """max |output(t, y)| over the entries of the state: the size of one step's increment per
    unit h (for attention: the attention output, whose size also bounds the field's stiffness);
    inf if it cannot be evaluated."""
    try:
        with np.errstate(all="ignore"):
            v = np.max(np.abs(field.output(t, y)))
    except (FloatingPointError, ValueError, OverflowError):
        return math.inf
    return float(v) if math.isfinite(v) else math.inf


def _blowup(exc: BaseException, field, t: float, y: np.ndarray, h: float, step: int) -> FloatingPointError:
    scale = h * field_scale(field, t, y)
    if scale > 0.5:
        cause = (f"h·max|output(y)| = {scale:.3g} at the last good state: the step is too large for the "
                 "field (a step should move the state by much less than 1). Fix: a smaller dt, or an "
                 "adaptive method (method='dopri5')")
    else:
        cause = (f"h·max|output(y)| = {scale:.3g} at the last good state, so the step is not the cause: "
                 "the field itself left the floating-point range. Fix: check the model (for "
                 "attention: normalization='sa', a lower beta or a rescaled A)")
    return FloatingPointError(f"at t={t:.6g} (step {step}, h={h:.3g}): {exc}. {cause}")


class _Run:
    """The loop state shared by the three controller loops."""

    def __init__(self, field, solver: Solver, saveat: SaveAt, saves: np.ndarray, stop, monitors, noise=None):
        self.field, self.solver, self.saveat, self.saves = field, solver, saveat, saves
        self.noise = noise
        self.stop, self.monitors = stop, tuple(monitors)
        self.retract = field.manifold.retract
        self.ts: list[float] = []
        self.ys: list[np.ndarray] = []
        self.values: dict[str, list] = {k: [] for k in saveat.fn}
        self.stats = {"n_steps": 0, "n_rejected": 0, "n_evals": 0}
        self.status = "complete"

    def record(self, t: float, y: np.ndarray) -> None:
        vals = {name: fn(t, y) for name, fn in self.saveat.fn.items()}   # all first: a save is atomic
        for name, v in vals.items():
            self.values[name].append(v)
        self.ts.append(t)
        if self.saveat.states:
            self.ys.append(y.copy())
        for m in self.monitors:
            m.on_save(t, y, vals)

    def accepted(self, cp: Checkpoint) -> None:
        for m in self.monitors:
            m.on_step(cp)

    def try_step(self, t: float, y: np.ndarray, h: float, index: int = 0
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        at_step = getattr(self.field, "at_step", None)     # piecewise-in-time fields (breakpoints)
        field = self.field if at_step is None else at_step(t, h)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            if self.solver.stochastic:
                shape = field.manifold.noise_shape(np.shape(y))
                def draw(pieces: int) -> np.ndarray:
                    return self.noise.increments(index, h, shape, pieces).astype(y.dtype, copy=False)

                y_amb, err = self.solver.step(field, t, y, h, draw)
            else:
                y_amb, err = self.solver.step(field, t, y, h)
            self.stats["n_evals"] += self.solver.stages
            return self.retract(y_amb), (err, y_amb)

    def check_stop(self, t: float, y: np.ndarray) -> bool:
        if self.stop is None:
            return False
        reason = self.stop(t, y)
        if reason:
            self.status = str(reason)
            return True
        return False


def _fixed(run: _Run, ctrl: ConstantStep, y: np.ndarray, t0: float, t1: float, start: Checkpoint | None
           ) -> Checkpoint:
    grid = ctrl.grid(t0, t1, run.saves)
    is_save = np.isin(grid, run.saves)
    i = 0 if start is None else start.index
    k_saved = 0 if start is None else start.n_saved
    if start is None and is_save[0]:
        run.record(float(grid[0]), y)
        k_saved += 1
    cp = Checkpoint(i, float(grid[i]), y, ctrl.dt, k_saved)
    while i < grid.size - 1:
        t, h = float(grid[i]), float(grid[i + 1] - grid[i])
        try:
            y_new, _ = run.try_step(t, y, h, i)
        except FloatingPointError as exc:
            raise _blowup(exc, run.field, t, y, h, i) from None
        i += 1
        run.stats["n_steps"] += 1
        y = y_new
        if run.check_stop(float(grid[i]), y):
            break
        if is_save[i]:
            run.record(float(grid[i]), y)
            k_saved += 1
        cp = Checkpoint(i, float(grid[i]), y, ctrl.dt, k_saved)
        run.accepted(cp)
    return cp


def _adaptive(run: _Run, ctrl: Adaptive, y: np.ndarray, t0: float, t1: float, dt: float,
              start: Checkpoint | None) -> Checkpoint:
    solver = run.solver
    if not solver.adaptive:
        raise fail("method", solver.name, "has no embedded error estimate, so it cannot adapt its step",
                   "use an embedded pair (dopri5, bosh3) or a ConstantStep controller")
    t = t0 if start is None else start.t
    h = dt if start is None else start.h
    k_save = 0 if start is None else start.n_saved
    if start is None and run.saves[0] == t0:
        run.record(t0, y)
        k_save = 1
    eps = 1e-12 * max(1.0, abs(t1))
    cp = Checkpoint(0, t, y, h, k_save)
    trials = 0
    breaks = [b for b in ctrl.breakpoints if t0 < b < t1]
    while t < t1 - eps:
        if trials >= ctrl.max_steps:
            raise FloatingPointError(f"at t={t:.6g}: max_steps={ctrl.max_steps} steps were taken before "
                                     f"t1={t1:g}. Fix: loosen rtol/atol, or raise max_steps")
        trials += 1
        target = run.saves[k_save] if k_save < run.saves.size else t1
        target = min([target, *(b for b in breaks if b > t)])
        step = min(h, target - t)
        try:
            y_new, (err_vec, y_amb) = run.try_step(t, y, step)
            err = ctrl.error_norm(y, y_amb, err_vec)
        except FloatingPointError:
            err = math.inf                          # overflow in a trial: reject and shrink
        if err <= 1.0:
            t_new = target if step == target - t else t + step
            y, t = y_new, t_new
            run.stats["n_steps"] += 1
            grow = min(ctrl.max_factor, max(ctrl.min_factor, ctrl.factor(err, solver.error_order)))
            h = max(h * grow, h) if step < h else h * grow     # a step clipped to a save keeps h
            if run.check_stop(t, y):
                break
            if k_save < run.saves.size and t == run.saves[k_save]:
                run.record(t, y)
                k_save += 1
            cp = Checkpoint(0, t, y, h, k_save)
            run.accepted(cp)
        else:
            run.stats["n_rejected"] += 1
            h = step * max(ctrl.min_factor, ctrl.factor(err, solver.error_order))
        if h < ctrl.min_step * max(1.0, abs(t)):
            cause = ("trial steps kept overflowing: the field leaves the floating-point range near "
                     "this state" if not math.isfinite(err) else "the error estimate would not shrink")
            raise FloatingPointError(f"at t={t:.6g}: the adaptive step fell below {ctrl.min_step:g} "
                                     f"({cause}). Fix: loosen rtol/atol, or check the model for a blow-up")
    return cp


def _state(run: _Run, ctrl: StateStep, y: np.ndarray, t0: float, t1: float, start: Checkpoint | None
           ) -> Checkpoint:
    t = t0 if start is None else start.t
    k_save = 0 if start is None else start.n_saved
    if start is None and run.saves[0] == t0:
        run.record(t0, y)
        k_save = 1
    cp = Checkpoint(0, t, y, math.nan, k_save)
    steps = 0
    while k_save < run.saves.size:
        if steps >= ctrl.max_steps:
            raise FloatingPointError(f"at t={t:.6g}: max_steps={ctrl.max_steps} steps were taken. "
                                     "Fix: raise max_steps, or check why the steps became so small")
        target = float(run.saves[k_save])
        h = ctrl.propose(t, y, target)
        try:
            y_new, _ = run.try_step(t, y, h)
        except FloatingPointError as exc:
            raise _blowup(exc, run.field, t, y, h, steps) from None
        y = y_new
        t = target if h == target - t else t + h
        steps += 1
        run.stats["n_steps"] += 1
        if run.check_stop(t, y):
            break
        if t == target:
            run.record(t, y)
            k_save += 1
        cp = Checkpoint(0, t, y, h, k_save)
        run.accepted(cp)
    return cp


def _check_noise(solver: Solver, stepsize, noise) -> None:
    if solver.stochastic and noise is None:
        raise fail("noise", None, f"is required by the stochastic scheme {solver.name!r}",
                   "pass noise=BrownianIncrements(seed)")
    if not solver.stochastic and noise is not None:
        raise fail("noise", noise, f"has no use in the deterministic scheme {solver.name!r}",
                   "drop noise, or use a stochastic scheme (attnflow.solve.SDE_SOLVERS)")
    if solver.stochastic and not isinstance(stepsize, ConstantStep):
        raise fail("stepsize", stepsize, f"is not a ConstantStep, which the stochastic scheme "
                   f"{solver.name!r} needs (its increments are addressed by the grid index)",
                   "pass ConstantStep(dt)")


def solve(field, y0: np.ndarray, t0: float, t1: float, *, solver: str | Solver = "rk4",
          stepsize: ConstantStep | Adaptive | StateStep, saveat: SaveAt | None = None,
          stop: Callable[[float, np.ndarray], str | None] | None = None,
          monitors: Sequence[Monitor] = (), start: Checkpoint | None = None, noise=None) -> Trajectory:
    """Integrate ``field`` from ``y0`` at ``t0`` to ``t1``.

    Parameters
    ----------
    field : an object with ``manifold`` and ``rhs(t, y)`` (:class:`attnflow.fields.Field`).
    y0 : the initial state (any shape the field accepts); it is not validated here.
    t0, t1 : the time interval (t1 > t0).
    solver : a name of :data:`attnflow.solve.SOLVERS` or a :class:`Solver`.
    stepsize : :class:`ConstantStep`, :class:`Adaptive` (needs an embedded pair; the first step
        is ``dt0`` or 1e-2 (t1 - t0)) or :class:`StateStep`. With StateStep the run ends at the
        last save time.
    saveat : save times, states and statistics (:class:`SaveAt`; default: states at t0 and t1).
    stop : optional ``stop(t, y) -> reason or None`` checked after every accepted step; a reason
        ends the run with that status (the state that triggered it is not saved).
    monitors : :class:`Monitor` objects that see every save and accepted step.
    start : a :class:`Checkpoint` to continue from (a resumed run repeats the step sequence of
        the uninterrupted one: bit for bit for ConstantStep).
    noise : the Brownian increments of a stochastic solver
        (:class:`~attnflow.solve.noise.BrownianIncrements`; required by them, refused by the
        others). Stochastic solvers take ConstantStep only (increments are addressed by grid
        index).

    Returns
    -------
    Trajectory with the saves made by this call.

    Raises
    ------
    FloatingPointError when a step overflows (naming t, the step and h max|f|), or when the
    adaptive step underflows or ``max_steps`` is exceeded.
    """
    solver = get_solver(solver)
    saveat = SaveAt() if saveat is None else saveat
    if not t1 > t0:
        raise fail("t1", t1, f"must be greater than t0={t0:g}", "pass a later final time")
    _check_noise(solver, stepsize, noise)
    saves = saveat.times(t0, t1)
    run = _Run(field, solver, saveat, saves, stop, monitors, noise)
    y = y0 if start is None else start.y
    if isinstance(stepsize, ConstantStep):
        final = _fixed(run, stepsize, y, t0, t1, start)
    elif isinstance(stepsize, Adaptive):
        dt = stepsize.dt0 if stepsize.dt0 is not None else 1e-2 * (t1 - t0)
        final = _adaptive(run, stepsize, y, t0, t1, dt, start)
    elif isinstance(stepsize, StateStep):
        final = _state(run, stepsize, y, t0, t1, start)
    else:
        raise fail("stepsize", stepsize, "is not a step controller",
                   "pass ConstantStep(dt), Adaptive(rtol, atol) or StateStep(fn)")
    ys = None
    if saveat.states:
        ys = np.stack(run.ys) if run.ys else np.empty((0, *np.shape(y0)), dtype=np.asarray(y0).dtype)
    values = {k: np.asarray(v) for k, v in run.values.items()}
    return Trajectory(np.asarray(run.ts, dtype=np.float64), ys, values, run.status, run.stats, final)
