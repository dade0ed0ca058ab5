"""Rows of the paper's figure: the mean cosine rho(t) of the six schemes under random weights.

The figure (arXiv 2510.22026) is compared through the curves read off it
(:data:`.settings.PAPER_CURVES`); every figure value of a row is computed from those curves
here, with the same function as the measured value:

- the order of the schemes by the time their mean cosine reaches 1/2;
- the order of the first arrivals at 1 - rho = 0.01 (nGPT, then post-LN, then the rest);
- the time post-LN overtakes peri-LN;
- sqrt-scaling below every other scheme at every time, and sqrt-scaling as pre-LN in the time
  2 (sqrt(1 + t) - 1) (its branch scale 1/sqrt(1 + t) is an exact time change);
- the coincidences while r = 1: post-, pre- and Mix-LN move the directions at the same speed
  (pre-LN's factor 1/r), nGPT and peri-LN too (peri-LN's 1/(r |A|) against nGPT's 1/|A|); and the
  cosine level at which each pair separates, against the figure's;
- each scheme's curve against the figure's (largest distance over the read times).

Foils: the order of the long-time laws, peri-LN second at 0.99, the crossing of the identity-weight
equiangular model, the figure's constant time factor for sqrt-scaling, the same coincidence rule for
a scheme of the other pair, the cosine where the radius leaves 1, and the figure's neighbouring
curve. The t_1/2 ratios against the figure (post- and pre-LN are exact time rescalings of
themselves when V -> f V) are a note, not a row: one factor for both cannot be told from a time
unit common to every scheme.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...analysis import level_crossing
from ...theory import equiangular_scheme_solution
from ..report import Report, at_least, at_most, check, compare
from .settings import FIGURE_ORDER, LABELS, PAPER_CURVES, PAPER_T, SCHEMES, T_END

__all__ = ["add_claims", "crossing", "identity_crossing", "paper_curve", "separation", "time_factor"]

#: the schemes meet "while r = 1" as long as the mean radius is at most this
R_ONE = 1.05
#: a pair of curves has separated when their cosines differ by this much
GAP = 0.02
#: the order of the long-time laws (the foil of the t_1/2 order): exponential, t^-2, t^-1
LAW_ORDER = ("ngpt", "post", "mix", "peri", "pre", "sqrt")
#: the identity-weight equiangular model (A = V = I, SA) whose crossing is the foil of the crossing row
IDENTITY = {"n": 32, "beta": 1.0}
#: the figure's curve each scheme's curve is confused with (the one it meets or hides under)
CURVE_FOIL = {"post": "mix", "pre": "post", "peri": "ngpt", "mix": "pre", "ngpt": "peri", "sqrt": "pre"}


def paper_curve(scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(t, rho) of the figure's curve of ``scheme`` at the read times (hidden points dropped)."""
    rho = np.asarray(PAPER_CURVES[scheme], dtype=float)
    keep = np.isfinite(rho)
    return PAPER_T[keep], rho[keep]


