"""Errors of run and sweep files in the project's one dialect: file, table, key, value, problem, fix.

Every error of a file is one ``ValueError`` line

    run.toml: [model].beta="x": is not a real number. Fix: pass a finite inverse temperature, e.g. beta = 1.0.
    run.toml: [run]: unknown key 'dtt'. Valid keys: t0, t1, dt, .... Fix: did you mean 'dt'? remove ...

(``config`` instead of ``run.toml:`` for a document built in code). Values are shown as they are
written in TOML (``"x"``, ``true``). :func:`from_validation_error` turns the first error of a
pydantic ``ValidationError`` into that line, taking the fix from the key's ``Field`` (its
``fix`` or ``examples``); validators raise :func:`problem` or :func:`unknown_key`, which carry
their own text and fix.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

__all__ = ["choice_fix", "file_error", "from_validation_error", "location", "prefix", "problem", "show",
           "unknown_key"]

#: error type of :func:`problem` and :func:`unknown_key` (their text is in the context)
_PROBLEM, _UNKNOWN = "attnflow_problem", "attnflow_unknown_key"

# pydantic's error types, in words (the value and the key are shown separately)
_PROBLEMS = {
    "int_type": "is not an integer", "int_parsing": "is not an integer",
    "int_from_float": "is not an integer", "float_type": "is not a real number",
    "float_parsing": "is not a real number", "finite_number": "is not finite",
    "bool_type": "is not true or false", "bool_parsing": "is not true or false",
    "string_type": "is not a string", "list_type": "is not a list", "tuple_type": "is not a list",
    "dict_type": "is not a table", "model_type": "is not a table",
    "model_attributes_type": "is not a table", "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}", "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}", "too_short": "holds fewer than {min_length} value(s)",
    "too_long": "holds more than {max_length} values", "literal_error": "is not one of the allowed values",
}


def show(value: Any) -> str:
    """A value roughly as it is written in TOML, shortened to 60 characters."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, Mapping) and not value:
        text = "{}"
    elif isinstance(value, Mapping):
        text = "{ " + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def prefix(source: str | None) -> str:
    """How a message names its file: ``"run.toml:"``, or ``"config"`` for a document built in code."""
    return f"{source}:" if source else "config"


def file_error(source: str | None, where: str, value: Any, text: str, fix: str) -> ValueError:
    """``ValueError("run.toml: [run].dt=-1: must be > 0. Fix: ....")``; ``where`` is the table and key."""
    return ValueError(f"{prefix(source)} {where}={show(value)}: {text}. Fix: {fix}.")


def choice_fix(value: Any, choices: Sequence[Any]) -> str:
    """'use one of "a", "b"' with a "did you mean" hint for a near miss."""
    listed = ", ".join(show(c) for c in choices)
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1) if isinstance(value, str) else []
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"use one of {listed}{hint}"


def problem(text: str, fix: str | None = None, *, key: str | tuple[str, ...] | None = None,
            value: Any = None) -> PydanticCustomError:
    """An error for a validator to raise: what is wrong and the fix (None: the key's own fix).

    ``key`` names the offending key (or path of keys, e.g. ``("init", "kind")``) when the
    validator belongs to a table around it (a check across keys); ``value`` is the value shown.
    """
    return PydanticCustomError(_PROBLEM, "{text}", {"text": text, "fix": fix, "key": key, "value": value})


def unknown_key(key: str, valid: Sequence[str], context: str = "") -> PydanticCustomError:
    """The error of a key that its table does not have, suggesting the closest valid one."""
    return PydanticCustomError(_UNKNOWN, "unknown key {key}", {"key": key, "valid": list(valid),
                                                               "context": context})


