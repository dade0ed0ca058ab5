"""Commands on the theory and the papers: predict, reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .app import abort, app, console, escape, kv_table

__all__ = ["predict", "reproduce"]

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
    from .. import theory

    try:
        kmax = theory.k_max(beta, d)
        window = not K and 2 * kmax + 2 > _PREDICT_ROWS
        top = K or (kmax + 8 if window else max(8, 2 * kmax + 2))
        rates = theory.growth_rates(beta, d, max(top, kmax), normalization)
        scales = theory.time_scales(beta, d, N, normalization)
    except (ValueError, FloatingPointError) as exc:
        abort(escape(str(exc)))
    except MemoryError as exc:                      # the mode sums grow like sqrt(beta)
        abort(f"--beta {beta:g}: the predictions need more memory than this machine has "
              f"({escape(str(exc))}). Fix: use a smaller beta (k_max grows like sqrt(2 beta)).")
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
    console.print(table)
    rows = [("k_max", str(kmax)), ("gamma_max", f"{gmax:.6g}")]
    for key, value in scales.items():
        if key in ("k_max", "gamma_max"):
            continue
        rows.append((key, "-" if value is None else (f"{value:.6g}" if isinstance(value, float)
                                                     else str(value))))
    title = f"time scales for N = {N} (docs/theory/linear-stability.md#phases-from-a-uniform-start)"
    console.print(kv_table(title, [(k, escape(v)) for k, v in rows]))


@app.command()
def reproduce(
    name: Annotated[str | None, typer.Argument(help="Experiment name (see --list).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small, fast settings (CI).")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/reproduce"),
    list_: Annotated[bool, typer.Option("--list", help="List the experiments.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Run every experiment.")] = False,
) -> None:
    """Reproduce a paper's claims: figures, raw results and a predicted-vs-measured report.

    The report is written twice: report.md, and report.html with the figures inline (one
    self-contained file to share).
    """
    import importlib

    from ..experiments import EXPERIMENTS, run_experiment
    from ..real.weights import MissingExtraError

    if list_:
        for key, mod in EXPERIMENTS.items():
            module = importlib.import_module(mod)
            console.print(f"[bold]{key}[/]: {escape(module.TITLE)} ({escape(module.PAPER)})")
        return
    if all_ == (name is not None):
        abort("give one experiment NAME or --all (see --list).")
    names = list(EXPERIMENTS) if all_ else [name]
    failed = False
    for key in names:
        try:
            report = run_experiment(key, out / key, quick=quick)
        except (ValueError, MissingExtraError) as exc:
            abort(escape(str(exc)))
        failed |= any(c.passed is False for c in report.claims)
        console.print(f"[bold]{key}[/]: {report.summary} ({report.wall_time:.1f} s) -> "
                      f"{escape(str(out / key / 'report.md'))} (and report.html)", highlight=False)
    if failed:
        console.print("[yellow]some claims were not reproduced: see the reports for why[/]")
