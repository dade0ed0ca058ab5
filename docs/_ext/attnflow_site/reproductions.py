"""One gallery page per registered reproduction, from ``attnflow reproduce NAME --quick`` at build time.

The list of experiments is the registry itself (``attnflow.experiments.EXPERIMENTS``, what
``attnflow reproduce --list`` prints), so a reproduction that lands gets its page on the next build.
Each quick run goes to ``docs/_build/reproduce/NAME-KEY/`` where KEY digests the package's sources:
a rebuild with unchanged sources reuses the runs, any change of ``src/attnflow`` runs them again.
Two runs go at a time (one thread each: the machine has 2 cores). A run that fails is a build
warning (an error under ``-W``) and its page says so.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .apigen import write_if_changed

__all__ = ["experiments", "git", "run_quick", "source_key", "write_pages"]

#: one quick run may take this long before the build gives up on it
TIMEOUT = 900


def experiments() -> dict[str, tuple[str, str]]:
    """Registered experiment name -> (title, paper), in the registry's order."""
    from attnflow.experiments import EXPERIMENTS

    out = {}
    for name, module in EXPERIMENTS.items():
        mod = importlib.import_module(module)
        out[name] = (mod.TITLE, mod.PAPER)
    return out


def source_key(src: Path) -> str:
    """A digest of every file of the package (the quick runs depend on nothing else)."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(src)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def git(root: Path, *args: str) -> str:
    """The output of ``git ARGS`` in ``root``, or "" where git or the repository is missing."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_quick(name: str, root: Path, cache: Path) -> Path:
    """The folder of the quick run of ``name``: reused from ``cache`` or run now (a subprocess)."""
    key = source_key(root / "src" / "attnflow")
    folder = cache / f"{name}-{key}"
    stamp = folder / "build.json"
    if stamp.exists():
        return folder
    for old in cache.glob(f"{name}-*"):
        shutil.rmtree(old, ignore_errors=True)
    work = cache / f"{name}-{key}.partial"
    shutil.rmtree(work, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(root / "src"), MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    started = datetime.datetime.now(datetime.UTC)
    command = [sys.executable, "-m", "attnflow.cli", "reproduce", name, "--quick", "--out", str(work)]
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    dirty = " (modified)" if git(root, "status", "--porcelain", "--", "src") else ""
    info = {"name": name, "returncode": proc.returncode, "date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "commit": (git(root, "rev-parse", "--short", "HEAD") or "unknown") + dirty,
            "output": (proc.stdout + proc.stderr)[-4000:]}
    work.mkdir(parents=True, exist_ok=True)
    (work / "build.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    if proc.returncode == 0:
        (work / name).rename(folder)
        (work / "build.json").rename(stamp)
        shutil.rmtree(work, ignore_errors=True)
        return folder
    return work                        # a failed run is not cached: the next build tries again


def _page(name: str, title: str, paper: str, run: Path, info: dict, full_run: bool) -> str:
    lines = [f"# `{name}`: {title}", "", f"Paper: {paper}", ""]
    how = (f"Generated while this site was built, from `attnflow reproduce {name} --quick` "
           f"(run {info['date']}, commit {info['commit']}).")
    if info["returncode"] != 0:
        return "\n".join([*lines, how, "", "**The quick run failed.** Its last output:", "", "```text",
                          info["output"], "```", ""])
    report = (run / "report.md").read_text(encoding="utf-8").splitlines()
    body = report[1:] if report and report[0].startswith("# ") else report
    body = [line.replace("## ", "### ", 1) if line.startswith("## ") else line for line in body]
    body = [line for line in body if not line.startswith("Paper: ")]
    quick = ("The quick mode uses fewer tokens, seeds and parameters than the full run, so some "
             "verdicts can differ.")
    full = (f" The full run, with its discussion, is on [its own page](../../gallery/{name}.md)."
            if full_run else " No stored full run is published for this experiment yet.")
    share = (" The same report as one self-contained file (figures inline): "
             "{download}`report.html <report.html>`.")
    return "\n".join([*lines, how + " " + quick + full + share, "", "## Quick run", "", *body, ""])


def write_pages(out: Path, cache: Path, root: Path | None = None, jobs: int = 2) -> list[str]:
    """Run (or reuse) every quick run and write ``out/NAME/index.md``, its figures and the index page."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    root = root or out.parents[1]
    known = experiments()
    cache.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = dict(zip(known, pool.map(lambda n: run_quick(n, root, cache), known), strict=True))
    rows = ["| experiment | paper | quick run at build | full run |", "|---|---|---|---|"]
    for name, (title, paper) in known.items():
        run = runs[name]
        info = json.loads((run / "build.json").read_text(encoding="utf-8"))
        if info["returncode"] != 0:
            logger.warning("attnflow reproduce %s --quick failed (exit %s): %s", name, info["returncode"],
                           info["output"][-1500:])
        page = out / name
        page.mkdir(parents=True, exist_ok=True)
        for figure in run.glob("*.png"):
            if not (page / figure.name).exists() or (page / figure.name).read_bytes() != figure.read_bytes():
                shutil.copy2(figure, page / figure.name)
        if (run / "report.html").exists():
            shutil.copy2(run / "report.html", page / "report.html")
        full_run = (root / "docs" / "gallery" / f"{name}.md").exists()
        write_if_changed(page / "index.md", _page(name, title, paper, run, info, full_run))
        summary = "**failed**"
        if info["returncode"] == 0:
            lines = (run / "report.md").read_text(encoding="utf-8").splitlines()
            mode = [line for line in lines if line.startswith("Mode: ")]
            summary = mode[0].split("; ")[-1].rstrip(".") if mode else "-"
        full = f"[full run](../gallery/{name}.md)" if full_run else "-"
        rows.append(f"| [`{name}`]({name}/index.md) | {title} | {summary} | {full} |")
    for stale in out.iterdir() if out.exists() else ():
        if stale.is_dir() and stale.name not in known:
            shutil.rmtree(stale)
    index = ["# Reproductions: quick runs at build time", "",
             "Every experiment registered in `attnflow.experiments` (the list of "
             "`attnflow reproduce --list`) was run in its quick mode while this site was built; each "
             "page shows the claim table (prediction, measurement, error, tolerance, verdict), the "
             "notes and the figures of that run. "
             "The full runs, with their discussion, are in the [gallery overview](../gallery.md).", "",
             *rows, "", "```{toctree}", ":hidden:", "", *[f"{name}/index" for name in known], "```", ""]
    write_if_changed(out / "index.md", "\n".join(index))
    return list(known)