def location(loc: Sequence[str | int]) -> str:
    """``("run", "observables", 1)`` -> ``"[run].observables[1]"``; union tags (``"@..."``) dropped."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith("@"))]
    if not parts:
        return "(top level)"
    if parts[:2] == ["sweep", "axes"]:
        head, parts = "[sweep.axes]", parts[2:]
    else:
        head, parts = f"[{parts[0]}]", parts[1:]
    return head + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _strip(tp: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
            tp = args[0]
            continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_section(info: FieldInfo | None) -> bool:
    """Whether a key holds a table: a model, or a union of models (the [init] kinds)."""
    if info is None:
        return False
    tp = _strip(info.annotation)
    return _is_model(tp) or (typing.get_origin(tp) in (typing.Union, types.UnionType)
                             and all(_is_model(_strip(a)) for a in typing.get_args(tp)))


def _tagged(tp: Any, tag: str) -> Any:
    """The member of a discriminated union carrying ``Tag(tag)``."""
    for member in typing.get_args(tp):
        meta = typing.get_args(member)[1:] if typing.get_origin(member) is typing.Annotated else ()
        if any(getattr(m, "tag", None) == tag for m in meta):
            return typing.get_args(member)[0]
    return None


def field_at(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[FieldInfo | None, str, Any]:
    """The ``Field`` of the innermost key along ``loc``, that key's name and the model holding it."""
    tp: Any = root
    found: tuple[FieldInfo | None, str, Any] = (None, "", root)
    for part in loc:
        tp = _strip(tp)
        if isinstance(part, str) and part.startswith("@"):
            tp = _tagged(tp, part)
        elif _is_model(tp) and isinstance(part, str):
            info = tp.model_fields.get(part)
            if info is None:
                return found
            found, tp = (info, part, tp), info.annotation
        elif typing.get_origin(tp) in (list, tuple, dict):
            tp = typing.get_args(tp)[-1 if typing.get_origin(tp) is dict else 0]
        else:
            return found
        if tp is None:
            return found
    return found


def _field_fix(info: FieldInfo | None, key: str) -> str:
    """The fix a key's Field states (``fix``), or one built from its first example."""
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    if extra.get("fix"):
        return str(extra["fix"])
    if info is not None and info.examples:
        return f"write e.g. {key} = {show(info.examples[0])}"
    return "see docs/cli.md for the valid values"


def _choices(info: FieldInfo | None, ctx: Mapping[str, Any]) -> list[Any]:
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    if extra.get("choices"):
        return list(extra["choices"])
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))


def from_validation_error(exc: ValidationError, root: type[BaseModel], source: str | None) -> ValueError:
    """The first error of ``exc`` (validating ``root``) as one line of the project's dialect."""
    err = exc.errors(include_url=False)[0]
    kind, loc, ctx = err["type"], tuple(err["loc"]), err.get("ctx") or {}
    where = location(loc)
    if kind == _UNKNOWN:
        key, valid = ctx["key"], ctx["valid"]
        close = difflib.get_close_matches(str(key), valid, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return ValueError(f"{prefix(source)} {where}: unknown key {key!r}{ctx.get('context', '')}. "
                          f"Valid keys: {', '.join(valid)}. Fix: {hint}remove or rename {key!r}.")
    if kind == "missing":
        info, key, owner = field_at(root, loc)
        table = location(loc[:-1])
        if _is_section(info):
            return ValueError(f"{prefix(source)} {table}: missing section [{key}]. Fix: add a [{key}] "
                              "table (see docs/cli.md for its keys).")
        example = f"e.g. {key} = {show(info.examples[0])}" if info is not None and info.examples else key
        context = getattr(owner, "CONTEXT", "")
        return ValueError(f"{prefix(source)} {table}: missing required key {key!r}{context}. "
                          f"Fix: add {example}.")
    value = err.get("input")
    if kind == _PROBLEM and ctx.get("key") is not None:
        key = ctx["key"]
        loc = (*loc, *((key,) if isinstance(key, str) else key))
        where, value = location(loc), ctx.get("value")
    info, key, _ = field_at(root, loc)
    if kind == _PROBLEM:
        return file_error(source, where, value, str(ctx.get("text") or err["msg"]),
                          ctx.get("fix") or _field_fix(info, key))
    if kind == "literal_error":
        return file_error(source, where, value, "is not one of the allowed values",
                          choice_fix(value, _choices(info, ctx)))
    text = _PROBLEMS.get(kind)
    shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
    text = text.format(**shown) if text else err["msg"][0].lower() + err["msg"][1:]
    fix = _field_fix(info, key)
    if kind.startswith("int_") and isinstance(value, float) and value.is_integer():
        text = "is a float, not an integer (TOML reads 1e11 or 5.0 as a float)"
        fix = f"write the digits, e.g. {key} = {int(value)}" if abs(value) < 1e18 else fix
    elif kind in ("dict_type", "model_type", "model_attributes_type") and len(loc) == 1:
        fix = f"write it as a table: a header {where} followed by key = value lines"
    elif kind == "too_short" and ctx.get("min_length") == 1:
        text = "is empty"
    return file_error(source, where, value, text, fix)
