"""Time integration of the attention flow on S^{d-1}: steppers and :func:`simulate`.

Schemes (each declares its order; ``tests/test_integrate.py`` measures it):

- ``"layer"`` (order 1): one post-LN transformer layer per step,
  x <- (x + h y) / |x + h y| with y the unprojected attention output. This is the scheme of
  the reference code of [GLPR]; its time axis differs from the flow's by O(h).
- ``"euler"`` (order 1): explicit Euler on the projected field P_x y, then retraction.
- ``"rk4"`` (order 4): classical Runge-Kutta on the projected field, extended to R^d by the
  same formula (the sphere is invariant for the extended field, since
  d|x|^2/dt = 2 (1 - |x|^2) <x, y>), then one retraction per step. The stages are not
  retracted: the RK4 step leaves the sphere by O(h^5) only, so the order is kept.
- ``"dopri5"`` (order 5, adaptive): the Dormand-Prince 5(4) pair with error control
  err = RMS( (y5 - y4) / (atol + rtol |y|) ) <= 1, retraction after each accepted step.

All of them move points with :func:`attnflow.sphere.retract`. The requested save times are
hit exactly: the fixed-step schemes step on the union of the grid t0 + k dt and the save
times, so the step sequence is deterministic and a resumed run repeats it bit for bit.
"""

from __future__ import annotations

import math
import sys
import time as _time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ._version import __version__
from .backends import resolve_backend
from .model import AttentionModel
from .observables import OBSERVABLES, resolve_observables
from .solution import Solution
from .sphere import retract, tangent_project
from .validation import check_points, fail, finite_float

__all__ = ["METHODS", "simulate", "time_grid"]

#: integrator name -> order of accuracy (global error ~ dt^order)
METHODS: dict[str, int] = {"layer": 1, "euler": 1, "rk4": 4, "dopri5": 5}

Field = Callable[[np.ndarray], np.ndarray]


# -- steppers ---------------------------------------------------------------------------------
def _layer_step(output: Field, field: Field, x: np.ndarray, h: float) -> np.ndarray:
    return retract(x + h * output(x))


def _euler_step(output: Field, field: Field, x: np.ndarray, h: float) -> np.ndarray:
    return retract(x + h * field(x))


def _rk4_step(output: Field, field: Field, x: np.ndarray, h: float) -> np.ndarray:
    k1 = field(x)
    k2 = field(x + (0.5 * h) * k1)
    k3 = field(x + (0.5 * h) * k2)
    k4 = field(x + h * k3)
    return retract(x + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4))


_FIXED = {"layer": _layer_step, "euler": _euler_step, "rk4": _rk4_step}

# Dormand-Prince 5(4) tableau
_DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_DP_B5 = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
_DP_B4 = np.array([5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100,
                   1 / 40])
_DP_E = _DP_B5 - _DP_B4


def _dopri5_try(field: Field, x: np.ndarray, h: float, rtol: float, atol: float
                ) -> tuple[np.ndarray, float]:
    """One Dormand-Prince attempt: the 5th-order point (not retracted) and the error norm."""
    ks: list[np.ndarray] = []
    for i in range(7):
        xi = x
        for a, k in zip(_DP_A[i], ks, strict=False):
            if a:
                xi = xi + (h * a) * k
        if i == 6:
            y5 = xi                                    # row 7 of A equals b5 (FSAL tableau)
        ks.append(field(xi))
    err = sum((h * e) * k for e, k in zip(_DP_E, ks, strict=False) if e)
    scale = atol + rtol * np.maximum(np.abs(x), np.abs(y5))
    return y5, float(np.sqrt(np.mean((err / scale) ** 2)))


# -- time grid --------------------------------------------------------------------------------
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


# -- validation -------------------------------------------------------------------------------
def _check_save_at(save_at, t0: float, t1: float) -> np.ndarray:
    if save_at is None:
        return np.array([t0, t1])
    arr = np.atleast_1d(np.asarray(save_at, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise fail("save_at", save_at, "must be a non-empty 1-D array of finite times",
                   f"pass e.g. numpy.linspace({t0:g}, {t1:g}, 11)")
    tol = 1e-12 * max(1.0, abs(t1))
    bad = (arr < t0 - tol) | (arr > t1 + tol)
    if np.any(bad):
        raise fail("save_at", arr, f"has times outside [t0, t1] = [{t0:g}, {t1:g}] "
                   f"(first: {arr[bad][0]:g})", "keep every save time within [t0, t1]")
    if np.any(np.diff(arr) <= 0):
        raise fail("save_at", arr, "is not strictly increasing", "sort it and drop duplicates")
    return np.clip(arr, t0, t1)


def _progress_bar(enabled: bool | None, total: float):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]attnflow[/] t={task.fields[t]:.4g}"), BarColumn(),
                   TextColumn("{task.percentage:>5.1f}%"), TimeRemainingColumn(),
                   transient=True)
    bar.start()
    bar.add_task("run", total=total, t=0.0)
    return bar


