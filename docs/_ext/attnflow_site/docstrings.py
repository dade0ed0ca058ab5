"""What the site does to the docstrings before autodoc and napoleon read them.

The docstrings are written to read well in ``help()``: plain-text equations with ``|x|`` for norms,
and parameter lines ``name : what it is`` whose right-hand side is often a sentence rather than a
type. Three light rewrites make them valid reStructuredText without changing their text:

- outside inline literals and literal blocks, a ``|`` is escaped (reStructuredText would read
  ``|x|`` as a substitution), and so are a ``_`` that ends a word (``I_|k|``: a reference) and a
  ``*`` or ``**`` that opens no emphasis (``(T, *shape)``);
- an indented block after a paragraph (a plain-text equation) becomes a literal block, so its
  alignment is kept;
- in the numpy sections, ``name : a sentence.`` becomes ``name`` with the sentence as its
  description (napoleon would print the sentence as the parameter's type);
- an object documented as data whose docstring is its class's (a Typer app, a rich Console, a
  frozen dataclass instance) gets none: the page shows its name and the ``#:`` comment above it.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["equation_blocks", "escape_bars", "process", "split_descriptions"]

_SECTIONS = {"Parameters", "Other Parameters", "Attributes", "Returns", "Yields", "Raises", "Keys"}
_FIELD = re.compile(r"^(\s*)(\*{0,2}[A-Za-z_][\w, *]*) : (.+)$")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[\s\-.,:;!?\\/'\")\]}>|]|$)")
_STAR = re.compile(r"(?<![\w*\\])(\*{1,2})(?=[\w(])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+] |\d+[.)] |\(?[a-z0-9]\) )")


def _escape_text(text: str) -> str:
    text = _TRAILING_UNDERSCORE.sub(r"\\_", text.replace("|", "\\|"))
    out, pos = [], 0
    for m in _STAR.finditer(text):
        closes = re.search(r"[\w)]" + re.escape(m.group(1)) + r"(?![\w*])", text[m.end():])
        out.append(text[pos:m.start()] + (m.group(1) if closes else m.group(1).replace("*", "\\*")))
        pos = m.end()
    return "".join(out) + text[pos:]


def _is_type(text: str) -> bool:
    """Whether the right-hand side of ``name : text`` reads as a type (short, no full stop)."""
    return (len(text.split()) <= 4 and not text.rstrip().endswith((".", ";", ":"))
            and not any(c in text for c in "~=^"))


def escape_bars(lines: list[str]) -> list[str]:
    """``lines`` with each ``|`` outside inline literals and ``::`` literal blocks escaped."""
    out, literal_indent = [], None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if line.strip() and indent <= literal_indent:
                literal_indent = None
            else:
                out.append(line)
                continue
        if line.lstrip().startswith((">>>", "...")):
            out.append(line)
            continue
        parts = _LITERAL.split(line)
        out.append("".join(p if k % 2 else _escape_text(p) for k, p in enumerate(parts)))
        if line.rstrip().endswith("::") and i + 1 < len(lines):
            literal_indent = indent
    return out


def equation_blocks(lines: list[str]) -> list[str]:
    """A ``::`` line before every indented block that follows a plain paragraph (not a list item,
    a directive or a paragraph already ending in ``::``): the block is then shown as written."""
    out = []
    for i, line in enumerate(lines):
        prev, nxt = (lines[i - 1] if i else ""), (lines[i + 1] if i + 1 < len(lines) else "")
        if not line.strip() and prev.strip() and nxt.strip():
            indent = len(prev) - len(prev.lstrip())
            deeper = len(nxt) - len(nxt.lstrip()) > indent
            plain = not (prev.rstrip().endswith("::") or prev.lstrip().startswith(("..", ">>>"))
                         or _LIST_ITEM.match(prev) or set(prev.strip()) <= set("-=~"))
            if deeper and plain:
                out += ["", " " * indent + "::"]
        out.append(line)
    return out


def split_descriptions(lines: list[str]) -> list[str]:
    """Inside the numpy sections, ``name : sentence`` lines become ``name`` + indented ``sentence``."""
    out, section = [], None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and set(nxt.strip()) == {"-"} and len(nxt.strip()) >= 3:
            section = line.strip()
        elif section in _SECTIONS and (m := _FIELD.match(line)) and not _is_type(m.group(3)):
            out += [f"{m.group(1)}{m.group(2)}", f"{m.group(1)}    {m.group(3)}"]
            continue
        out.append(line)
    return out


def process(app, what: str, name: str, obj, options, lines: list[str]) -> None:
    """The ``autodoc-process-docstring`` handler: the three rewrites of the module docstring."""
    if what in ("data", "attribute") and not inspect.isclass(obj) and not inspect.isroutine(obj):
        own = inspect.getdoc(type(obj)) or ""
        if own and "\n".join(lines).strip() == inspect.cleandoc(own).strip():
            lines[:] = []
            return
    lines[:] = escape_bars(equation_blocks(split_descriptions(lines)))
