"""Commands on single runs: simulate, plot, animate, demo."""

from __future__ import annotations

import contextlib
import signal
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from .app import abort, app, console, console_err, escape, kv_table, read_file

__all__ = ["animate", "demo", "plot", "simulate"]


@app.command()
def simulate(
    config: Annotated[Path, typer.Argument(help="TOML run file (see docs/cli.md).",
                                           metavar="CONFIG.toml")],
    out: Annotated[Path, typer.Option("--out", "-o",
                                      help="Zarr store written as the run goes.")] = Path(
        "run.zarr"),
    resume: Annotated[bool, typer.Option("--resume",
                                         help="Continue an interrupted run from --out.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite",
                                            help="Replace an existing store at --out.")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="Progress bar (default: when stderr "
                                                       "is a terminal).",
                                                  show_default=False)] = None,
) -> None:
    """Run the simulation described by CONFIG.toml and store it in --out."""
    from ..config import load_config
    from ..io import remove_store
    from ..sweep import check_writable

    cfg = read_file(load_config, config)
    if out.exists() and not resume:
        if not overwrite:
            abort(f"--out {escape(str(out))} already exists. Fix: pass --resume to continue "
                  "that run, --overwrite to replace it, or choose another path.")
        try:
            remove_store(out, "run", name="--out")
        except FileExistsError as exc:
            abort(escape(str(exc)))
    try:
        check_writable(out, "--out")                       # before the run, not at its first flush
        with _sigterm_as_interrupt(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            sol = cfg.simulate(store=out, resume=resume, progress=progress)
        for w in caught:
            console_err.print(f"[yellow]warning[/] ({w.category.__name__}): {escape(str(w.message))}",
                              highlight=False)
    except (ValueError, FileExistsError, PermissionError) as exc:
        abort(escape(str(exc)))
    except FloatingPointError as exc:
        abort(escape(str(exc)), code=1)
    except OSError as exc:                                  # a write failing half way (disk full, ...)
        abort(f"cannot write --out {escape(str(out))} ({escape(str(exc))}). Fix: check the path and "
              "the free space, then continue with --resume.", code=1)
    except KeyboardInterrupt:
        console_err.print(f"[yellow]interrupted[/]: continue with `attnflow simulate {config} "
                          f"--out {out} --resume`", highlight=False)
        raise typer.Exit(130) from None
    console.print(_summary(cfg, sol, out))


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: the store records "interrupted" and stays resumable."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:                                      # not the main thread: leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _summary(cfg, sol, out: Path) -> Table:
    """A rich table describing a finished run."""
    meta = sol.metadata
    shape = meta.get("state_shape") or (None if sol.x is None else list(sol.x.shape[1:]))
    rows = [
        ("run", cfg.name or Path(cfg.source or "").stem),
        ("model", repr(sol.model)),
        ("initial points", f"{cfg.init.kind}, n = {cfg.init.n}"
                           + (f", batch = {cfg.init.batch}" if cfg.init.batch else "")
                           + (f", seed = {cfg.init.seed}" if cfg.init.seed is not None else "")),
        ("integrator", f"{sol.method}, dt = {sol.dt:g}, t = [{sol.t[0]:g}, {sol.t[-1]:g}]"),
        ("steps / evaluations", f"{meta.get('n_steps', '?')} / {meta.get('n_evals', '?')}"),
        ("backend", str(meta.get("backend", "?"))),
        ("saved", f"{sol.t.size} times" + (f", states {tuple(shape)}" if sol.x is not None
                                           else ", observables only")),
        ("status", str(meta.get("status", "?"))),
    ]
    if "wall_time" in meta:
        rows.append(("wall time", f"{float(meta['wall_time']):.2f} s"))
    if "resumed_from" in meta:
        rows.append(("resumed from", f"t = {float(meta['resumed_from']):g}"))
    for name, values in sol.observables.items():
        v = np.asarray(values, dtype=np.float64)
        first, last = v[0], v[-1]
        if v.ndim == 1:
            rows.append((name, f"{first:.6g} -> {last:.6g}"))
        else:
            rows.append((name, f"mean over batch {first.mean():.6g} -> {last.mean():.6g}"))
    rows.append(("store", str(out)))
    return kv_table("attnflow simulate", [(k, escape(v)) for k, v in rows])


def _load_run(run: Path):
    """A stored run, or a clean exit naming the path and the fix."""
    from .. import io

    if not run.exists():
        abort(f"run {escape(str(run))} does not exist. Fix: check the path.")
    if io.store_kind(run) == "sweep":
        abort(f"{escape(str(run))} is a sweep store, not a run. Fix: draw it with `attnflow plot-sweep "
              f"{escape(str(run))} --var VAR --x AXIS`.")
    try:
        return io.load(run)                       # names the path, the problem and the fix itself
    except (ValueError, OSError) as exc:
        abort(escape(str(exc)))


@app.command()
def plot(
    run: Annotated[Path, typer.Argument(help="A run store (.zarr) or NetCDF file (.nc).",
                                        metavar="RUN.zarr")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Directory for the figures (default: next to the run).")] = None,
) -> None:
    """Write trajectories.png and observables.png for a stored run."""
    from .. import plot as plots

    sol = _load_run(run)
    folder = run.resolve().parent if out is None else out
    paths = [folder / "trajectories.png", folder / "observables.png"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plots.trajectories(sol, paths[0])
        plots.observables_over_time(sol, paths[1])
    except OSError as exc:
        abort(f"cannot write the figures into {escape(str(folder))} ({escape(str(exc))}). "
              "Fix: pass a writable --out folder.")
    for p in paths:
        console.print(f"wrote {escape(str(p))}", highlight=False)


@app.command()
def animate(
    run: Annotated[Path, typer.Argument(help="A run store (.zarr) or NetCDF file (.nc) with states.",
                                        metavar="RUN.zarr")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output file, .gif or .mp4 (default: RUN.gif next to the run).")] = None,
    fps: Annotated[int, typer.Option(min=1, help="Frames per second.")] = 20,
    max_frames: Annotated[int, typer.Option(min=2, help="At most this many evenly spaced saves.")] = 200,
    predicted: Annotated[bool, typer.Option(
        help="S^1: mark the predicted meta-stable cluster angles (theory.predicted_cluster_angles).")
    ] = False,
) -> None:
    """Write an animation (GIF or MP4) of a stored run: tokens on S^1 or S^2."""
    from .. import plot as plots

    sol = _load_run(run)
    if sol.x is None:
        abort(f"run {escape(str(run))} has no saved states (it was run with save_states = false). "
              "Fix: rerun with save_states = true to animate it.")
    path = run.resolve().with_suffix(".gif") if out is None else out
    angles = None
    if predicted:
        if sol.model.d != 2:
            abort(f"--predicted: the run is on S^{sol.model.d - 1}, predicted angles exist on S^1 only. "
                  "Fix: drop --predicted.")
        from ..theory import predicted_cluster_angles

        x0 = sol.x[0] if sol.x.ndim == 3 else sol.x[0, 0]
        angles = predicted_cluster_angles(x0, sol.model.beta)
    try:
        written = plots.animate(sol, path, fps=fps, max_frames=max_frames, predicted_angles=angles)
    except (ValueError, RuntimeError) as exc:
        abort(escape(str(exc)))
    console.print(f"wrote {escape(str(written))}", highlight=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("out"),
    large: Annotated[bool, typer.Option("--large",
                                        help="Paper-sized particle counts (slower).")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  show_default=False,
                                                  help="Progress bars.")] = None,
) -> None:
    """Run two small examples (S^1 clustering, S^2 consensus) with figures and a report."""
    from ..demo import run_demo

    result = run_demo(out, large=large, progress=progress)
    rows = []
    for name in ("circle", "sphere"):
        r = result[name]
        mono = "yes" if r["energy_nondecreasing"] else "NO"
        count = r["cluster_count"]
        rows.append((name, f"{count} cluster{'' if count == 1 else 's'}, energy {r['energy_start']:.4g} -> "
                           f"{r['energy_end']:.4g} (non-decreasing: {mono}), "
                           f"{r['wall_time']:.2f} s"))
        rows.append(("", f"{r['store']}, {r['figure']}"))
    rows.append(("report", result["summary"]))
    rows.append(("total wall time", f"{result['wall_time']:.1f} s"))
    console.print(kv_table("attnflow demo", [(k, escape(v)) for k, v in rows]))
