"""The command reference, generated from the Typer application (the same text as ``--help``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["render", "write_page"]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _usage(cmd, ctx) -> str:
    return " ".join(["attnflow", cmd.name, *cmd.collect_usage_pieces(ctx)])


def render() -> str:
    """The Markdown of the command reference: one section per command, options in a table."""
    import typer.main

    from attnflow.cli import app

    group = typer.main.get_command(app)
    context = group.context_class                  # typer's own copy of click
    root = context(group, info_name="attnflow")
    lines = ["# Command reference", "",
             "Generated from the command-line application itself: the same text as "
             "`attnflow COMMAND --help`. [The command line and run-file guide](../cli.md) explains the "
             "commands with examples; the run-file keys are tabulated there from the config models.", ""]
    for name in group.list_commands(root):
        cmd = group.get_command(root, name)
        ctx = context(cmd, info_name=name, parent=root)
        lines += [f"## `attnflow {name}`", "", _cell(cmd.help or ""), "",
                  "```text", _usage(cmd, ctx), "```", ""]
        rows = [p.get_help_record(ctx) for p in cmd.params if not getattr(p, "hidden", False)]
        if rows := [r for r in rows if r]:
            lines += ["| argument or option | meaning |", "|---|---|"]
            lines += [f"| `{_cell(flags)}` | {_cell(text)} |" for flags, text in rows]
            lines.append("")
    return "\n".join(lines)


def write_page(path: Path) -> None:
    """Write the command reference to ``path`` (unchanged text is not rewritten)."""
    from .apigen import write_if_changed

    write_if_changed(path, render())
