"""The derivations the code cites live in the repository: every docs/theory reference resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for d in ("src", "tests", "examples", "benchmarks") for p in (ROOT / d).rglob("*.py")]
DOCS = [*(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts), ROOT / "README.md"]
OUTSIDE = re.compile(r"THEORY\.md|THEORY-DETAILS|DESIGN\.md|\.\./shared/|(?<![\w/])shared/(?:seeds|THEORY)")
CITED = re.compile(r"docs/theory/([\w-]+)\.md(?:#([\w-]+))?")
LINK = re.compile(r"\]\(([^)\s#]+\.md)(?:#([\w-]+))?\)")


def _anchors(page: Path) -> set[str]:
    """GitHub/MyST heading slugs of a Markdown page (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out = set()
    for line in page.read_text().splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        k = seen.get(slug, 0)
        seen[slug] = k + 1
        out.add(slug if k == 0 else f"{slug}-{k}")
    return out


def test_no_file_cites_notes_outside_the_repository():
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in CODE + DOCS if p.name != Path(__file__).name
           for i, line in enumerate(p.read_text().splitlines(), 1) if OUTSIDE.search(line)]
    assert not bad, bad


def test_every_cited_theory_page_and_section_exists():
    theory = ROOT / "docs" / "theory"
    missing = []
    for p in CODE:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            for page, anchor in CITED.findall(line):
                target = theory / f"{page}.md"
                if not target.exists() or (anchor and anchor not in _anchors(target)):
                    missing.append(f"{p.relative_to(ROOT)}:{i}: docs/theory/{page}.md#{anchor}")
    assert not missing, missing


#: pages the site build writes (checked in the built site by tests/test_site.py, not here)
GENERATED = [ROOT / "docs" / name for name in ("api", "reproductions", "auto_examples")]


def test_relative_links_between_doc_pages_resolve():
    missing = []
    for page in DOCS:
        for target, anchor in LINK.findall(page.read_text()):
            if "://" in target:
                continue
            dest = (page.parent / target).resolve()
            if any(dest.is_relative_to(g) for g in GENERATED):
                continue
            if not dest.exists() or (anchor and anchor not in _anchors(dest)):
                missing.append(f"{page.relative_to(ROOT)} -> {target}#{anchor}")
    assert not missing, missing


def test_the_derivation_checks_of_the_theory_pages_pass():
    """docs/theory/check_derivations.py: every [D] statement of the pages against the package."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, str(ROOT / "docs" / "theory" / "check_derivations.py")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = [l for l in out.stdout.splitlines() if l.startswith(("ok ", "FAIL"))]
    assert len(lines) >= 25 and all(l.startswith("ok ") for l in lines), out.stdout[-3000:]


def test_no_page_holds_control_characters():
    # a TeX command written through a non-raw Python string ("\beta", "\rangle") turns into a
    # backspace or carriage return that MathJax cannot read; tabs are refused with them
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in DOCS
           for i, line in enumerate(p.open(newline="").read().split("\n"), 1)
           if re.search(r"[\x00-\x08\x0b-\x1f]", line)]
    assert not bad, bad
