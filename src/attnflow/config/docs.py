"""The key tables of docs/cli.md and docs/sweeps.md, generated from the pydantic models.

::

    python -m attnflow.config.docs run            # print the run-file tables (Markdown)
    python -m attnflow.config.docs sweep          # print the [sweep] tables
    python -m attnflow.config.docs --update docs/cli.md docs/sweeps.md

A document holds each generated part between the lines
``<!-- BEGIN GENERATED: python -m attnflow.config.docs PART -->`` and ``<!-- END GENERATED -->``;
``--update`` rewrites those blocks, and a test checks that the committed docs equal the output,
so the documented keys, types, defaults and allowed values cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .errors import show
from .models import (
    AnglesInit,
    EnsembleSpec,
    EquispacedInit,
    ModelSection,
    RunFile,
    RunSection,
    UniformInit,
    VmfInit,
    known_backends,
)

__all__ = ["PARTS", "key_table", "main", "render", "update"]

_BLOCK = re.compile(r"(<!-- BEGIN GENERATED: python -m attnflow\.config\.docs (\w+) -->\n)(.*?)"
                    r"(<!-- END GENERATED -->)", re.S)
_SCALARS = {int: "integer", float: "number", bool: "boolean", str: "string"}
_CONSTRAINTS = ((at.Gt, "gt", ">"), (at.Ge, "ge", ">="), (at.Lt, "lt", "<"), (at.Le, "le", "<="))


def _plain(tp: Any) -> Any:
    """``tp`` without ``Annotated`` metadata and without ``| None``."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _plain(args[0])
    return tp


def _type(tp: Any) -> str:
    tp = _plain(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return "string"
    if origin in (tuple, list):
        return f"list of {_type(typing.get_args(tp)[0])}s"
    if origin is dict:
        return "table"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "table"
    return _SCALARS.get(tp, "see below")


def _type_text(info: FieldInfo) -> str:
    """E.g. "number > 0", "integer >= 1", "non-empty list of numbers"."""
    bounds = [f" {sign} {getattr(m, attr):g}" for m in info.metadata for kind, attr, sign in _CONSTRAINTS
              if isinstance(m, kind)]
    nonempty = any(isinstance(m, at.MinLen) and m.min_length == 1 for m in info.metadata)
    return ("non-empty " if nonempty else "") + _type(info.annotation) + "".join(bounds)


def _default(info: FieldInfo) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "default_text" in extra:
        return str(extra["default_text"])
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "none"
    return f"`{show(list(info.default) if isinstance(info.default, tuple) else info.default)}`"


def _allowed(info: FieldInfo) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    tp = _plain(info.annotation)
    if typing.get_origin(tp) in (tuple, list):
        tp = _plain(typing.get_args(tp)[0])
    if extra.get("choices_from") == "velocity backends":
        choices: Any = known_backends()
    elif "choices" in extra:
        choices = extra["choices"]
    elif typing.get_origin(tp) is typing.Literal:
        choices = typing.get_args(tp)
    else:
        return ""
    return ", ".join(f"`{show(c)}`" for c in choices)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def key_table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> str:
    """The Markdown table of a model's keys: key, type, default, allowed values, meaning."""
    lines = ["| key | type | default | allowed values | meaning |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        lines.append(f"| `{name}` | {_cell(_type_text(info))} | {_cell(_default(info))} "
                     f"| {_cell(_allowed(info))} | {_cell(info.description or '')} |")
    return "\n".join(lines)


def _doc_line(model: type) -> str:
    """The first paragraph of a model's docstring, on one line, with Markdown backticks."""
    return " ".join((model.__doc__ or "").strip().split("\n\n")[0].split()).replace("``", "`")


def _run_part() -> str:
    kinds = (UniformInit, VmfInit, AnglesInit, EquispacedInit)
    parts = ["#### Top level", "", key_table(RunFile, skip=("model", "init", "run")), "",
             "#### `[model]`", "", _doc_line(ModelSection), "", key_table(ModelSection), "",
             "#### `A` and `V` as a random-matrix table", "", _doc_line(EnsembleSpec), "",
             key_table(EnsembleSpec), "", "#### `[init]`", "",
             "`kind` selects the distribution (default `\"uniform\"`); each kind has its own keys, and a "
             "key of another kind is reported as unknown.", ""]
    for kind in kinds:
        parts += [_doc_line(kind), "", key_table(kind, skip=("kind",)), ""]
    parts += ["#### `[run]`", "", _doc_line(RunSection), "", key_table(RunSection)]
    return "\n".join(parts) + "\n"


def _sweep_part() -> str:
    from ..sweep.models import RangeTable, SweepSection
    from ..sweep.spec import SHORT_AXES

    short = ", ".join(f"`{k}` ({'.'.join(v)})" for k, v in SHORT_AXES.items())
    parts = ["#### `[sweep]`", "", _doc_line(SweepSection), "", key_table(SweepSection), "",
             "#### `[sweep.axes]`", "",
             "One key per axis, in the order of the store's dims. The key is a short name "
             f"({short}), `replica`, or the dotted path of any other key of the run tables "
             "(`\"init.mu\"`, `\"model.A.seed\"`). The value is a list of values, a range table, or "
             "for `replica` a number R of replicas (0 .. R-1) or a list of integers.", "",
             f"Range table: {_doc_line(RangeTable)}", "", key_table(RangeTable)]
    return "\n".join(parts) + "\n"


#: the generated parts, by name
PARTS: dict[str, Callable[[], str]] = {"run": _run_part, "sweep": _sweep_part}


def render(part: str) -> str:
    """The Markdown of one generated part ("run" or "sweep")."""
    if part not in PARTS:
        raise ValueError(f"part={part!r}: is not a generated part. Fix: use one of {sorted(PARTS)}.")
    return PARTS[part]()


def update(text: str) -> str:
    """``text`` with every generated block replaced by the current output of its part."""
    return _BLOCK.sub(lambda m: m.group(1) + render(m.group(2)) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    """Print a part, or ``--update FILE ...`` the generated blocks of documents; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--update"]:
        for name in args[1:]:
            with open(name, encoding="utf-8") as fh:
                old = fh.read()
            new = update(old)
            if new != old:
                with open(name, "w", encoding="utf-8") as fh:
                    fh.write(new)
                print(f"updated {name}")
        return 0
    if len(args) != 1 or args[0] not in PARTS:
        print(__doc__.split("::")[1].split("A document")[0].rstrip(), file=sys.stderr)
        return 2
    sys.stdout.write(render(args[0]))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
