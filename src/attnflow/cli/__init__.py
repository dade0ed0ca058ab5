"""The ``attnflow`` command line (typer): simulate, plot, animate, demo, predict, reproduce, real, sweep,
plot-sweep, bench, version.

Commands are thin: the run format lives in :mod:`attnflow.config`, figures in
:mod:`attnflow.plot`, the demo in :mod:`attnflow.demo`, sweeps in :mod:`attnflow.sweep`.
Configuration and validation errors print one red line and exit with code 2 (no traceback).
See ``docs/cli.md``.
"""

from __future__ import annotations

from . import papers, real, runs, sweeps, tools  # noqa: F401 - importing a module registers its commands
from .app import app

__all__ = ["COMMANDS", "app", "main"]

#: the commands in the order of ``attnflow --help``
COMMANDS = ("simulate", "plot", "animate", "demo", "predict", "reproduce", "real", "sweep", "plot-sweep",
            "bench", "version")
app.registered_commands.sort(key=lambda c: COMMANDS.index(c.name or c.callback.__name__.replace("_", "-")))


def main() -> None:  # pragma: no cover - console entry convenience
    """Run the CLI (same as the ``attnflow`` console script)."""
    app()