def _common(a: str, b: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ta, ra = paper_curve(a)
    tb, rb = paper_curve(b)
    t = np.intersect1d(ta, tb)
    return t, ra[np.isin(ta, t)], rb[np.isin(tb, t)]


def crossing(t: np.ndarray, ahead: np.ndarray, behind: np.ndarray) -> float:
    """First time the curve ``behind``, once below ``ahead``, reaches it again (interpolated); NaN if it
    never is below or never catches up."""
    diff = behind - ahead
    below = np.flatnonzero(diff < 0)
    return level_crossing(t, diff, 0.0, "up", start=int(below[0])) if below.size else math.nan


def separation(t: np.ndarray, fast: np.ndarray, slow: np.ndarray, gap: float = GAP) -> float:
    """The cosine of the faster curve when the two first differ by ``gap`` (linear interpolation)."""
    ts = level_crossing(t, fast - slow, gap, "up")
    return float(np.interp(ts, t, fast)) if math.isfinite(ts) else math.nan


def time_factor(slow: str, fast: str) -> tuple[float, float]:
    """(c, error): the factor c in [0.3, 1] (step 0.01) for which the figure's curve of ``slow`` is closest
    to that of ``fast`` run at c times the speed, rho_slow(t) ~ rho_fast(c t), and the largest distance."""
    ts, rs = paper_curve(slow)
    tf, rf = paper_curve(fast)
    best = (math.nan, math.inf)
    for c in np.arange(30, 101) / 100:
        use = c * ts >= tf[0]
        err = float(np.max(np.abs(np.interp(c * ts[use], tf, rf) - rs[use])))
        best = min(best, (float(c), err), key=lambda pair: pair[1])
    return best


def _time_to(t: np.ndarray, rho: np.ndarray, level: float) -> float:
    return level_crossing(t, rho, level, "up")


def _order_text(times: dict[str, float]) -> str:
    return ", ".join(f"{LABELS[s]} {times[s]:.2f}" for s in FIGURE_ORDER)


def _arrivals(curves: dict) -> dict[str, float]:
    """Time each curve reaches 0.99 (inf if it does not by the end)."""
    out = {}
    for s, (t, rho) in curves.items():
        v = _time_to(t, rho, 0.99)
        out[s] = v if math.isfinite(v) else math.inf
    return out


def _order_rows(rep: Report, t: np.ndarray, mean: dict, paper: dict, words: str) -> dict:
    """The order by t_1/2, the first arrivals at 0.99, post-LN overtaking peri-LN, sqrt-scaling last."""
    half = {s: _time_to(t, mean[s], 0.5) for s in SCHEMES}
    half_fig = {s: _time_to(*paper[s], 0.5) for s in SCHEMES}
    seq = [half[s] for s in FIGURE_ORDER]
    ok = all(math.isfinite(v) for v in seq) and all(a <= b for a, b in itertools.pairwise(seq))
    law_seq = [half[s] for s in LAW_ORDER]
    rep.add(check("order of the schemes by the time the mean cosine reaches 1/2: nGPT <= peri <= post <= "
                  "Mix <= pre <= sqrt (the figure's order)", "figure: " + _order_text(half_fig),
                  _order_text(half), ok, words,
                  foil="nGPT <= post <= Mix <= peri <= pre <= sqrt",
                  foil_passed=all(math.isfinite(v) for v in law_seq)
                  and all(a <= b for a, b in itertools.pairwise(law_seq)),
                  foil_note="the order of the long-time laws (exponential schemes first, then t^-2, then "
                            "t^-1)"))

    t99 = _arrivals({s: (t, mean[s]) for s in SCHEMES})
    t99_fig = _arrivals(paper)
    rest = [s for s in SCHEMES if s not in ("ngpt", "post")]

    def text(v):
        return ", ".join(f"{LABELS[s]} {v[s]:.2f}" if math.isfinite(v[s]) else f"{LABELS[s]} > {T_END:g}"
                         for s in ("ngpt", "post", *rest))

    ok = t99["ngpt"] < t99["post"] < min(t99[s] for s in rest)
    others = [s for s in SCHEMES if s not in ("ngpt", "peri")]
    rep.add(check("nGPT reaches mean cosine 0.99 first and post-LN second, before every other scheme",
                  "figure: " + text(t99_fig), text(t99), ok, words,
                  foil="nGPT first and peri-LN second",
                  foil_passed=t99["ngpt"] < t99["peri"] < min(t99[s] for s in others),
                  foil_note="the order at rho = 1/2 kept up to 0.99"))

    rep.add(compare("post-LN overtakes peri-LN (peri-LN ahead before): time the mean cosines cross",
                    crossing(*_common("peri", "post")), crossing(t, mean["peri"], mean["post"]), 0.5, words,
                    note="the figure's value is from its read curves; tolerance: about the width in time of "
                         "the figure's post-LN band at rho = 0.9",
                    foil=identity_crossing(),
                    foil_note=f"the identity-weight equiangular model (A = V = I, n = {IDENTITY['n']}, "
                              f"beta = {IDENTITY['beta']:g}), which gives the figure's order"))

    late = t >= 0.5
    margin = min(float(np.min(mean[s][late] - mean["sqrt"][late])) for s in SCHEMES if s != "sqrt")
    rep.add(at_least("sqrt-scaling is the slowest at every time: min over t in [0.5, 10] and the other "
                     "schemes of rho_other - rho_sqrt", 0.0, margin, words, strict=True))
    return {"half": half, "half_fig": half_fig, "t99": t99}


def _time_change_row(rep: Report, t: np.ndarray, mean: dict, words: str) -> None:
    """sqrt-scaling is pre-LN in the time tau(t) = 2 (sqrt(1 + t) - 1): dx/dt = A(x)/sqrt(1 + t) with
    pre-LN's autonomous field A, so x_sqrt(t) = x_pre(tau(t)) run by run, and the mean curves obey
    rho_sqrt(t) = rho_pre(tau(t)); pre-LN's curve is read at tau by a cubic spline through its saves."""
    from scipy.interpolate import CubicSpline

    pre = CubicSpline(t, mean["pre"])
    gap = float(np.max(np.abs(mean["sqrt"] - pre(2.0 * (np.sqrt(1.0 + t) - 1.0)))))
    factor = time_factor("sqrt", "pre")[0]
    gap_foil = float(np.max(np.abs(mean["sqrt"] - pre(factor * t))))
    rep.add(check("sqrt-scaling is pre-LN run in the time tau(t) = 2 (sqrt(1 + t) - 1) (the branch scale "
                  "1/sqrt(1 + t) is a time change): max over t of |rho_sqrt(t) - rho_pre(tau(t))|",
                  "<= 1e-05", gap, gap <= 1e-5, words, error=gap, tolerance=1e-5,
                  note="tolerance: the cubic-spline reading of rho_pre between saves 0.125 apart (O(h^4), "
                       "about 1e-7) and the RK4 error of both runs (the step-error row)",
                  foil=f"rho_sqrt(t) = rho_pre({factor:.2f} t)", foil_passed=gap_foil <= 1e-5,
                  foil_note=f"a constant branch scale {factor:.2f}, the time factor that maps the figure's "
                            f"pre-LN curve onto its sqrt-scaling curve: max distance {gap_foil:.3g}"))


def _coincidence_rows(rep: Report, t: np.ndarray, mean: dict, radius: dict, words: str) -> None:
    """The pairs that move at one speed while r = 1, and the cosine at which they separate."""
    levels = {}
    for fast, r_scheme, others, foil in (("post", "pre", ("pre", "mix"), "ngpt"),
                                         ("ngpt", "peri", ("peri",), "pre")):
        t_r = _time_to(t, radius[r_scheme], R_ONE)
        win = t <= t_r
        dev = max(float(np.max(np.abs(mean[s][win] - mean[fast][win]))) for s in others)
        level = float(np.interp(t_r, t, mean[fast]))
        levels[fast] = level
        dev_foil = float(np.max(np.abs(mean[foil][win] - mean[fast][win]))) / level
        names = ", ".join(LABELS[s] for s in (fast, *others))
        why = "both keep r = 1" if fast == "post" else "both leave the sphere"
        mix = "; Mix-LN is post-LN before t_switch by definition" if "mix" in others else ""
        note = (f"t(r = {R_ONE:g}) = {t_r:.3g}, rho_{fast} = {level:.3g} there; the direction speeds differ "
                f"by the factor 1/r >= 1/{R_ONE:g}, and rho grows like t^2 early, so rho differs by at most "
                f"~2 x 5 %{mix}")
        rep.add(check(f"{names} coincide while r = 1: max |rho - rho_{fast}| over t <= t(r_{r_scheme} = "
                      f"{R_ONE:g}), relative to rho_{fast} there", "<= 0.1", dev / level, dev / level <= 0.1,
                      words, error=dev / level, tolerance=0.1, note=note,
                      foil=f"{LABELS[foil]} coincides with {LABELS[fast]}", foil_passed=dev_foil <= 0.1,
                      foil_note=f"the same rule for {LABELS[foil]} ({why}): {dev_foil:.3g}"))
    for fast, slow in (("mix", "pre"), ("ngpt", "peri")):
        label = "post" if fast == "mix" else fast
        hidden = ""
        if fast == "mix":
            hidden = "the figure's post-LN is hidden under Mix-LN, equal to it before t_switch; "
        rep.add(compare(f"{LABELS[slow]} leaves {LABELS[label]}: rho_{label} when the curves differ by "
                        f"{GAP:g}", separation(*_common(fast, slow)), separation(t, mean[label], mean[slow]),
                        0.05, words,
                        note=hidden + "tolerance: the reading of the crossing between read times 0.25 apart",
                        foil=levels[label],
                        foil_note=f"the curves part where the radius leaves 1 (r = {R_ONE:g}): rho_{label} "
                                  "there"))


def _curve_rows(rep: Report, t: np.ndarray, mean: dict, paper: dict, words: str) -> dict[str, float]:
    """Each scheme's mean curve against the figure's: the largest distance over the read times."""
    dist = {}

    def distance(s: str, target: str) -> tuple[float, int]:
        tp, rp = paper[target]
        gap = np.abs(mean[s][np.searchsorted(t, tp)] - rp)
        return float(gap.max()), int(np.argmax(gap))

    for s in SCHEMES:
        tp, rp = paper[s]
        dist[s], k = distance(s, s)
        ours = float(mean[s][np.searchsorted(t, tp[k])])
        other = CURVE_FOIL[s]
        d_foil, _ = distance(s, other)
        rep.add(check(f"{LABELS[s]}: mean cosine rho(t) follows the figure's curve (largest distance over "
                      "the read times)", "<= 0.1", dist[s], dist[s] <= 0.1, words, error=dist[s],
                      tolerance=0.1,
                      note=f"largest at t = {tp[k]:g}: {ours:.3f} against the figure's {rp[k]:.3f}; "
                           "tolerance 0.1, about the half-width of the figure's bands in the steep phase",
                      foil=f"the figure's {LABELS[other]} curve", foil_passed=d_foil <= 0.1,
                      foil_note=f"the neighbouring curve ({LABELS[other]}) taken for {LABELS[s]}'s: largest "
                                f"distance {d_foil:.3g}"))
    return dist


def identity_crossing() -> float:
    """The time post-LN overtakes peri-LN in the identity-weight equiangular model of
    :data:`IDENTITY` (docs/theory/normalization.md#the-papers-figure)."""
    tt = np.arange(0.0, T_END + 1e-9, 0.01)
    rho = {s: np.asarray(equiangular_scheme_solution(tt, IDENTITY["beta"], IDENTITY["n"], s, "sa").rho)
           for s in ("peri", "post")}
    return crossing(tt, rho["peri"], rho["post"])


def add_claims(rep: Report, runs: dict) -> dict:
    """Add the figure rows for the runs of :func:`.runs.figure_runs`; return the derived curves."""
    t, words = runs["t"], runs["words"]
    errors = runs["step_error"]
    worst = max(errors, key=errors.get)
    rep.add(at_most("RK4 step error of the random-weight runs: max over t and schemes of "
                    "|rho(dt) - rho(dt/2)|", 1e-3, errors[worst],
                    words + "; the first start of the first draw",
                    note=f"largest for {LABELS[worst]}; tolerance: far below the distances the other rows "
                         "measure"))
    mean = {s: runs["rho"][s].mean(axis=1) for s in SCHEMES}
    radius = {s: runs["r"][s].mean(axis=1) for s in SCHEMES}
    paper = {s: paper_curve(s) for s in SCHEMES}
    times = _order_rows(rep, t, mean, paper, words)
    _time_change_row(rep, t, mean, words)
    _coincidence_rows(rep, t, mean, radius, words)
    dist = _curve_rows(rep, t, mean, paper, words)
    half, half_fig = times["half"], times["half_fig"]
    factors = {s: half[s] / half_fig[s] for s in SCHEMES}
    return {"mean": mean, "radius": radius, **times, "dist": dist, "f": factors,
            "q05": {s: np.quantile(runs["rho"][s], 0.05, axis=1) for s in SCHEMES},
            "q95": {s: np.quantile(runs["rho"][s], 0.95, axis=1) for s in SCHEMES},
            "sqrt_factor": time_factor("sqrt", "pre")}
