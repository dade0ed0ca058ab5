"""The Typer app of the ``attnflow`` command line and what its commands share.

Configuration and validation errors print one red line (:func:`abort`) and exit with code 2
(no traceback); the commands live in :mod:`~attnflow.cli.runs`, :mod:`~attnflow.cli.papers`,
:mod:`~attnflow.cli.sweeps` and :mod:`~attnflow.cli.tools`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["EXIT_USAGE", "abort", "app", "console", "console_err", "escape", "kv_table", "read_file"]

app = typer.Typer(
    name="attnflow",
    help="Attention dynamics of transformers as particles on the sphere S^{d-1}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: the consoles of results (stdout) and of errors and progress (stderr)
console = Console()
console_err = Console(stderr=True)

#: exit code of a usage / configuration error (as for click's usage errors)
EXIT_USAGE = 2


def abort(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one red line on stderr and exit."""
    console_err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def escape(text: str) -> str:
    """``text`` with rich markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    """A two-column table of quantities and values."""
    tab = Table(title=title, show_header=False, title_justify="left")
    tab.add_column("quantity", style="cyan", no_wrap=True)
    tab.add_column("value", overflow="fold")
    for key, value in rows:
        tab.add_row(key, value)
    return tab


def read_file(loader, config: Path):
    """``loader(config)`` (a run or sweep file), or a clean exit naming the file and the fix.

    The loaders' errors already name the file, the table and the key.
    """
    try:
        return loader(config)
    except FileNotFoundError:
        abort(f"config file {escape(str(config))} does not exist. Fix: check the path.")
    except ValueError as exc:
        abort(escape(str(exc)))
    except OSError as exc:                                  # unreadable: permissions, I/O error
        abort(f"cannot read the config file {escape(str(config))} ({escape(exc.strerror or str(exc))}). "
              "Fix: check the path and its permissions.")
