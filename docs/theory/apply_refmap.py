"""Rewrite the citations of the former theory notes with the targets of refmap.tsv.

Run from the repository root:

    python docs/theory/apply_refmap.py            # print "file:line: old -> new" for every citation
    python docs/theory/apply_refmap.py --write    # apply the replacements in place

It covers ``src/``, ``tests/``, ``examples/`` and ``benchmarks/``. A citation wrapped across two
lines (a file name at the end of one line, its section at the start of the next) is joined first.
Rules (see docs/theory/index.md, "Stable anchors and the reference map"): the rows are matched
longest citation first; a row's ``refine`` entries are tried in order (``path=target``,
``path:symbol=target``, ``path~text=target``), where ``path`` is relative to ``src/attnflow/`` and
also matches a package of the same name after a module was split (``experiments/chen2025.py``
matches ``experiments/chen2025/claims.py``); otherwise the row's ``target`` is used. Prose around
the citation is left alone: read the printed lines and fix sentences that no longer read well
(for example "THEORY.md derives" becomes "docs/theory/provenance.md#provenance-tags derives").
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "src" / "attnflow"
MAP = ROOT / "docs" / "theory" / "refmap.tsv"
#: rows that are prose, not citations: listed in the map for readers, never rewritten automatically
PROSE = {"the notes", "§4.2"}
WRAPPED = re.compile(r"(?:THEORY(?:-DETAILS)?(?:\.md)?)$")
DUPLICATE = re.compile(r"(docs/theory/[\w.-]+(?:#[\w-]+)?)(?:, |; | / )\1(?![\w#-])")


def load() -> list[dict]:
    rows = [r for r in csv.DictReader(MAP.open(), delimiter="\t") if r["citation"] not in PROSE]
    return sorted(rows, key=lambda r: len(r["citation"]), reverse=True)


def _path_matches(key: str, rel: str) -> bool:
    stem = key[:-3] if key.endswith(".py") else key
    rel_stem = rel[:-3] if rel.endswith(".py") else rel
    return rel_stem == stem or rel_stem.startswith(stem + "/")


def target_for(row: dict, rel: str, symbol: str, line: str) -> str:
    for entry in filter(None, (row["refine"] or "").split("; ")):
        key, _, target = entry.partition("=")
        if "~" in key:
            path, _, text = key.partition("~")
            if _path_matches(path, rel) and text in line:
                return target
        elif ":" in key:
            path, _, sym = key.partition(":")
            if _path_matches(path, rel) and sym == symbol:
                return target
        elif _path_matches(key, rel):
            return target
    return row["target"]


def enclosing(lines: list[str], i: int) -> str:
    for j in range(i, -1, -1):
        m = re.match(r"\s*(?:async\s+)?(?:def|class)\s+(\w+)", lines[j])
        if m:
            return m.group(1)
    return "<module>"


def rewrite(write: bool) -> int:
    rows = load()
    pattern = re.compile("|".join(re.escape(r["citation"]) + r"(?![0-9]|\.[0-9])" for r in rows))
    count = 0
    files = [p for d in ("src", "tests", "examples", "benchmarks") for p in sorted((ROOT / d).rglob("*.py"))]
    for path in files:
        rel = (path.relative_to(PKG) if path.is_relative_to(PKG) else path.relative_to(ROOT)).as_posix()
        lines = path.read_text().split("\n")
        changed = False
        for i in range(len(lines) - 1):                   # join "THEORY.md" + newline + "§5"
            head = WRAPPED.search(lines[i])
            tail = re.match(r"(\s*)(§[0-9.]+(?:[-/]§?[0-9.]+)?)\s?", lines[i + 1])
            if head and tail:
                lines[i] += " " + tail.group(2)
                lines[i + 1] = tail.group(1) + lines[i + 1][tail.end():]
                changed = True
        for i, line in enumerate(lines):
            if "_THEORY_KEYS" in line:
                continue

            symbol = enclosing(lines, i)
            new = pattern.sub(lambda m, s=symbol, ln=line, rl=rel: target_for(
                next(r for r in rows if r["citation"] == m.group(0)), rl, s, ln), line)
            new = DUPLICATE.sub(r"\1", new)              # "T, T" -> "T" when two old sections map to one
            if new != line:
                count += 1
                long = "  [longer than 110 characters: re-wrap]" if len(new) > 110 else ""
                print(f"{rel}:{i + 1}: {line.strip()}\n    -> {new.strip()}{long}")
                lines[i] = new
                changed = True
        if write and changed:
            path.write_text("\n".join(lines))
    print(f"{count} lines {'rewritten' if write else 'to rewrite'}")
    return 0


if __name__ == "__main__":
    sys.exit(rewrite("--write" in sys.argv[1:]))
