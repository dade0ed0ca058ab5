"""Check the theory pages' links, the reference map, and that no page cites notes outside the repo.

Run from the repository root:

    python docs/theory/check_refs.py

It reports (and exits with status 1 on any of them):

1. a target of ``docs/theory/refmap.tsv`` whose page or heading anchor does not exist;
2. a relative Markdown link in ``docs/`` whose page or heading anchor does not exist;
3. a citation of the former theory notes in ``src/``, ``tests/``, ``examples/`` or ``benchmarks/``
   that no row of the map covers
   (``THEORY``, ``THEORY.md``, ``THEORY-DETAILS``, ``DESIGN.md`` followed by a section);
4. a page in ``docs/`` that still cites those notes or the ``shared/`` directory.

Anchors are the GitHub/MyST slugs of the headings: lower case, punctuation other than ``-`` and
``_`` dropped, spaces replaced by ``-``, ``-1``, ``-2`` ... appended to repeated headings.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MAP = DOCS / "theory" / "refmap.tsv"
CITATION = re.compile(r"(?:THEORY(?:-DETAILS)?(?:\.md)?|DESIGN(?:\.md)?)(?![A-Za-z_])"
                      r"(?:\s*/\s*THEORY-DETAILS\.md|,\s*\"Choices\"|\s*§[0-9.]+(?:[-/]§?[0-9.]+)?|\s+P[0-9]+)?")
FORBIDDEN = re.compile(r"THEORY\.md|THEORY-DETAILS|DESIGN\.md|(?<![/\w])shared/|\bseeds/")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    in_code = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not re.match(r"#{1,6} ", line):
            continue
        base = slug(line.lstrip("#"))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def target_ok(path: Path, anchor: str | None) -> str | None:
    if not path.exists():
        return f"missing file {path.relative_to(ROOT)}"
    if anchor and path.suffix == ".md" and anchor not in anchors(path):
        return f"missing anchor #{anchor} in {path.relative_to(ROOT)}"
    return None


def main() -> int:
    problems: list[str] = []
    rows = list(csv.DictReader(MAP.open(), delimiter="\t"))
    for row in rows:
        targets = [row["target"]] + [r.split("=", 1)[1] for r in (row["refine"] or "").split("; ") if r]
        for r in (row["refine"] or "").split("; "):
            where = r.split("=", 1)[0].split(":")[0].split("~")[0]
            if r and not ((ROOT / "src" / "attnflow" / where).exists() or (ROOT / where).exists()):
                problems.append(f"refmap row {row['citation']!r}: refine path {where} not found")
        for t in targets:
            file, _, anchor = t.partition("#")
            err = target_ok(ROOT / file, anchor or None)
            if err:
                problems.append(f"refmap row {row['citation']!r}: {err}")
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        prose = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)                  # math is not a link
        prose = re.sub(r"\$[^$\n]*\$|`[^`\n]*`", "", prose)
        for link in LINK.findall(prose):
            if re.match(r"[a-z]+:", link):                      # http:, https:, mailto:
                continue
            file, _, anchor = link.partition("#")
            path = page if not file else (page.parent / file).resolve()
            err = target_ok(path, anchor or None)
            if err:
                problems.append(f"{page.relative_to(ROOT)}: link {link}: {err}")
        for i, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                problems.append(f"{page.relative_to(ROOT)}:{i}: cites notes outside the repository: "
                                f"{line.strip()[:90]}")
    keys = sorted((r["citation"] for r in rows), key=len, reverse=True)
    sources = [p for d in ("src", "tests", "examples", "benchmarks")
               for p in sorted((ROOT / d).rglob("*.py"))]
    for src in sources:
        text = re.sub(r"(THEORY(?:-DETAILS)?(?:\.md)?)\n\s*(§)", r"\1 \2", src.read_text())   # wrapped
        for i, line in enumerate(text.splitlines(), 1):
            for m in CITATION.finditer(line):
                if "_THEORY_KEYS" in line:
                    continue
                cited = m.group(0).rstrip(".")
                if not any(cited.startswith(k) or k.startswith(cited) for k in keys):
                    problems.append(f"{src.relative_to(ROOT)}:{i}: citation {cited!r} not in refmap.tsv")
                elif cited not in keys:
                    problems.append(f"{src.relative_to(ROOT)}:{i}: citation {cited!r} matches no row exactly")
    for p in problems:
        print(p)
    print(f"{len(rows)} map rows; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
