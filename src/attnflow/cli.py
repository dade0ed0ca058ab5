"""The ``attnflow`` command line (typer): simulate, plot, animate, demo, predict, reproduce, sweep,
plot-sweep, bench, version.

Commands are thin: the run format lives in :mod:`attnflow.config`, figures in
:mod:`attnflow.plot`, the demo in :mod:`attnflow.demo`. Configuration and validation errors
print one red line and exit with code 2 (no traceback). See ``docs/cli.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ._version import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="attnflow",
    help="Attention dynamics of transformers as particles on the sphere S^{d-1}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_out = Console()
_err = Console(stderr=True)

#: exit code of a usage / configuration error (as for click's usage errors)
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one red line on stderr and exit."""
    _err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("quantity", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


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
    from .config import load_config
    from .io import remove_store
    from .sweep import check_writable

    cfg = _read_file(load_config, config)
    if out.exists() and not resume:
        if not overwrite:
            _fail(f"--out {_escape(str(out))} already exists. Fix: pass --resume to continue "
                  "that run, --overwrite to replace it, or choose another path.")
        try:
            remove_store(out, "run", name="--out")
        except FileExistsError as exc:
            _fail(_escape(str(exc)))
    try:
        check_writable(out, "--out")                       # before the run, not at its first flush
        sol = cfg.simulate(store=out, resume=resume, progress=progress)
    except (ValueError, FileExistsError, PermissionError) as exc:
        _fail(_escape(str(exc)))
    except FloatingPointError as exc:
        _fail(_escape(str(exc)), code=1)
    except OSError as exc:                                  # a write failing half way (disk full, ...)
        _fail(f"cannot write --out {_escape(str(out))} ({_escape(str(exc))}). Fix: check the path and "
              "the free space, then continue with --resume.", code=1)
    except KeyboardInterrupt:
        _err.print(f"[yellow]interrupted[/]: continue with `attnflow simulate {config} "
                   f"--out {out} --resume`", highlight=False)
        raise typer.Exit(130) from None
    _out.print(_summary(cfg, sol, out))


def _read_file(loader, config: Path):
    """``loader(config)`` (a run or sweep file), or a clean exit naming the file and the fix.

    The loaders' errors already name the file, the table and the key.
    """
    try:
        return loader(config)
    except FileNotFoundError:
        _fail(f"config file {_escape(str(config))} does not exist. Fix: check the path.")
    except ValueError as exc:
        _fail(_escape(str(exc)))
    except OSError as exc:                                  # unreadable: permissions, I/O error
        _fail(f"cannot read the config file {_escape(str(config))} ({_escape(exc.strerror or str(exc))}). "
              "Fix: check the path and its permissions.")


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
    return _table("attnflow simulate", [(k, _escape(v)) for k, v in rows])


def _load_run(run: Path):
    """A stored run, or a clean exit naming the path and the fix."""
    from . import io

    if not run.exists():
        _fail(f"run {_escape(str(run))} does not exist. Fix: check the path.")
    if io.store_kind(run) == "sweep":
        _fail(f"{_escape(str(run))} is a sweep store, not a run. Fix: draw it with `attnflow plot-sweep "
              f"{_escape(str(run))} --var VAR --x AXIS`.")
    try:
        return io.load(run)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        # FileNotFoundError of an existing path: a folder without Zarr metadata; TypeError: not NetCDF
        why = "no Zarr metadata in it" if isinstance(exc, FileNotFoundError) else (
            str(exc).splitlines()[0].split(" Fix:")[0].rstrip(". ") if str(exc) else type(exc).__name__)
        _fail(f"{_escape(str(run))} is not an attnflow run ({_escape(why)}). "
              "Fix: pass a store written by `attnflow simulate` or attnflow.io.save.")


@app.command()
def plot(
    run: Annotated[Path, typer.Argument(help="A run store (.zarr) or NetCDF file (.nc).",
                                        metavar="RUN.zarr")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Directory for the figures (default: next to the run).")] = None,
) -> None:
    """Write trajectories.png and observables.png for a stored run."""
    from . import plot as plots

    sol = _load_run(run)
    folder = run.resolve().parent if out is None else out
    paths = [folder / "trajectories.png", folder / "observables.png"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plots.trajectories(sol, paths[0])
        plots.observables_over_time(sol, paths[1])
    except OSError as exc:
        _fail(f"cannot write the figures into {_escape(str(folder))} ({_escape(str(exc))}). "
              "Fix: pass a writable --out folder.")
    for p in paths:
        _out.print(f"wrote {_escape(str(p))}", highlight=False)


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
    from . import plot as plots

    sol = _load_run(run)
    if sol.x is None:
        _fail(f"run {_escape(str(run))} has no saved states (it was run with save_states = false). "
              "Fix: rerun with save_states = true to animate it.")
    path = run.resolve().with_suffix(".gif") if out is None else out
    angles = None
    if predicted:
        if sol.model.d != 2:
            _fail(f"--predicted: the run is on S^{sol.model.d - 1}, predicted angles exist on S^1 only. "
                  "Fix: drop --predicted.")
        from .theory import predicted_cluster_angles

        x0 = sol.x[0] if sol.x.ndim == 3 else sol.x[0, 0]
        angles = predicted_cluster_angles(x0, sol.model.beta)
    try:
        written = plots.animate(sol, path, fps=fps, max_frames=max_frames, predicted_angles=angles)
    except (ValueError, RuntimeError) as exc:
        _fail(_escape(str(exc)))
    _out.print(f"wrote {_escape(str(written))}", highlight=False)


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
    from .demo import run_demo

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
    _out.print(_table("attnflow demo", [(k, _escape(v)) for k, v in rows]))


#: rows of the growth-rate table of `predict` beyond which only a window around k_max is shown
_PREDICT_ROWS = 64


@app.command()
def predict(
    beta: Annotated[float, typer.Option("--beta", help="Inverse temperature.")],
    d: Annotated[int, typer.Option("--d", help="Ambient dimension (tokens on S^{d-1}).")],
    normalization: Annotated[str, typer.Option("--normalization", help='"usa" or "sa".')] = "usa",
    K: Annotated[int, typer.Option("--K", min=0, help="Largest harmonic degree listed (default: 2 k_max + "
                                   "2, or degrees 0-3 and k_max +- 8 when k_max is large).")] = 0,
    N: Annotated[int, typer.Option("--N", help="Token count for the time scales.")] = 20000,
) -> None:
    """The theory's predictions at the uniform measure: growth rates, k_max, time scales."""
    from . import theory

    try:
        kmax = theory.k_max(beta, d)
        window = not K and 2 * kmax + 2 > _PREDICT_ROWS
        top = K or (kmax + 8 if window else max(8, 2 * kmax + 2))
        rates = theory.growth_rates(beta, d, max(top, kmax), normalization)
        scales = theory.time_scales(beta, d, N, normalization)
    except (ValueError, FloatingPointError) as exc:
        _fail(_escape(str(exc)))
    except MemoryError as exc:                      # the mode sums grow like sqrt(beta)
        _fail(f"--beta {beta:g}: the predictions need more memory than this machine has "
              f"({_escape(str(exc))}). Fix: use a smaller beta (k_max grows like sqrt(2 beta)).")
    table = Table(title=f"growth rates gamma_k at the uniform measure ({normalization.upper()}, "
                        f"beta = {beta:g}, d = {d})", title_justify="left")
    table.add_column("k", justify="right")
    table.add_column("gamma_k", justify="right")
    table.add_column("gamma_k / gamma_max", justify="right")
    gmax = float(rates[kmax])
    for k in [*range(4), -1, *range(kmax - 8, top + 1)] if window else range(top + 1):
        if k < 0:
            table.add_row("...", "", "")
            continue
        mark = " <- k_max" if k == kmax else ""
        table.add_row(str(k), f"{rates[k]:.6g}", f"{rates[k] / gmax:.4f}{mark}" if gmax else "-")
    _out.print(table)
    rows = [("k_max", str(kmax)), ("gamma_max", f"{gmax:.6g}")]
    for key, value in scales.items():
        if key in ("k_max", "gamma_max"):
            continue
        rows.append((key, "-" if value is None else (f"{value:.6g}" if isinstance(value, float)
                                                     else str(value))))
    _out.print(_table(f"time scales for N = {N} (THEORY.md §5)", [(k, _escape(v)) for k, v in rows]))


@app.command()
def reproduce(
    name: Annotated[str | None, typer.Argument(help="Experiment name (see --list).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small, fast settings (CI).")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/reproduce"),
    list_: Annotated[bool, typer.Option("--list", help="List the experiments.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Run every experiment.")] = False,
) -> None:
    """Reproduce a paper's claims: figures, raw results and a predicted-vs-measured report."""
    import importlib

    from .experiments import EXPERIMENTS, run_experiment

    if list_:
        for key, mod in EXPERIMENTS.items():
            module = importlib.import_module(mod)
            _out.print(f"[bold]{key}[/]: {_escape(module.TITLE)} ({_escape(module.PAPER)})")
        return
    if all_ == (name is not None):
        _fail("give one experiment NAME or --all (see --list).")
    names = list(EXPERIMENTS) if all_ else [name]
    failed = False
    for key in names:
        try:
            report = run_experiment(key, out / key, quick=quick)
        except ValueError as exc:
            _fail(_escape(str(exc)))
        failed |= any(c.passed is False for c in report.claims)
        _out.print(f"[bold]{key}[/]: {report.summary} ({report.wall_time:.1f} s) -> "
                   f"{_escape(str(out / key / 'report.md'))}", highlight=False)
    if failed:
        _out.print("[yellow]some claims were not reproduced: see the reports for why[/]")


@app.command()
def sweep(
    config: Annotated[Path, typer.Argument(help="TOML sweep file: a run file plus [sweep] (docs/sweeps.md).",
                                           metavar="CONFIG.toml")],
    store: Annotated[Path, typer.Option("--store", "-s", help="Zarr store of the sweep.")] = Path(
        "sweep.zarr"),
    scheduler: Annotated[str | None, typer.Option(
        help='Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786), or "serial" to run '
             "in this process; default: a local cluster of --workers processes.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes of the local cluster (default: the CPU count).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Compute only the cells missing from --store.")
                      ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --store.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="With --resume, also recompute cells that failed.")] = False,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal).",
        show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate the file and print the grid and the store's size; run nothing.")
    ] = False,
) -> None:
    """Run every cell of a parameter sweep on Dask and store the grid in --store."""
    from .sweep import load_sweep, run_sweep

    spec = _read_file(load_sweep, config)
    if dry_run:
        _out.print(_sweep_plan(spec))
        return
    _err.print(f"{spec!r}: {spec.size} cells -> {_escape(str(store))}", highlight=False)
    try:
        summary = run_sweep(spec, store, scheduler=scheduler, workers=workers, resume=resume,
                            overwrite=overwrite, retry_failed=retry_failed, progress=progress)
    except (ValueError, FileExistsError, ConnectionError, PermissionError) as exc:
        _fail(_escape(str(exc)))                            # each names the store or the scheduler
    except OSError as exc:                                  # a write failing half way (disk full, ...)
        _fail(f"cannot write --store {_escape(str(store))} ({_escape(str(exc))}). Fix: check the path "
              "and the free space, then continue with --resume.", code=1)
    except KeyboardInterrupt:
        _err.print(f"[yellow]interrupted[/]: finished cells are in {_escape(str(store))}; continue with "
                   f"`attnflow sweep {_escape(str(config))} --store {_escape(str(store))} --resume`",
                   highlight=False)
        raise typer.Exit(130) from None
    rows = [("store", str(store)), ("cells", str(summary.total)),
            ("already done", str(summary.already_done)), ("computed", str(summary.computed)),
            ("failed", str(summary.failed)), ("missing", str(summary.missing)),
            ("workers", str(summary.workers)),
            ("wall time", f"{summary.seconds:.1f} s ({summary.rate:.3g} cells/s)")]
    _out.print(_table("sweep", rows))
    for index, message in list(summary.failures.items())[:5]:
        _err.print(f"[yellow]failed cell[/] {spec.coords(index)}: {_escape(message)}", highlight=False)
    if summary.missing:
        why = "; ".join(summary.lost_reasons) or "workers died too often"
        _err.print(f"[yellow]{summary.missing} cells were lost[/] ({_escape(why)}); compute them "
                   "with --resume", highlight=False)
        raise typer.Exit(1)


def _sweep_plan(spec) -> Table:
    """The grid of a sweep: its axes, cells, saved times and the size of the stored values."""
    rows = []
    for axis in spec.axes:
        vals = axis.values
        shown = ", ".join(str(v) for v in vals) if len(vals) <= 6 else (
            f"{vals[0]:g} .. {vals[-1]:g}" if isinstance(vals[0], float) else f"{vals[0]} .. {vals[-1]}")
        rows.append((f"axis {axis.name}", f"{len(vals)} values: {shown} ({'.'.join(axis.path)})"))
    times = spec.times()
    per_cell = times.size * (spec.samples if spec.samples and spec.keep_samples else 1)
    size = spec.size * per_cell * len(spec.variables()) * 8
    rows += [("cells", str(spec.size)), ("samples per cell", str(spec.samples or 1)),
             ("saved times", f"{times.size} in [{times[0]:g}, {times[-1]:g}]"),
             ("variables", ", ".join(spec.variables())),
             ("stored values", f"{size / 1e6:.3g} MB (float64, before compression)"),
             ("seed", f"master {spec.seed}; cell seeds depend on {', '.join(spec.seed_axes)}")]
    return _table(f"sweep {spec.base.get('name', '')}".strip(), rows)


def _parse_select(items: list[str]) -> dict:
    """["d=2", "normalization=sa"] -> {"d": 2, "normalization": "sa"} (numbers parsed)."""
    out: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            _fail(f"--select {_escape(item)}: expected NAME=VALUE. Fix: write e.g. --select d=2.")
        value: object = text
        for cast in (int, float):
            try:
                value = cast(text)
                break
            except ValueError:
                continue
        out[name.strip()] = value
    return out


@app.command("plot-sweep")
def plot_sweep(
    store: Annotated[Path, typer.Argument(help="A sweep store written by `attnflow sweep`.",
                                          metavar="STORE.zarr")],
    var: Annotated[str, typer.Option(help="The variable to plot (an observable of the sweep).")],
    x: Annotated[str, typer.Option(help="The axis on the horizontal axis, e.g. beta.")],
    y: Annotated[str, typer.Option(help="Heat map: the vertical axis (time or another axis).")] = "time",
    curve: Annotated[bool, typer.Option("--curve", help="A line plot against --x instead of a heat map.")
                     ] = False,
    facet: Annotated[str | None, typer.Option(help="Heat map: one panel per value of this axis.")] = None,
    hue: Annotated[str | None, typer.Option(help="Curve: one line per value of this axis.")] = None,
    select: Annotated[list[str] | None, typer.Option(
        help="NAME=VALUE fixing an axis (repeatable), e.g. --select d=2.")] = None,
    reduce: Annotated[str, typer.Option(
        help="Reduction over samples and replicas: mean, median, max, min, std.")] = "mean",
    at_time: Annotated[float | None, typer.Option(
        help="Time shown when time is not plotted (nearest saved; default the last).")] = None,
    theory: Annotated[str | None, typer.Option(
        help='Overlay: "equiangular" (clustering time T(beta), heat maps over beta and time) or '
             '"kmax" (k_max(beta)).')] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="PNG path (default: STORE_VAR.png next to the store).")] = None,
) -> None:
    """Phase diagrams of a sweep: heat maps over two axes, or curves, with theory overlays."""
    from .sweep import open_sweep
    from .sweep_plot import phase_diagram, sweep_curve

    try:
        ds = open_sweep(store)
    except FileNotFoundError as exc:
        _fail(_escape(str(exc)))
    except (ValueError, OSError, KeyError) as exc:
        _fail(f"cannot read {_escape(str(store))} as a sweep ({_escape(str(exc))}). "
              "Fix: pass a store written by `attnflow sweep`.")
    path = out if out is not None else store.resolve().parent / f"{store.stem}_{var}.png"
    chosen = _parse_select(select or [])
    try:
        if curve:
            sweep_curve(ds, var, x, hue=hue, select=chosen or None, reduce=reduce, at_time=at_time,
                        theory=theory, path=path)
        else:
            phase_diagram(ds, var, x, y, facet=facet, select=chosen or None, reduce=reduce,
                          theory=theory, at_time=at_time, path=path)
    except ValueError as exc:
        _fail(_escape(str(exc)))
    _out.print(f"wrote {_escape(str(path))}", highlight=False)


@app.command()
def bench(
    n: Annotated[list[int] | None, typer.Option("--n", help="Token counts (repeat the option).")] = None,
    d: Annotated[int, typer.Option("--d", help="Dimension.")] = 3,
    beta: Annotated[float, typer.Option("--beta", help="Inverse temperature.")] = 1.0,
    identity: Annotated[bool, typer.Option("--identity",
                                           help="A = V = I (where the spectral backend applies).")] = False,
    repeat: Annotated[int, typer.Option("--repeat", help="Best of this many evaluations.")] = 3,
) -> None:
    """Time every applicable velocity backend against full-matrix NumPy and torch baselines."""
    from .bench import run_bench, table

    sizes = tuple(n) if n else (4096, 16384)
    rows, rate, cores = run_bench(sizes, d=d, beta=beta, identity=identity, repeat=repeat,
                                  progress=lambda msg: _err.print(msg, highlight=False))
    _out.print(table(rows, rate, cores), highlight=False)


@app.command()
def version() -> None:
    """Print the attnflow version."""
    _out.print(f"attnflow {__version__}", highlight=False)


def main() -> None:  # pragma: no cover - console entry convenience
    """Run the CLI (same as the ``attnflow`` console script)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
