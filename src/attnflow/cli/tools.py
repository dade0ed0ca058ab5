"""Small commands: bench, version."""

from __future__ import annotations

from typing import Annotated

import typer

from .._version import __version__
from .app import app, console, console_err

__all__ = ["bench", "version"]


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
    from ..bench import run_bench, table

    sizes = tuple(n) if n else (4096, 16384)
    rows, rate, cores = run_bench(sizes, d=d, beta=beta, identity=identity, repeat=repeat,
                                  progress=lambda msg: console_err.print(msg, highlight=False))
    console.print(table(rows, rate, cores), highlight=False)


@app.command()
def version() -> None:
    """Print the attnflow version."""
    console.print(f"attnflow {__version__}", highlight=False)