# -- the entry point --------------------------------------------------------------------------
def simulate(
    model: AttentionModel,
    x0,
    t1: float,
    dt: float,
    method: str = "rk4",
    save_at: Sequence[float] | np.ndarray | None = None,
    *,
    t0: float = 0.0,
    observables: Sequence[str] | dict[str, Callable] = (),
    save_states: bool = True,
    backend: str = "auto",
    normalize: bool = False,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    store: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    seed: int | None = None,
    flush_seconds: float = 5.0,
) -> Solution:
    """Integrate the attention flow dx_i/dt = P_{x_i} y_i from ``x0`` over [t0, t1].

    Parameters
    ----------
    model : AttentionModel
    x0 : (n, d) or (B, n, d) array of points on S^{d-1} (float64; float32 allowed).
        A batch of B configurations evolves independently; with fixed-step methods each
        member equals its own single run bit for bit (the adaptive method shares steps).
    t1 : final time (> t0).
    dt : step (fixed-step methods) or initial step (``"dopri5"``), > 0.
    method : one of ``METHODS``: "layer", "euler", "rk4", "dopri5".
    save_at : times in [t0, t1] at which to save, hit exactly; default [t0, t1].
    observables : names from ``attnflow.observables.OBSERVABLES`` (or a dict name ->
        callable(model, x)) computed at every save time; values of shape (T,) or (T, B).
    save_states : store the states x at save times (set False for large n and keep only
        observables).
    backend : velocity backend ("auto" picks the fastest exact one; recorded in metadata).
    normalize : project ``x0`` onto the sphere instead of rejecting points off it.
    rtol, atol : tolerances of the adaptive method.
    store : path of a Zarr store written as the run goes (see :class:`attnflow.io.RunStore`).
    resume : continue the run found in ``store`` (must have been started with the same
        model, method, dt, times and initial shape); the result equals an uninterrupted run.
    progress : show a rich progress bar (None: only when stderr is a terminal).
    seed : recorded in the metadata (the seed that produced ``x0``).
    flush_seconds : how often a store is flushed (wall-clock seconds).

    Returns
    -------
    Solution with ``t`` (T,), ``x`` (T, n, d) / (T, B, n, d) or None, ``observables``.

    Raises
    ------
    ValueError for bad arguments (naming the argument, the value and the fix);
    FloatingPointError when the state becomes non-finite or the USA field overflows.
    """
    if not isinstance(model, AttentionModel):
        raise fail("model", model, "is not an AttentionModel", "build one with af.AttentionModel")
    if method not in METHODS:
        raise fail("method", method, "is not a known integrator", f"use one of {list(METHODS)}")
    t0 = finite_float("t0", t0, fix="pass a finite start time")
    t1 = finite_float("t1", t1, fix="pass a finite final time")
    if t1 <= t0:
        raise fail("t1", t1, f"must be greater than t0={t0:g}", "pass a later final time")
    dt = finite_float("dt", dt, fix="pass a positive step, e.g. dt=0.01", positive=True)
    rtol = finite_float("rtol", rtol, fix="pass e.g. rtol=1e-8", positive=True)
    atol = finite_float("atol", atol, fix="pass e.g. atol=1e-10", positive=True)
    dtype = np.float32 if getattr(x0, "dtype", None) == np.float32 else np.float64
    x = check_points("x0", x0, model.d, normalize=normalize, dtype=dtype)
    saves = _check_save_at(save_at, t0, t1)
    obs_fns = resolve_observables(observables)
    if not save_states and not obs_fns:
        raise fail("save_states", save_states, "is False and no observables were asked for, "
                   "so the run would record nothing", "pass observables=[...] or save_states=True")
    chosen = resolve_backend(model, x, backend)

    def output(z: np.ndarray) -> np.ndarray:
        return chosen.output(model, z)

    def field(z: np.ndarray) -> np.ndarray:
        return tangent_project(z, chosen.output(model, z))

    metadata = {"seed": seed, "backend": chosen.name, "t0": t0, "t1": t1,
                "attnflow_version": __version__, "order": METHODS[method],
                "rtol": rtol if method == "dopri5" else None,
                "atol": atol if method == "dopri5" else None}
    run = _Run(model, method, dt, x, saves, obs_fns, save_states, metadata, output, field)
    if store is not None:
        run.attach_store(Path(store), resume, flush_seconds)
    elif resume:
        raise fail("resume", resume, "needs a store to resume from", "pass store=PATH")
    return run.execute(t0, t1, rtol, atol, progress)


