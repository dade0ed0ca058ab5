"""Commands on parameter sweeps: sweep, plot-sweep (see docs/sweeps.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .app import abort, app, console, console_err, escape, kv_table, read_file

__all__ = ["plot_sweep", "sweep"]


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
    from ..sweep import load_sweep, run_sweep

    spec = read_file(load_sweep, config)
    if dry_run:
        console.print(_sweep_plan(spec))
        return
    console_err.print(f"{spec!r}: {spec.size} cells -> {escape(str(store))}", highlight=False)
    try:
        summary = run_sweep(spec, store, scheduler=scheduler, workers=workers, resume=resume,
                            overwrite=overwrite, retry_failed=retry_failed, progress=progress)
    except (ValueError, FileExistsError, ConnectionError, PermissionError) as exc:
        abort(escape(str(exc)))                            # each names the store or the scheduler
    except OSError as exc:                                  # a write failing half way (disk full, ...)
        abort(f"cannot write --store {escape(str(store))} ({escape(str(exc))}). Fix: check the path "
              "and the free space, then continue with --resume.", code=1)
    except KeyboardInterrupt:
        resume = f"attnflow sweep {escape(str(config))} --store {escape(str(store))} --resume"
        console_err.print(f"[yellow]interrupted[/]: finished cells are in {escape(str(store))}; continue "
                          f"with `{resume}`", highlight=False)
        raise typer.Exit(130) from None
    rows = [("store", str(store)), ("cells", str(summary.total)),
            ("already done", str(summary.already_done)), ("computed", str(summary.computed)),
            ("failed", str(summary.failed)), ("missing", str(summary.missing)),
            ("workers", str(summary.workers)),
            ("wall time", f"{summary.seconds:.1f} s ({summary.rate:.3g} cells/s)")]
    console.print(kv_table("sweep", rows))
    for index, message in list(summary.failures.items())[:5]:
        console_err.print(f"[yellow]failed cell[/] {spec.coords(index)}: {escape(message)}", highlight=False)
    if summary.missing:
        why = "; ".join(summary.lost_reasons) or "workers died too often"
        console_err.print(f"[yellow]{summary.missing} cells were lost[/] ({escape(why)}); compute them "
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
    return kv_table(f"sweep {spec.base.get('name', '')}".strip(), rows)


def _parse_select(items: list[str]) -> dict:
    """["d=2", "normalization=sa"] -> {"d": 2, "normalization": "sa"} (numbers parsed)."""
    out: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            abort(f"--select {escape(item)}: expected NAME=VALUE. Fix: write e.g. --select d=2.")
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
        help='Overlay: "equiangular" (clustering time T(beta), heat maps over beta and time), '
             '"kmax" (k_max(beta)) or "noise" (the noise threshold kappa_#(beta), heat maps over beta and '
             'model.kappa).')] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="PNG path (default: STORE_VAR.png next to the store).")] = None,
) -> None:
    """Phase diagrams of a sweep: heat maps over two axes, or curves, with theory overlays."""
    from ..plot import phase_diagram, sweep_curve
    from ..sweep import open_sweep

    try:
        ds = open_sweep(store)
    except FileNotFoundError as exc:
        abort(escape(str(exc)))
    except (ValueError, OSError, KeyError) as exc:
        abort(f"cannot read {escape(str(store))} as a sweep ({escape(str(exc))}). "
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
        abort(escape(str(exc)))
    console.print(f"wrote {escape(str(path))}", highlight=False)
