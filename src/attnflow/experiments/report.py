"""Predicted-vs-measured reports for the reproduction experiments.

Every experiment returns a :class:`Report`: one :class:`Claim` row per quantitative claim of
a paper, each with the prediction, the measurement, their error, the tolerance the verdict
uses and the parameters of the run. Rows are computed, never written by hand: a row whose
measurement is missing is marked "not measured", and a row outside its tolerance "fail".
:meth:`Report.write` produces ``report.md`` and ``results.zarr`` in the output folder.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__

__all__ = ["Claim", "Report", "compare"]


@dataclass(frozen=True)
class Claim:
    """One row of a report.

    Attributes
    ----------
    claim : what the paper (or the theory) says, in words.
    predicted, measured : the values (numbers, or short strings for categorical claims).
    error : |measured - predicted| (relative when ``relative``), or None when not numeric.
    tolerance : the tolerance the verdict uses (same units as ``error``).
    passed : the verdict; None when nothing could be measured.
    parameters : the run's parameters, in words.
    note : anything a reader needs (why a claim fails, what was not found in the paper).
    """

    claim: str
    predicted: Any
    measured: Any
    error: float | None
    tolerance: float | None
    passed: bool | None
    parameters: str
    relative: bool = False
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "not measured"
        return "pass" if self.passed else "fail"


def compare(claim: str, predicted, measured, tolerance: float, parameters: str, *,
            relative: bool = False, note: str = "") -> Claim:
    """A numeric claim: error = |measured - predicted| (divided by |predicted| if relative)."""
    try:
        p, m = float(predicted), float(measured)
    except (TypeError, ValueError):
        return Claim(claim, predicted, measured, None, tolerance, None, parameters, relative, note)
    if not (math.isfinite(p) and math.isfinite(m)):
        return Claim(claim, p, m, None, tolerance, None, parameters, relative,
                     (note + " " if note else "") + "measurement not finite")
    err = abs(m - p) / abs(p) if relative and p != 0 else abs(m - p)
    return Claim(claim, p, m, err, tolerance, err <= tolerance, parameters, relative, note)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return "nan" if not math.isfinite(v) else f"{v:.4g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value).replace("|", "\\|")


@dataclass
class Report:
    """The result of one experiment (see the module docstring)."""

    name: str
    title: str
    paper: str
    mode: str
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    wall_time: float | None = None

    def add(self, claim: Claim) -> Claim:
        self.claims.append(claim)
        return claim

    @property
    def summary(self) -> str:
        v = [c.verdict for c in self.claims]
        return (f"{v.count('pass')} pass, {v.count('fail')} fail, "
                f"{v.count('not measured')} not measured")

    def markdown(self) -> str:
        lines = [f"# {self.title}", "", f"Paper: {self.paper}", "",
                 f"Mode: {self.mode}; wall time {self.wall_time or 0:.1f} s; attnflow {__version__}; "
                 f"{self.summary}.", "",
                 "| claim | predicted | measured | error | tolerance | verdict | parameters |",
                 "|---|---|---|---|---|---|---|"]
        for c in self.claims:
            tol = "-" if c.tolerance is None else (f"{c.tolerance:.3g}" + (" (rel.)" if c.relative else ""))
            lines.append(f"| {c.claim} | {_fmt(c.predicted)} | {_fmt(c.measured)} | {_fmt(c.error)} | "
                         f"{tol} | **{c.verdict}** | {c.parameters} |")
        notes = [f"- {c.claim}: {c.note}" for c in self.claims if c.note]
        if notes:
            lines += ["", "## Notes on the rows", "", *notes]
        if self.notes:
            lines += ["", "## Notes", "", *[f"- {n}" for n in self.notes]]
        if self.figures:
            lines += ["", "## Figures", "", *[f"![{Path(f).stem}]({Path(f).name})" for f in self.figures]]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path) -> Path:
        """Write ``report.md`` and ``results.zarr`` (claims and raw arrays) into ``out_dir``."""
        import xarray as xr

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if self.wall_time is None:
            self.wall_time = time.perf_counter() - self.started
        (out / "report.md").write_text(self.markdown(), encoding="utf-8")
        rows = [{k: (v if isinstance(v, (str, int, float, bool, type(None))) else _fmt(v))
                 for k, v in asdict(c).items()} for c in self.claims]
        data_vars = {}
        for key, value in self.data.items():
            arr = np.asarray(value)
            if arr.dtype.kind in "fiub" and arr.size:
                data_vars[key] = (tuple(f"{key}_dim{i}" for i in range(arr.ndim)), arr)
        ds = xr.Dataset(data_vars, attrs={"experiment": self.name, "mode": self.mode,
                                          "claims": json.dumps(rows), "summary": self.summary,
                                          "wall_time": float(self.wall_time),
                                          "attnflow_version": __version__})
        ds.to_zarr(out / "results.zarr", mode="w", consolidated=False)
        return out / "report.md"
