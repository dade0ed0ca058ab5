"""Predicted-vs-measured reports for the reproduction experiments.

Every experiment returns a :class:`Report`: one :class:`Claim` row per quantitative claim of
a paper, each with the prediction, the measurement, their error, the tolerance the verdict
uses and the parameters of the run. Rows are computed, never written by hand: a row whose
measurement is missing is marked "not measured", and a row outside its tolerance "fail".
:meth:`Report.write` produces ``report.md``, ``report.html`` (the same page, self-contained: the
figures inline as base64, for sharing one result) and ``results.zarr`` in the output folder.

Row constructors (the one implementation each experiment uses):

- :func:`compare`: a numeric claim, |measured - predicted| (relative or absolute) <= tolerance;
- :func:`at_least`, :func:`at_most`: an inequality, measured >= bound (> with ``strict``) or
  measured <= bound, error = the violation, tolerance 0;
- :func:`check`: a claim whose verdict the experiment computes itself (categorical or
  compound conditions), with the prediction and the measurement in words.

Every row can carry a **foil**: a deliberately perturbed prediction (a plausible wrong theory:
the neighbouring mode's rate, the other normalization, a transposed matrix, ...) and the
verdict the same measurement gets against it (``foil_passed``). :func:`compare`,
:func:`at_least` and :func:`at_most` compute that verdict by their own rule from the stored
measurement; :func:`check` rows pass the verdict their rule gives for the foil. A row that
passes against its foil cannot tell the prediction from the foil; :func:`refuted` re-evaluates
a numeric row against its foil from the stored values (the test of every quick run uses it).

A NaN or infinite measurement gives "not measured" in every constructor but :func:`check`.
:func:`read_rows` parses the table of a written ``report.md`` back into its cells, which equal
:meth:`Claim.cells` of the rows that wrote it.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__

__all__ = [
    "Claim",
    "Report",
    "at_least",
    "at_most",
    "check",
    "compare",
    "format_floats",
    "read_rows",
    "refuted",
    "start",
]


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
    kind : the constructor's rule: "compare", "at_least", "at_most" or "check".
    strict : at_least only: the inequality is strict.
    foil : the deliberately perturbed prediction (a number, or words for check rows), or None.
    foil_passed : the verdict of the same measurement against the foil (None: no foil, or
        nothing measured).
    foil_note : what the foil stands for (which wrong theory).
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
    kind: str = "check"
    strict: bool = False
    foil: Any = None
    foil_passed: bool | None = None
    foil_note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "not measured"
        return "pass" if self.passed else "fail"

    def cells(self) -> list[str]:
        """The row's seven cells in ``report.md``: claim, predicted, measured, error, tolerance,
        verdict (bold), parameters; a "|" inside a cell is escaped as "\\|"."""
        tol = "-"
        if self.tolerance is not None:
            tol = f"{self.tolerance:.3g}" + (" (rel.)" if self.relative else "")
        return [_fmt(self.claim), _fmt(self.predicted), _fmt(self.measured), _fmt(self.error), tol,
                f"**{self.verdict}**", _fmt(self.parameters)]


def _compare_error(p: float, m: float, relative: bool) -> float:
    return abs(m - p) / abs(p) if relative and p != 0 else abs(m - p)


def compare(claim: str, predicted, measured, tolerance: float, parameters: str, *,
            relative: bool = False, note: str = "", foil: float | None = None, foil_note: str = "") -> Claim:
    """A numeric claim: error = |measured - predicted| (divided by |predicted| if relative).

    ``foil``: a perturbed prediction; ``foil_passed`` is the verdict of the same rule with
    ``foil`` in place of ``predicted`` (relative errors divided by |foil|).
    """
    extra = {"kind": "compare", "foil": None if foil is None else float(foil), "foil_note": foil_note}
    try:
        p, m = float(predicted), float(measured)
    except (TypeError, ValueError):
        return Claim(claim, predicted, measured, None, tolerance, None, parameters, relative, note, **extra)
    if not (math.isfinite(p) and math.isfinite(m)):
        return Claim(claim, p, m, None, tolerance, None, parameters, relative,
                     (note + " " if note else "") + "measurement not finite", **extra)
    err = _compare_error(p, m, relative)
    foil_passed = None if foil is None else bool(_compare_error(float(foil), m, relative) <= tolerance)
    return Claim(claim, p, m, err, tolerance, err <= tolerance, parameters, relative, note,
                 foil_passed=foil_passed, **extra)


def _holds(kind: str, bound: float, measured: float, strict: bool) -> bool:
    if kind == "at_most":
        return bool(measured <= bound)
    return bool(measured > bound if strict else measured >= bound)


def at_least(claim: str, bound: float, measured: float, parameters: str, *, strict: bool = False,
             note: str = "", foil: float | None = None, foil_note: str = "") -> Claim:
    """An inequality row: measured >= bound (measured > bound with ``strict``).

    predicted = ">= bound" (or "> bound"), error = max(0, bound - measured), tolerance 0; a
    non-finite measurement gives "not measured". ``foil``: a perturbed bound, judged by the
    same inequality.
    """
    sign = ">" if strict else ">="
    extra = {"kind": "at_least", "strict": strict, "foil": None if foil is None else float(foil),
             "foil_note": foil_note}
    if not math.isfinite(measured):
        return Claim(claim, f"{sign} {bound:.4g}", measured, None, 0.0, None, parameters, note=note, **extra)
    foil_passed = None if foil is None else _holds("at_least", float(foil), measured, strict)
    return Claim(claim, f"{sign} {bound:.4g}", float(measured), max(0.0, bound - measured), 0.0,
                 _holds("at_least", bound, measured, strict), parameters, note=note, foil_passed=foil_passed,
                 **extra)


def at_most(claim: str, bound: float, measured: float, parameters: str, *, note: str = "",
            foil: float | None = None, foil_note: str = "") -> Claim:
    """An inequality row: measured <= bound (error = max(0, measured - bound), tolerance 0).

    A non-finite measurement gives "not measured". ``foil``: a perturbed bound, judged by the
    same inequality.
    """
    extra = {"kind": "at_most", "foil": None if foil is None else float(foil), "foil_note": foil_note}
    if not math.isfinite(measured):
        return Claim(claim, f"<= {bound:.4g}", measured, None, 0.0, None, parameters, note=note, **extra)
    foil_passed = None if foil is None else _holds("at_most", float(foil), measured, False)
    return Claim(claim, f"<= {bound:.4g}", float(measured), max(0.0, measured - bound), 0.0,
                 _holds("at_most", bound, measured, False), parameters, note=note, foil_passed=foil_passed,
                 **extra)


def check(claim: str, predicted: Any, measured: Any, passed: bool, parameters: str, *, note: str = "",
          error: float | None = None, tolerance: float | None = None, foil: Any = None,
          foil_passed: bool | None = None, foil_note: str = "") -> Claim:
    """A row whose verdict ``passed`` the experiment computed (categorical or compound conditions).

    ``predicted`` and ``measured`` are usually short texts stating the condition and what was
    seen; ``error`` and ``tolerance`` are shown when one number decides the verdict. ``foil``
    and ``foil_passed``: a perturbed prediction and the verdict the experiment's rule gives
    for it (the same rule that gave ``passed``).
    """
    return Claim(claim, predicted, measured, error, tolerance, bool(passed), parameters, note=note,
                 foil=foil, foil_passed=None if foil_passed is None else bool(foil_passed),
                 foil_note=foil_note)


def refuted(claim: Claim) -> bool | None:
    """Whether the stored measurement of a row fails against its foil.

    compare / at_least / at_most rows are re-evaluated here from their stored measurement,
    tolerance and foil by the constructor's rule; check rows return ``not foil_passed`` as
    the experiment computed it. None when the row has no foil or nothing was measured.
    """
    if claim.foil is None or claim.passed is None:
        return None
    if claim.kind == "check":
        return None if claim.foil_passed is None else not claim.foil_passed
    m = float(claim.measured)
    if claim.kind == "compare":
        return not (_compare_error(float(claim.foil), m, claim.relative) <= claim.tolerance)
    return not _holds(claim.kind, float(claim.foil), m, claim.strict)


def format_floats(values) -> str:
    """"[v1, v2, ...]" with each value in the shortest general format (``:g``), for row texts."""
    return "[" + ", ".join(f"{float(v):g}" for v in values) + "]"


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


def _foil_verdict(c: Claim) -> str:
    if c.passed is None or c.foil_passed is None:
        return "not measured"
    return "pass" if c.foil_passed else "fail"


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
        lines += ["| " + " | ".join(c.cells()) + " |" for c in self.claims]
        notes = [f"- {c.claim}: {c.note}" for c in self.claims if c.note]
        if notes:
            lines += ["", "## Notes on the rows", "", *notes]
        foils = [f"- {c.claim}: {_fmt(c.foil)}" + (f" ({c.foil_note})" if c.foil_note else "")
                 + f" -> **{_foil_verdict(c)}**" for c in self.claims if c.foil is not None]
        if foils:
            lines += ["", "## Perturbed predictions", "",
                      "Each row against a deliberately wrong prediction (its foil), with the verdict the "
                      "same measurement gets: a row that can tell the theory from the foil fails there.",
                      "", *foils]
        if self.notes:
            lines += ["", "## Notes", "", *[f"- {n}" for n in self.notes]]
        if self.figures:
            lines += ["", "## Figures", "", *[f"![{Path(f).stem}]({Path(f).name})" for f in self.figures]]
        return "\n".join(lines) + "\n"

    def html(self, figure_dir: str | Path) -> str:
        """The report as one self-contained HTML page: :meth:`markdown` rendered (CommonMark with
        tables), each figure read from ``figure_dir`` and inlined as a base64 ``data:`` URI, no
        external reference (scripts, styles or images), so the file can be mailed or archived alone."""
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark", {"html": False}).enable("table").render(self.markdown())
        folder = Path(figure_dir)

        def inline(match: re.Match) -> str:
            name = html.unescape(match.group(1))
            data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
            return f'src="data:image/{Path(name).suffix.lstrip(".").lower() or "png"};base64,{data}"'

        body = _IMAGE.sub(inline, body)
        body = body.replace("<strong>pass</strong>", '<strong class="pass">pass</strong>')
        body = body.replace("<strong>fail</strong>", '<strong class="fail">fail</strong>')
        return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{html.escape(self.title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
                f"<body>\n{body}</body>\n</html>\n")

    def write(self, out_dir: str | Path) -> Path:
        """Write ``report.md``, ``report.html`` (self-contained, :meth:`html`) and ``results.zarr``
        (claims and raw arrays) into ``out_dir``; returns the path of ``report.md``."""
        import xarray as xr

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if self.wall_time is None:
            self.wall_time = time.perf_counter() - self.started
        (out / "report.md").write_text(self.markdown(), encoding="utf-8")
        (out / "report.html").write_text(self.html(out), encoding="utf-8")
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


def start(name: str, title: str, paper: str, out_dir: str | Path, quick: bool) -> tuple[Report, Path]:
    """The empty :class:`Report` of an experiment run in mode "quick" or "full", and ``out_dir`` as a
    Path (created with its parents)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return Report(name, title, paper, "quick" if quick else "full"), out


#: the image sources of the rendered report: relative file names of the figures
_IMAGE = re.compile(r'src="([^":]+)"')
#: the style sheet of report.html (inline: the page has no external reference)
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;"
          "line-height:1.45;color:#222}table{border-collapse:collapse;font-size:.85rem}"
          "th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top}th{background:#f3f3f3}"
          "img{max-width:100%}.pass{color:#176b2c}.fail{color:#b3261e}")

#: a cell separator of a report.md table row: a "|" not escaped by a backslash
_SEPARATOR = re.compile(r"(?<!\\)\|")


def read_rows(path: str | Path) -> list[list[str]]:
    """The claim rows of a written ``report.md``: one list of seven cells per row, in order.

    The cells are as :meth:`Claim.cells` wrote them (escaped "\\|" kept), so
    ``read_rows(out / "report.md") == [c.cells() for c in report.claims]`` for the report that
    wrote the file. The header and the separator line are skipped; the table ends at the first
    line that does not start with "|".
    """
    rows: list[list[str]] = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| claim |")), None)
    if start is None:
        return rows
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in _SEPARATOR.split(line)[1:-1]])
    return rows
