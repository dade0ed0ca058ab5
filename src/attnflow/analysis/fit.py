"""Least-squares fits: straight lines (:func:`line_fit`) and exponential growth (:func:`fit_growth`).

- :func:`line_fit`: y = intercept + slope x with r^2 and the slope's standard error
  (``scipy.stats.linregress``), the one line fit of the package (growth rates, time scales
  against ln N, exponents in log-log plots);
- :func:`fit_growth`: an exponential a(t) ~ e^{intercept + rate t}, with an automatic
  linear-phase window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import fail, finite_float, integer, real_array
from .states import time_range

__all__ = ["GrowthFit", "LineFit", "fit_growth", "line_fit"]


@dataclass(frozen=True)
class LineFit:
    """A least-squares line y = intercept + slope x (:func:`line_fit`).

    Attributes
    ----------
    slope, intercept : the fitted line.
    r2 : coefficient of determination (1 = points on a line; also 1 for constant y).
    stderr : standard error of the slope (0 for two points).
    n_points : number of points.
    """

    slope: float
    intercept: float
    r2: float
    stderr: float
    n_points: int


def line_fit(x: ArrayLike, y: ArrayLike) -> LineFit:
    """Least-squares line through the points (x_i, y_i) (``scipy.stats.linregress``).

        slope = sum (x - xm)(y - ym) / sum (x - xm)^2,   intercept = ym - slope xm,
        r2 = 1 - SS_res / SS_tot,   stderr = sqrt(SS_res / (n - 2) / sum (x - xm)^2).

    Parameters
    ----------
    x, y : (n,) finite samples, n >= 2, x not all equal.

    Returns
    -------
    LineFit
    """
    from scipy.stats import linregress

    x = real_array("x", x, fix="pass a 1-D array of abscissae", ndim=1)
    y = real_array("y", y, fix="pass one finite value per abscissa", ndim=1)
    if y.shape != x.shape or x.size < 2:
        raise fail("y", y, f"has shape {y.shape} but x has shape {x.shape}",
                   "pass two 1-D arrays of the same length >= 2")
    if np.all(x == x[0]):
        raise fail("x", x, "has all values equal, so no line is determined", "pass distinct abscissae")
    res = linregress(x, y)
    r2 = 1.0 if np.all(y == y[0]) else float(res.rvalue) ** 2
    return LineFit(float(res.slope), float(res.intercept), r2, float(res.stderr), int(x.size))


@dataclass(frozen=True)
class GrowthFit:
    """A least-squares fit log a(t) = intercept + rate * t over [t_start, t_end].

    Attributes
    ----------
    rate : fitted exponential rate (NaN when no fit was possible).
    intercept : log a at t = 0 of the fitted line.
    t_start, t_end : the window used (saved times, inclusive).
    r2 : coefficient of determination of the fit of log a (1 = a perfect exponential).
    n_points : number of points in the window.
    auto : True when the window was chosen automatically.
    """

    rate: float
    intercept: float
    t_start: float
    t_end: float
    r2: float
    n_points: int = 0
    auto: bool = False

    @staticmethod
    def empty() -> GrowthFit:
        nan = float("nan")
        return GrowthFit(nan, nan, nan, nan, nan, 0, False)


def _series(t: Any, a: Any) -> tuple[np.ndarray, np.ndarray]:
    t = real_array("t", t, fix="pass the saved times sol.t, a 1-D array", ndim=1)
    a = real_array("a", a, fix="pass one amplitude per time, both 1-D", ndim=1, finite=False)
    if a.shape != t.shape:
        raise fail("a", a, f"has shape {a.shape} but t has shape {t.shape}",
                   "pass one amplitude per time, both 1-D")
    if np.any(np.diff(t) <= 0):
        raise fail("t", t, "must be strictly increasing", "pass the saved times sol.t")
    return t, a


def _window_fit(t: np.ndarray, y: np.ndarray, auto: bool) -> GrowthFit:
    """The GrowthFit of the line through (t, log a) over the whole of the given window."""
    line = line_fit(t, y)
    return GrowthFit(line.slope, line.intercept, float(t[0]), float(t[-1]), line.r2, int(t.size), auto)



def fit_growth(t: Any, a: Any, window: tuple[float, float] | None = None, *,
               max_amplitude: float = 0.1, min_r2: float = 0.999, max_bend: float = 0.02,
               min_points: int = 5, max_skip: float = 0.25) -> GrowthFit:
    """Fit an exponential a(t) ~ e^{intercept + rate t} by least squares on log a.

    Points with a <= 0 or non-finite a are dropped (log a is undefined there).

    Automatic window (``window=None``), the rule:

    1. candidates: the points before the first one with a >= ``max_amplitude`` (the end of the
       linear phase; all points if the threshold is never reached);
    2. among the windows [s, e] of consecutive candidates with at least ``min_points`` points
       and a start s among the first ``max_skip`` fraction of the candidates, keep those where
       log a is linear to tolerance: r2 >= ``min_r2`` and the slopes fitted on the first and
       second halves of the window differ by at most ``max_bend`` times the window's slope
       (r2 alone is lenient over a wide dynamic range: it lets a window run several points
       into a saturation); take the one with the most points (ties: the earliest start);
    3. if no window passes, fit all candidates (check ``r2`` of the result).

    All windows are scored in O(n^2) with cumulative sums.

    Parameters
    ----------
    t : (n,) strictly increasing times.
    a : (n,) amplitudes (e.g. a column of :func:`mode_amplitudes`).
    window : (t0, t1) or None. Given: fit the points with t0 <= t <= t1.
    max_amplitude, min_r2, max_bend, min_points, max_skip : the automatic rule above.

    Returns
    -------
    GrowthFit

    Raises
    ------
    ValueError
        For bad inputs, fewer than 2 usable points, or (automatic window) when the amplitude
        starts at or above ``max_amplitude``.
    """
    t, a = _series(t, a)
    ok = np.isfinite(a) & (a > 0)
    t, y = t[ok], np.log(np.where(ok, a, 1.0)[ok])
    a = a[ok]
    if window is not None:
        t0, t1 = time_range("window", window, "pass (t_start, t_end) or None")
        sel = (t >= t0) & (t <= t1)
        if sel.sum() < 2:
            raise fail("window", window, f"holds {int(sel.sum())} usable points (a > 0)",
                       "widen the window; it must contain at least 2 saved times with a > 0")
        return _window_fit(t[sel], y[sel], False)
    max_amplitude = finite_float("max_amplitude", max_amplitude, positive=True,
                                 fix="pass the amplitude that ends the linear phase, e.g. 0.1")
    min_r2 = finite_float("min_r2", min_r2, fix="pass a value in (0, 1], e.g. 0.999")
    max_skip = finite_float("max_skip", max_skip, fix="pass a fraction in [0, 1), e.g. 0.25")
    max_bend = finite_float("max_bend", max_bend, fix="pass a relative slope change, e.g. 0.02")
    min_points = max(2, integer("min_points", min_points, 1, fix="pass e.g. min_points=5"))
    if a.size == 0:
        raise fail("a", a, "has no positive finite value", "pass amplitudes > 0")
    above = np.flatnonzero(a >= max_amplitude)
    n = int(above[0]) if above.size else a.size
    if n < 2:
        raise fail("a", a, f"reaches max_amplitude={max_amplitude:g} within its first {n + 1} "
                   "usable points, so there is no linear phase to fit",
                   "pass a larger max_amplitude, an explicit window, or an earlier start")
    tc, yc = t[:n], y[:n]
    min_points = min(min_points, n)
    best: tuple[int, int] | None = None
    # prefix sums (centred at the first time and mean for accuracy)
    tt = tc - tc[0]
    yy = yc - yc.mean()
    c1 = np.concatenate([[0.0], np.cumsum(tt)])
    c2 = np.concatenate([[0.0], np.cumsum(tt * tt)])
    c3 = np.concatenate([[0.0], np.cumsum(yy)])
    c4 = np.concatenate([[0.0], np.cumsum(yy * yy)])
    c5 = np.concatenate([[0.0], np.cumsum(tt * yy)])
    last_start = min(n - min_points, math.floor(max_skip * n))

    def line(s: np.ndarray | int, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slopes and r2 of the windows [s, e) (exclusive ends; arrays broadcast)."""
        m = e - s
        st, stt = c1[e] - c1[s], c2[e] - c2[s]
        sy, syy = c3[e] - c3[s], c4[e] - c4[s]
        sty = c5[e] - c5[s]
        vt = stt - st * st / m
        vy = syy - sy * sy / m
        cty = sty - st * sy / m
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(vy > 1e-300, cty * cty / (vt * vy), 1.0)
            return cty / vt, r2

    for s in range(0, max(0, last_start) + 1):
        e = np.arange(s + min_points, n + 1)                     # exclusive ends
        slope, r2 = line(s, e)
        mid = s + (e - s) // 2
        with np.errstate(invalid="ignore"):
            first, _ = line(s, mid)
            second, _ = line(mid, e)
            bend = np.abs(second - first) <= max_bend * np.abs(slope)
        bend |= (e - s) < 4                                      # halves too short to compare
        good = np.flatnonzero((r2 >= min_r2) & bend)
        if good.size:
            length = int(e[good[-1]] - s)
            if best is None or length > best[1] - best[0]:
                best = (s, s + length)
    s, e = best if best is not None else (0, n)
    return _window_fit(tc[s:e], yc[s:e], True)
