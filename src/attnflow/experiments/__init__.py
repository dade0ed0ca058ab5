"""Reproductions of the papers' quantitative claims, one module per paper.

Each module exposes ``TITLE``, ``PAPER`` and ``run(out_dir, quick=False) -> Report``; the
report holds one predicted-vs-measured row per claim (see :mod:`.report`).
``attnflow reproduce NAME [--quick] [--out DIR]`` runs one, ``--list`` lists them.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from ..validation import fail
from .report import Claim, Report, compare

__all__ = ["EXPERIMENTS", "Claim", "Report", "compare", "run_experiment"]

#: experiment name -> module (imported lazily: some experiments pull in heavier tools)
EXPERIMENTS: dict[str, str] = {}


def _register() -> None:
    for name in ("bruno2024", "chen2025", "lowtemp2025", "glpr2023", "normalization2025", "longcontext2025",
                 "minilm", "causal2024", "noise2026"):
        spec = importlib.util.find_spec(f"{__name__}.{name}")
        if spec is not None:
            EXPERIMENTS[name] = f"{__name__}.{name}"


_register()


def run_experiment(name: str, out_dir: str | Path, quick: bool = False) -> Report:
    """Run experiment ``name`` and write its report, figures and raw results into ``out_dir``."""
    if name not in EXPERIMENTS:
        raise fail("name", name, "is not a known experiment", f"use one of {sorted(EXPERIMENTS)}")
    module = importlib.import_module(EXPERIMENTS[name])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = module.run(out, quick=quick)
    report.write(out)
    return report
