"""The parts of the attnflow site generated at build time (a local Sphinx extension).

- the key tables of the run and sweep files, refreshed from the config models while the pages are
  read (the committed copies between the ``BEGIN GENERATED`` markers are checked by a test; the site
  never shows an older one);
- the API reference, one page per public module or package, from the modules' ``__all__``
  (:mod:`.apigen`);
- the command reference, from the Typer application (:mod:`.commands`);
- one gallery page per registered reproduction, from ``attnflow reproduce NAME --quick``
  (:mod:`.reproductions`).
"""

from __future__ import annotations

from typing import Any

from . import docstrings

__all__ = ["setup"]


def _full_run_note(app, docname: str) -> str:
    """The note that marks a stored full-run page: the commit and date of its last change."""
    from attnflow.experiments import EXPERIMENTS

    from .reproductions import git

    name = docname.split("/", 1)[1]
    path = f"docs/{docname}.md"
    stamp = git(app.srcdir.parent, "log", "-1", "--format=%h on %cs", "--", path) or "(not committed yet)"
    quick = (f" The quick run of the same experiment, made while the site was built, is "
             f"[here](../reproductions/{name}/index.md).") if name in EXPERIMENTS else ""
    return ("```{note}\nStored output of a full run (`attnflow reproduce " + name + "`), last changed in "
            "commit " + stamp + "; it is not recomputed when the site is built." + quick + "\n```\n")


def _refresh_generated_blocks(app, docname: str, source: list[str]) -> None:
    from attnflow.config.docs import update

    text = update(source[0])
    if docname.startswith("gallery/"):
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{_full_run_note(app, docname)}{rest}"
    source[0] = text


def _generate(app) -> None:
    from . import apigen, commands, reproductions

    srcdir = app.srcdir
    apigen.write_pages(srcdir / "api")
    commands.write_page(srcdir / "api" / "commands.md")
    reproductions.write_pages(srcdir / "reproductions", app.outdir.parent / "reproduce")


def setup(app) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    app.connect("source-read", _refresh_generated_blocks)
    app.connect("autodoc-process-docstring", docstrings.process, priority=100)   # before napoleon (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
