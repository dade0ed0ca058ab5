"""Simulating attention models: :func:`simulate`, built on the solver core :mod:`attnflow.solve`.

``simulate`` validates the arguments, prepares the model's field once (its evaluator), turns
``method``/``dt``/``save_at``/``observables`` into a solver, a step controller and a
:class:`~attnflow.solve.SaveAt`, and attaches a run store (:class:`attnflow.io.RunStore`) as a
monitor that writes saves and checkpoints as the run goes. The schemes are those of
:data:`attnflow.solve.SOLVERS` (``METHODS`` maps each name to its order): fixed steps on the
grid t0 + k dt merged with the save times (exact save times, a deterministic step sequence,
resumed runs equal uninterrupted ones bit for bit), and error control for the embedded pairs
(``"dopri5"``, ``"bosh3"``). A noisy model (``kappa``) is integrated by a stochastic scheme of
:data:`attnflow.solve.SDE_SOLVERS` (``"euler_maruyama"``, ``"strang"``) whose Brownian
increments come from counter-based streams keyed by ``seed``, the batch member and the step
index (:class:`attnflow.solve.BrownianIncrements`): a noisy run is reproducible from its seed
and a resumed one continues the same stream bit for bit.

Numerical health (:mod:`attnflow.health`): a step beyond the scheme's stability interval warns
before the run, an energy decrease of a gradient flow marks the run ``"suspect"`` (the reason in
``metadata["warnings"]``), results that cannot fit in memory are refused before the run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time as _time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ._version import __version__
from .health import (
    ENERGY_CHECK_MEMBERS,
    ENERGY_CHECK_PAIRS,
    EnergyCheck,
    NumericalWarning,
    StepSizeWarning,
    check_step,
    estimate_memory,
)
from .model import AttentionModel
from .observables import OBSERVABLES, resolve_observables
from .schemes import directions
from .solution import Solution
from .solve import (
    SDE_SOLVERS,
    SOLVERS,
    Adaptive,
    BrownianIncrements,
    Checkpoint,
    ConstantStep,
    Monitor,
    SaveAt,
    get_solver,
    solve,
)
from .solve.controllers import DEFAULT_MAX_STEPS, time_grid
from .validation import check_points, fail, finite_float, instance, integer

__all__ = ["METHODS", "NumericalWarning", "StepSizeWarning", "simulate", "time_grid"]

#: integrator name -> order of accuracy (global error ~ dt^order; weak order for the stochastic
#: schemes), from the solver registries (deterministic, then stochastic)
METHODS: dict[str, int] = {name: s.order for name, s in {**SOLVERS, **SDE_SOLVERS}.items()}


def _method(method, model: AttentionModel):
    """The scheme named ``method``, checked against the model (noise needs a stochastic scheme)."""
    if isinstance(method, str) and method not in METHODS:
        raise fail("method", method, "is not a known integrator", f"use one of {list(METHODS)}")
    solver = get_solver(method)
    if model.noisy and not solver.stochastic:
        raise fail("method", solver.name, f"is deterministic but the model has noise (kappa={model.kappa:g})",
                   f"use a stochastic method: {', '.join(SDE_SOLVERS)}")
    if solver.stochastic and not model.noisy:
        raise fail("method", solver.name, "is a stochastic scheme but the model has no noise (kappa=None)",
                   "pass kappa to AttentionModel, or use a deterministic method such as rk4")
    return solver


def _noise_seed(seed, model: AttentionModel) -> int | None:
    if not model.noisy:
        if seed is not None:
            raise fail("seed", seed, "seeds nothing: the model has no noise (kappa=None) and the initial "
                       "state is given", "drop seed, or pass kappa to AttentionModel for a noisy run")
        return None
    if seed is None:
        raise fail("seed", None, f"is required for a noisy model (kappa={model.kappa:g}): it seeds the "
                   "Brownian increments, so the run can be reproduced and resumed", "pass e.g. seed=0")
    return integer("seed", seed, 0, maximum=2**64 - 1, fix="pass an integer seed in [0, 2^64), e.g. seed=0")

def _bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise fail(name, value, "is not True or False", f"pass {name}=True or {name}=False")
    return bool(value)


def _fingerprint(x: np.ndarray) -> str:
    """SHA-256 of the initial state (dtype, shape and bytes): resume refuses another x0."""
    h = hashlib.sha256(f"{x.dtype.str}{x.shape}".encode())
    h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()


def _observable_fns(model: AttentionModel, fns: dict[str, Callable]) -> dict[str, Callable]:
    """name -> callable(t, x) giving a float (single system) or a (B,) array (batch); for the
    off-sphere layer-norm schemes the observables see the directions x / |x|."""

    def wrap(name: str, fn: Callable) -> Callable:
        registry = fn is OBSERVABLES.get(name)

        def value(_t: float, x: np.ndarray):
            if not model.spherical:
                x = directions(x)
            if x.ndim == 3 and registry:                              # the registry takes batches
                out = np.asarray(fn(model, x), dtype=np.float64)
            elif x.ndim == 3:                                         # a user's callable: one by one
                out = np.array([_scalar(name, fn(model, xb)) for xb in x], dtype=np.float64)
            else:
                return _scalar(name, fn(model, x))
            if out.shape != (x.shape[0],):
                raise fail(f"observables[{name!r}]", out, f"returned shape {out.shape} for a batch of "
                           f"{x.shape[0]}", "return one number per configuration")
            return out

        return value

    return {name: wrap(name, fn) for name, fn in fns.items()}


def _scalar(name: str, value) -> float:
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "biuf":
        raise fail(f"observables[{name!r}]", value, f"returned {arr.dtype} of shape {arr.shape}, not one "
                   "real number", "return a float per configuration (store vectors as several observables)")
    return float(arr)


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
    backend_options: Mapping | None = None,
    normalize: bool = False,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_steps: int = DEFAULT_MAX_STEPS,
    store: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    provenance: Mapping | None = None,
    flush_seconds: float = 5.0,
    seed: int | None = None,
) -> Solution:
    """Integrate the attention flow dx_i/dt = P_{x_i} y_i from ``x0`` over [t0, t1].

    Parameters
    ----------
    model : AttentionModel
    x0 : (n, d) or (B, n, d) array of points on S^{d-1} (float64; float32 allowed and kept
        end to end). A batch of B configurations evolves independently; with fixed-step
        methods each member equals its own single run bit for bit (adaptive ones share steps).
    t1 : final time (> t0).
    dt : step (fixed-step methods) or initial step (adaptive methods), > 0.
    method : one of ``METHODS``: "layer", "euler", "midpoint", "heun2", "ssprk3", "rk4", "rk38"
        (fixed steps) or "bosh3", "dopri5" (adaptive); for a noisy model (``kappa``) a stochastic
        scheme, "euler_maruyama" (weak order 1) or "strang" (weak order 2), fixed steps.
    save_at : times in [t0, t1] at which to save, hit exactly; default [t0, t1].
    observables : names from ``attnflow.observables.OBSERVABLES`` (or a dict name ->
        callable(model, x) returning one number) computed at every save time; values of shape
        (T,) or (T, B).
    save_states : store the states x at save times (set False for large n and keep only
        observables).
    backend : velocity backend ("auto" picks the fastest exact one; recorded in metadata).
    backend_options : options of the chosen backend (e.g. ``{"block": 256}``; see
        :func:`attnflow.backends.prepare`); an unknown key is an error naming the known ones.
    normalize : project ``x0`` onto the sphere instead of rejecting points off it.
    rtol, atol : tolerances of the adaptive methods.
    max_steps : the most steps the run may take (fixed steps: checked before it starts).
    store : path of a Zarr store written as the run goes (see :class:`attnflow.io.RunStore`).
    resume : continue the run found in ``store`` (it must have been started with the same
        model, method, dt, times, initial state and provenance); the result equals an
        uninterrupted run.
    progress : show a rich progress bar (None: only when stderr is a terminal).
    provenance : JSON-serializable description of where ``x0`` came from (e.g. ``{"init":
        {"kind": "uniform", "n": 400, "seed": 1}}``), recorded in the metadata and the store.
    flush_seconds : how often a store is flushed (wall-clock seconds).
    seed : the noise seed of a noisy model (required then, an error otherwise: with ``x0`` given
        a deterministic run has nothing to seed). Batch member b draws from the stream (seed, b);
        a single run from (seed, 0), so member 0 of a batch repeats the single run.

    Returns
    -------
    Solution with ``t`` (T,), ``x`` (T, n, d) / (T, B, n, d) or None, ``observables``, and
    ``metadata["status"]``: "complete", or "suspect" when a check of the flow's invariants failed.

    Raises
    ------
    ValueError for bad arguments (naming the argument, the value and the fix);
    FloatingPointError when the state becomes non-finite or the USA field overflows (naming the
    time, the step and whether the step size is the likely cause).
    """
    instance("model", model, AttentionModel, "build one with af.AttentionModel(d=..., beta=...)")
    solver = _method(method, model)
    noise_seed = _noise_seed(seed, model)
    t0 = finite_float("t0", t0, fix="pass a finite start time")
    t1 = finite_float("t1", t1, fix="pass a finite final time")
    if t1 <= t0:
        raise fail("t1", t1, f"must be greater than t0={t0:g}", "pass a later final time")
    dt = finite_float("dt", dt, fix="pass a positive step, e.g. dt=0.01", positive=True)
    rtol = finite_float("rtol", rtol, fix="pass e.g. rtol=1e-8", positive=True)
    atol = finite_float("atol", atol, fix="pass e.g. atol=1e-10", positive=True)
    max_steps = integer("max_steps", max_steps, 1, fix="pass a positive number of steps")
    normalize = _bool("normalize", normalize)
    save_states = _bool("save_states", save_states)
    resume = _bool("resume", resume)
    dtype = np.float32 if getattr(x0, "dtype", None) == np.float32 else np.float64
    # pre-, peri-LN and sqrt-scaling tokens live in R^d (their norms are the initial r_i); the
    # others start on the sphere (Mix-LN starts as post-LN)
    x = check_points("x0", x0, model.d, normalize=normalize, dtype=dtype,
                     unit=model.spherical or model.layernorm == "mix")
    beta_rule = {"beta": "log", "gamma": model.gamma} if isinstance(model.beta, str) else None
    model = model.for_tokens(x.shape[-2])
    saveat_times = SaveAt(save_at).times(t0, t1)
    obs_fns = resolve_observables(observables)
    if not save_states and not obs_fns:
        raise fail("save_states", save_states, "is False and no observables were asked for, "
                   "so the run would record nothing", "pass observables=[...] or save_states=True")
    if provenance is not None and not isinstance(provenance, Mapping):
        raise fail("provenance", provenance, "is not a mapping", 'pass a dict, e.g. {"init": {...}}')
    adaptive = solver.adaptive
    breaks = () if model.layernorm != "mix" else (model.t_switch,)
    stepsize = (Adaptive(rtol, atol, dt0=dt, max_steps=max_steps, breakpoints=breaks) if adaptive
                else ConstantStep(dt, max_steps, breaks))
    if not adaptive:
        stepsize.grid(t0, t1, saveat_times[:1])          # refuses an absurd dt before allocating
    estimate_memory(x, saveat_times.size, save_states, len(obs_fns), store)
    field = model.field(x, backend, None if backend_options is None else dict(backend_options))
    check_step(field, solver, t0, x, dt, adaptive)
    metadata = {"backend": field.backend, "t0": t0, "t1": t1, "attnflow_version": __version__,
                "order": solver.order, "rtol": rtol if adaptive else None,
                "atol": atol if adaptive else None, "x0_sha256": _fingerprint(x),
                "provenance": json.loads(json.dumps(dict(provenance or {}), default=str))}
    init = metadata["provenance"].get("init") if isinstance(metadata["provenance"].get("init"), dict) else {}
    metadata["seed"] = init.get("seed")
    if noise_seed is not None:
        metadata["noise_seed"] = noise_seed
    if beta_rule is not None:
        metadata["beta_rule"] = beta_rule
    noise = None if noise_seed is None else BrownianIncrements(noise_seed, batched=x.ndim == 3)
    run = _Simulation(model, solver, dt, x, saveat_times, obs_fns, save_states, metadata, noise)
    if store is not None:
        run.attach_store(Path(store), resume, flush_seconds)
    elif resume:
        raise fail("resume", resume, "needs a store to resume from", "pass store=PATH")
    return run.execute(field, stepsize, t0, t1, progress)


class _Progress(Monitor):
    def __init__(self, enabled: bool | None, t0: float, t1: float):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.bar = None
        self.t0 = t0
        self.last = _time.monotonic()
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("[bold]attnflow[/] t={task.fields[t]:.4g}"), BarColumn(),
                                TextColumn("{task.percentage:>5.1f}%"), TimeRemainingColumn(),
                                transient=True)
            self.bar.start()
            self.bar.add_task("run", total=t1 - t0, t=t0)

    def on_step(self, cp: Checkpoint) -> None:
        if self.bar is not None and _time.monotonic() - self.last > 0.2:
            self.bar.update(0, completed=cp.t - self.t0, t=cp.t)
            self.last = _time.monotonic()

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _StoreWriter(Monitor):
    """Writes every save to the run store and flushes with the latest checkpoint when due."""

    def __init__(self, store):
        self.store = store
        self.checkpoint: Checkpoint | None = None

    def on_save(self, t: float, y: np.ndarray, values: dict) -> None:
        self.store.append(t, y, values)

    def on_step(self, cp: Checkpoint) -> None:
        self.checkpoint = cp
        if self.store.due():
            self.flush()

    def flush(self) -> None:
        cp = self.checkpoint
        self.store.flush(None if cp is None else (cp.y, cp.t, cp.index, cp.h, cp.n_saved))


class _Simulation:
    """One call of simulate: the optional store, the monitors, the result."""

    def __init__(self, model, solver, dt, x, saves, obs_fns, save_states, metadata, noise=None):
        self.model, self.solver, self.dt, self.x = model, solver, dt, x
        self.noise = noise
        self.saves, self.obs_fns, self.save_states = saves, obs_fns, save_states
        self.metadata = metadata
        self.prev: Solution | None = None
        self.store = None
        self.start: Checkpoint | None = None

    # -- store ---------------------------------------------------------------------------
    def attach_store(self, path: Path, resume: bool, flush_seconds: float) -> None:
        from .io import RunStore, load

        if resume and path.exists():
            store, cp = RunStore.open(path, flush_seconds)
            self._check_resumable(store, cp, path)
            n_saved = int(cp["saved_t"].size)
            self.start = Checkpoint(cp["index"], cp["t"], cp["x"].astype(self.x.dtype), cp["h"], n_saved)
            if store.n_saved:
                self.prev = load(path)
            self.metadata["resumed_from"] = cp["t"]
            self.store = store
        else:
            self.store = RunStore.create(path, self.model, self.solver.name, self.dt, self.x, self.saves,
                                         self.save_states, list(self.obs_fns), self.metadata,
                                         flush_seconds)

    def _check_resumable(self, store, cp, path: Path) -> None:
        meta = cp["metadata"]
        mine = self.metadata
        checks = [
            ("model", store.model == self.model),
            ("method", store.method == self.solver.name),
            ("dt", store.dt == self.dt),
            ("t0", meta.get("t0") == self.metadata["t0"]),
            ("t1", meta.get("t1") == self.metadata["t1"]),
            ("x0 shape", tuple(store.state_shape) == self.x.shape),
            ("initial state x0", meta.get("x0_sha256", mine["x0_sha256"]) == mine["x0_sha256"]),
            ("provenance", meta.get("provenance", mine["provenance"]) == mine["provenance"]),
            ("noise seed", meta.get("noise_seed") == mine.get("noise_seed")),
            ("observables", list(store.observables) == list(self.obs_fns)),
            ("save_states", store.save_states == self.save_states),
            ("save_at", np.array_equal(cp["saved_t"], self.saves[: cp["saved_t"].size])),
        ]
        for what, ok in checks:
            if not ok:
                raise fail("store", str(path), f"holds a run whose {what} differs from this call",
                           "resume with the same arguments, or start a new store")

    # -- the run -------------------------------------------------------------------------
    def execute(self, field, stepsize, t0: float, t1: float, progress) -> Solution:
        fns = _observable_fns(self.model, self.obs_fns)
        saveat = SaveAt(self.saves, states=self.save_states, fn=fns)
        bar = _Progress(progress, t0, t1)
        monitors: list[Monitor] = [bar]
        writer = _StoreWriter(self.store) if self.store is not None else None
        if writer is not None:
            monitors.append(writer)
        check = None
        if self.model.gradient_flow and self.prev is None and self.start is None:
            asked = self.obs_fns.get("energy") is OBSERVABLES["energy"]
            members = min(self.x.shape[0], ENERGY_CHECK_MEMBERS) if self.x.ndim == 3 else 1
            pairs = self.x.shape[-2] ** 2 * members
            if asked or pairs <= ENERGY_CHECK_PAIRS:
                check = EnergyCheck(self.model, asked)
                monitors.append(check)
        start = _time.perf_counter()
        status = "complete"
        traj = None
        try:
            traj = solve(field, self.x, t0, t1, solver=self.solver, stepsize=stepsize, saveat=saveat,
                         monitors=monitors, start=self.start, noise=self.noise)
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException:
            status = "failed"
            raise
        finally:
            bar.stop()
            if traj is not None:
                self._finish_metadata(traj, stepsize, check)
                status = self.metadata.get("status", status)
            self.metadata.update(status=status, wall_time=_time.perf_counter() - start,
                                 state_shape=list(self.x.shape))
            if writer is not None:
                writer.flush()
                self.store.finish(self.model, self.solver.name, self.dt,
                                  dict(self.metadata, observables=list(self.obs_fns),
                                       save_states=self.save_states))
        return self._solution(traj)

    def _finish_metadata(self, traj, stepsize, check: EnergyCheck | None) -> None:
        stats = traj.stats
        self.metadata["n_evals"] = stats["n_evals"]
        if isinstance(stepsize, ConstantStep):
            self.metadata["n_steps"] = int(stepsize.grid(self.metadata["t0"], self.metadata["t1"],
                                                         self.saves).size - 1)
        else:
            self.metadata.update(n_steps=stats["n_steps"], n_rejected=stats["n_rejected"])
        message = None if check is None else check.message(self.saves.size)
        if message is not None:
            warnings.warn(message, NumericalWarning, stacklevel=4)
            self.metadata["warnings"] = [message]
            self.metadata["status"] = "suspect"

    def _solution(self, traj) -> Solution:
        t = traj.ts
        x = traj.ys
        obs = dict(traj.values)
        if self.prev is not None:
            t = np.concatenate([self.prev.t, t])
            if self.save_states:
                x = np.concatenate([self.prev.x, x]) if x.size else self.prev.x
            obs = {k: np.concatenate([self.prev.observables[k], v]) if np.size(v)
                   else self.prev.observables[k] for k, v in obs.items()}
        return Solution(t=t, x=x if self.save_states else None, model=self.model, method=self.solver.name,
                        dt=self.dt, observables=obs, metadata=self.metadata)