class _Run:
    """State of one simulation: the loop, the saved data, the optional store."""

    def __init__(self, model, method, dt, x, saves, obs_fns, save_states, metadata, output,
                 field):
        self.model, self.method, self.dt = model, method, dt
        self.x = x
        self.saves = saves
        self.obs_fns = obs_fns
        self.save_states = save_states
        self.metadata = metadata
        self.output, self.field = output, field
        self.t_saved: list[float] = []
        self.x_saved: list[np.ndarray] = []
        self.obs_saved: dict[str, list] = {k: [] for k in obs_fns}
        self.store = None
        self.start_index = 0
        self.start_t: float | None = None
        self.start_h = dt
        self.n_evals = 0
        self._checkpoint: tuple | None = None

    # -- store ---------------------------------------------------------------------------
    def attach_store(self, path: Path, resume: bool, flush_seconds: float) -> None:
        from .io import RunStore, load

        if resume and path.exists():
            store, cp = RunStore.open(path, flush_seconds)
            self._check_resumable(store, cp, path)
            self.x = cp["x"].astype(self.x.dtype)
            self.start_index, self.start_t, self.start_h = cp["index"], cp["t"], cp["h"]
            if store.n_saved:
                prev = load(path)
                self.t_saved = list(prev.t)
                if prev.x is not None:
                    self.x_saved = list(prev.x)
                for k in self.obs_fns:
                    self.obs_saved[k] = list(prev.observables[k])
            self.metadata["resumed_from"] = cp["t"]
            self.store = store
        else:
            self.store = RunStore.create(path, self.model, self.method, self.dt, self.x,
                                         self.save_states, list(self.obs_fns), self.metadata,
                                         flush_seconds)

    def _check_resumable(self, store, cp, path: Path) -> None:
        meta = cp["metadata"]
        checks = [
            ("model", store.model == self.model),
            ("method", store.method == self.method),
            ("dt", store.dt == self.dt),
            ("t0", meta.get("t0") == self.metadata["t0"]),
            ("t1", meta.get("t1") == self.metadata["t1"]),
            ("x0 shape", tuple(store.state_shape) == self.x.shape),
            ("observables", list(store.observables) == list(self.obs_fns)),
            ("save_states", store.save_states == self.save_states),
            ("save_at", np.array_equal(cp["saved_t"], self.saves[: cp["saved_t"].size])),
        ]
        for what, ok in checks:
            if not ok:
                raise fail("store", str(path), f"holds a run whose {what} differs from this call",
                           "resume with the same arguments, or start a new store")

    # -- saving --------------------------------------------------------------------------
    def record(self, t: float, x: np.ndarray) -> None:
        obs = {}                                   # all computed first: a save is atomic
        for name, fn in self.obs_fns.items():
            if x.ndim == 3 and fn is OBSERVABLES.get(name):      # the registry takes whole batches
                obs[name] = np.asarray(fn(self.model, x), dtype=np.float64).reshape(x.shape[0])
            elif x.ndim == 3:                                     # a user's callable: one by one
                obs[name] = np.array([fn(self.model, xb) for xb in x], dtype=np.float64)
            else:
                obs[name] = float(fn(self.model, x))
        for name, value in obs.items():
            self.obs_saved[name].append(value)
        self.t_saved.append(t)
        if self.save_states:
            self.x_saved.append(x.copy())
        if self.store is not None:
            self.store.append(t, x, obs)

    # -- the loop ------------------------------------------------------------------------
    def execute(self, t0: float, t1: float, rtol: float, atol: float, progress) -> Solution:
        bar = _progress_bar(progress, t1 - t0)
        start = _time.perf_counter()
        status = "complete"
        try:
            if self.method == "dopri5":
                self._adaptive(t0, t1, rtol, atol, bar)
            else:
                self._fixed(t0, t1, bar)
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException:
            status = "failed"
            raise
        finally:
            if bar is not None:
                bar.stop()
            self.metadata.update(status=status, n_evals=self.n_evals,
                                 wall_time=_time.perf_counter() - start,
                                 state_shape=list(self.x.shape))
            if self.store is not None:
                self.store.flush(self._checkpoint)
                self.store.finish(dict(self.metadata, observables=list(self.obs_fns),
                                       save_states=self.save_states))
        return Solution(
            t=np.asarray(self.t_saved),
            x=np.stack(self.x_saved) if self.save_states else None,
            model=self.model, method=self.method, dt=self.dt,
            observables={k: np.asarray(v) for k, v in self.obs_saved.items()},
            metadata=self.metadata,
        )

    def _evals_per_step(self) -> int:
        return {"layer": 1, "euler": 1, "rk4": 4}[self.method]

    def _fixed(self, t0: float, t1: float, bar) -> None:
        grid = time_grid(t0, t1, self.dt, self.saves)
        is_save = np.isin(grid, self.saves)
        step = _FIXED[self.method]
        x = self.x
        i = self.start_index
        self._checkpoint = (x, grid[i], i, self.dt)
        if i == 0 and is_save[0] and not self.t_saved:
            self.record(grid[0], x)
        per = self._evals_per_step()
        last_bar = _time.monotonic()
        while i < grid.size - 1:
            h = grid[i + 1] - grid[i]
            try:
                with np.errstate(over="raise", invalid="raise"):
                    x = step(self.output, self.field, x, h)
            except FloatingPointError as err:
                raise FloatingPointError(f"at t={grid[i]:.6g} (step {i}): {err}") from None
            i += 1
            self.n_evals += per
            if is_save[i]:
                self.record(grid[i], x)
            self._checkpoint = (x, grid[i], i, self.dt)    # only after the save is recorded
            if self.store is not None and self.store.due():
                self.store.flush(self._checkpoint)
            if bar is not None and _time.monotonic() - last_bar > 0.2:
                bar.update(0, completed=grid[i] - t0, t=grid[i])
                last_bar = _time.monotonic()
        self.x = x
        self.metadata["n_steps"] = int(grid.size - 1)

    def _adaptive(self, t0: float, t1: float, rtol: float, atol: float, bar) -> None:
        x = self.x
        t = t0 if self.start_t is None else self.start_t
        h = self.start_h
        if self.start_t is None and self.saves[0] == t0:
            self.record(t0, x)
        k_save = int(np.searchsorted(self.saves, t, side="right" if self.t_saved else "left"))
        self._checkpoint = (x, t, 0, h)
        accepted = rejected = 0
        eps = 1e-12 * max(1.0, abs(t1))
        while t < t1 - eps:
            target = self.saves[k_save] if k_save < self.saves.size else t1
            step = min(h, target - t)
            try:
                with np.errstate(over="raise", invalid="raise"):
                    y5, err = _dopri5_try(self.field, x, step, rtol, atol)
            except FloatingPointError as exc:
                raise FloatingPointError(f"at t={t:.6g}: {exc}") from None
            self.n_evals += 7
            if not math.isfinite(err):
                raise FloatingPointError(f"at t={t:.6g}: the adaptive step produced NaN/inf. "
                                         "Fix: lower dt or atol/rtol, check beta")
            factor = 0.9 * err ** (-0.2) if err > 0 else 5.0
            if err <= 1.0:
                x_new = retract(y5)
                t_new = target if step == target - t else t + step
                if k_save < self.saves.size and t_new == self.saves[k_save]:
                    self.record(t_new, x_new)
                    k_save += 1
                x, t = x_new, t_new
                accepted += 1
                grow = min(5.0, max(0.2, factor))
                h = max(h * grow, h) if step < h else h * grow   # a clipped step keeps h
            else:
                rejected += 1
                h = step * max(0.2, factor)
            if h < 1e-14 * max(1.0, abs(t)):
                raise FloatingPointError(f"at t={t:.6g}: the adaptive step fell below 1e-14. "
                                         "Fix: loosen rtol/atol, or check for a blow-up")
            self._checkpoint = (x, t, 0, h)
            if self.store is not None and self.store.due():
                self.store.flush(self._checkpoint)
            if bar is not None:
                bar.update(0, completed=t - t0, t=t)
        self.x = x
        self.metadata.update(n_steps=accepted, n_rejected=rejected)
