"""The API reference, generated from the modules' ``__all__`` at build time.

Every public name (listed in the ``__all__`` of a public module, i.e. one without a leading
underscore in its path) is documented exactly once, at its *home*: the module that defines it when
that module is public and exports it, otherwise the deepest public module that exports it. Packages
re-export names of their submodules; their pages list them in a summary table that links to the
home. Pages: one per package (with the sections of its plain modules) and one per top-level
module, written under ``docs/api/`` as reStructuredText for autodoc.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = ["Api", "collect", "write_if_changed", "write_pages"]


def _is_code(obj: object) -> bool:
    """Classes, functions and numba dispatchers: objects with an identity and a defining module."""
    return inspect.isclass(obj) or inspect.isroutine(obj) or hasattr(obj, "py_func")


def _key(name: str, obj: object) -> tuple:
    """The identity of an exported object: the object for code, (name, value) for data (small ints
    and strings are shared between unrelated constants)."""
    return ("code", id(obj)) if _is_code(obj) else ("data", name, id(obj))


@dataclass
class Api:
    """The public modules (in walk order), each one's exported names, and every object's home."""

    modules: dict[str, ModuleType] = field(default_factory=dict)
    exports: dict[str, list[str]] = field(default_factory=dict)
    home: dict[tuple, tuple[str, str]] = field(default_factory=dict)    # key -> (module, name there)

    def where(self, modname: str, name: str) -> tuple[str, str]:
        """The home (module, name) of the object ``modname`` exports as ``name``."""
        return self.home[_key(name, getattr(self.modules[modname], name))]

    def own(self, modname: str) -> list[str]:
        """The names ``modname`` documents (its exports whose home it is), in ``__all__`` order."""
        return [n for n in self.exports[modname]
                if not isinstance(getattr(self.modules[modname], n), ModuleType)
                and self.where(modname, n) == (modname, n)]

    def page_of(self, modname: str) -> str:
        """The page (a module name) whose document holds ``modname``'s section."""
        mod = self.modules[modname]
        if hasattr(mod, "__path__") or modname.count(".") == 1 or modname == "attnflow":
            return modname
        return modname.rsplit(".", 1)[0]


def _public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split(".")[1:])


def _assigns(module: ModuleType, name: str) -> bool:
    """Whether ``module``'s source assigns ``name`` at top level (where a constant is defined)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return False
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def collect(package: str = "attnflow") -> Api:
    """Walk ``package`` and give every exported object its home: the module that defines it when
    that one exports it, else the module whose source assigns it, else the deepest exporter."""
    root = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
    api = Api()
    for name in names:
        if not _public(name) or name.endswith("__main__"):
            continue
        mod = importlib.import_module(name)
        api.modules[name] = mod
        api.exports[name] = [n for n in getattr(mod, "__all__", []) if not n.startswith("__")]
    exporters: dict[tuple, list[tuple[str, str]]] = {}
    for modname, exported in api.exports.items():
        for n in exported:
            obj = getattr(api.modules[modname], n)
            if not isinstance(obj, ModuleType):
                exporters.setdefault(_key(n, obj), []).append((modname, n))
    for key, where in exporters.items():
        obj = getattr(api.modules[where[0][0]], where[0][1])
        defined = [w for w in where if _is_code(obj) and w[0] == obj.__module__]
        defined = [w for w in defined if w[1] == obj.__name__] or defined
        assigned = [w for w in where if not _is_code(obj) and _assigns(api.modules[w[0]], w[1])]
        api.home[key] = (defined or assigned or [max(where, key=lambda w: w[0].count("."))])[0]
    return api


def _directive(modname: str, name: str, obj: object) -> list[str]:
    target = f"{modname}.{name}"
    if inspect.isclass(obj):
        return [f".. autoclass:: {target}", "   :members:", "   :show-inheritance:", ""]
    if inspect.isroutine(obj) or hasattr(obj, "py_func"):          # functions, numba dispatchers
        return [f".. autofunction:: {target}", ""]
    return [f".. autodata:: {target}", "   :no-value:", ""]


def _first_sentence(obj: object) -> str:
    from .docstrings import escape_bars

    doc = inspect.getdoc(obj) if _is_code(obj) else ""
    return escape_bars([" ".join((doc or "").split("\n\n")[0].split())])[0]


def _summary(api: Api, modname: str, names: list[str]) -> list[str]:
    lines = [".. list-table::", "   :widths: 35 65", ""]
    for n in names:
        home, there = api.where(modname, n)
        text = _first_sentence(getattr(api.modules[modname], n))
        if there != n:
            text = f"alias of ``{there}``. {text}"
        lines += [f"   * - :py:obj:`{n} <{home}.{there}>`", f"     - {text}" if text else "     -"]
    return [*lines, ""]


def _section(api: Api, modname: str, level: str) -> list[str]:
    title = f"``{modname}``"
    lines = [title, level * len(title), "", f".. automodule:: {modname}", "   :no-members:", ""]
    own = api.own(modname)
    others = [n for n in api.exports[modname] if n not in own
              and not isinstance(getattr(api.modules[modname], n), ModuleType)]
    if others:
        lines += ["Also exported here:", "", *_summary(api, modname, others)]
    for n in own:
        lines += _directive(modname, n, getattr(api.modules[modname], n))
    return lines


def _page(api: Api, page: str) -> str:
    sections = [m for m in api.modules if m != page and api.page_of(m) == page]
    subpages = [m for m in api.modules if m != page and api.page_of(m) == m
                and m.rsplit(".", 1)[0] == page]
    lines = [":tocdepth: 2", "", *_section(api, page, "=")]
    if subpages and page != "attnflow":
        lines += [".. toctree::", "   :maxdepth: 1", "", *[f"   {m}" for m in subpages], ""]
    for m in sections:
        lines += _section(api, m, "-")
    return "\n".join(lines) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` already holds it (an unchanged page is not read again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_pages(out: Path) -> list[str]:
    """Write the API pages and their index into ``out``; returns the page names."""
    api = collect()
    pages = [m for m in api.modules if api.page_of(m) == m]
    top = [m for m in pages if m.count(".") == 1]
    for page in pages:
        write_if_changed(out / f"{page}.rst", _page(api, page))
    index = ["API reference", "=============", "",
             "Generated from the docstrings: every name in the ``__all__`` of a public module, "
             "documented once where it is defined; packages list the names they re-export. "
             "``import attnflow as af`` gives the top-level names and every subpackage as an attribute.",
             "", "The command line has its own generated :doc:`command reference <commands>`.", "",
             ".. toctree::", "   :maxdepth: 1", "", "   attnflow", *[f"   {m}" for m in top], ""]
    write_if_changed(out / "index.rst", "\n".join(index))
    for stale in out.glob("*.rst"):
        if stale.stem not in pages and stale.stem != "index":
            stale.unlink()
    return pages
