"""Small measurements on saved series: level crossings, angle matching on S^1, rank correlation.

- :func:`level_crossing`: the first time a sampled curve reaches a level, interpolated
  between saves (linearly, or linearly in log y for exponential decays and growths);
- :func:`angle_mismatch`: how far a set of angles on the circle is from another one;
- :func:`rank_correlation`: Spearman's rank correlation (``scipy.stats.spearmanr``).

These are the one implementation used by the analysis, the theory (the layer-scheme
clustering time) and the experiments.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..validation import angles, choice, fail, finite_float, integer, real_array

__all__ = ["angle_mismatch", "level_crossing", "rank_correlation"]

#: log-scale interpolation treats values below this as this (log 0 is -inf)
_TINY = 1e-300


def _curve(t: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    t = real_array("t", t, fix="pass the saved times as a 1-D array", ndim=1)
    y = real_array("y", y, fix="pass one value per time", ndim=1, finite=False)
    if y.shape != t.shape or t.size == 0:
        raise fail("y", y, f"has shape {y.shape} but t has shape {t.shape}",
                   "pass one value per saved time (at least one)")
    return t, y


def level_crossing(t: ArrayLike, y: ArrayLike, level: float, direction: Literal["down", "up"] = "down", *,
                   log: bool = False, start: int = 0) -> float:
    """First time at which the sampled curve y(t) reaches ``level``, interpolated between saves.

    With k the first index >= ``start`` where the level is reached (y[k] <= level going
    ``"down"``, y[k] >= level going ``"up"``):

    - k = start: the level is reached at the first considered save, t[start] is returned;
    - otherwise the crossing is interpolated between (t[k-1], y[k-1]) and (t[k], y[k]),
      linearly in y, or linearly in log y when ``log`` is true (exact for an exponential
      between the two saves; values <= 0 count as 1e-300):

          t* = t[k-1] + (f(level) - f(y[k-1])) / (f(y[k]) - f(y[k-1])) (t[k] - t[k-1]),
          f = identity or log;

    - no such k: NaN (the level is never reached).

    NaN values of y never count as reaching the level.

    Parameters
    ----------
    t : (T,) saved times (increasing).
    y : (T,) values.
    level : float (> 0 with ``log``).
    direction : "down" (y falls to the level) or "up" (y rises to it).
    log : interpolate in log y.
    start : int >= 0, the first index considered.

    Returns
    -------
    float, the crossing time, or NaN.

    Examples
    --------
    >>> level_crossing([0.0, 1.0, 2.0], [1.0, 0.5, 0.25], 0.3)
    1.8
    >>> round(level_crossing([0.0, 1.0, 2.0], [1.0, 0.5, 0.25], 0.3, log=True), 12)
    1.736965594166
    """
    t, y = _curve(t, y)
    level = finite_float("level", level, fix="pass the level to reach, e.g. 0.5", positive=log)
    direction = choice("direction", direction, ("down", "up"))
    start = integer("start", start, 0, fix="pass the first index to consider, e.g. start=0",
                    maximum=max(0, t.size - 1))
    with np.errstate(invalid="ignore"):
        reached = (y <= level) if direction == "down" else (y >= level)
    hit = np.flatnonzero(reached[start:])
    if hit.size == 0:
        return math.nan
    k = start + int(hit[0])
    if k == start:
        return float(t[k])
    a, b = float(y[k - 1]), float(y[k])
    if log:
        fa, fb, fl = math.log(max(a, _TINY)), math.log(max(b, _TINY)), math.log(level)
    else:
        fa, fb, fl = a, b, level
    return float(t[k - 1] + (fl - fa) / (fb - fa) * (t[k] - t[k - 1]))


def angle_mismatch(predicted: ArrayLike, measured: ArrayLike) -> float:
    """Largest distance on the circle from a predicted angle to the nearest measured one.

        max_i min_j |angle(e^{i (p_i - m_j)})|   (radians, in [0, pi]).

    A rotated copy of a set of well-separated angles gives the rotation (when it is below half
    the spacing). The measure is directed: a measured angle far from every prediction does
    not count; compare the counts first when a one-to-one match is meant.

    Parameters
    ----------
    predicted, measured : (k,) and (m,) angles, or points on S^1 of shape (k, 2), (m, 2).

    Returns
    -------
    float in [0, pi]; NaN when either set is empty.
    """
    p = _angle_set("predicted", predicted)
    m = _angle_set("measured", measured)
    if p.size == 0 or m.size == 0:
        return math.nan
    diff = np.abs(np.angle(np.exp(1j * (p[:, None] - m[None, :]))))
    return float(diff.min(axis=1).max())


def _angle_set(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.size == 0:
        return np.empty(0)
    return angles(name, value)


def rank_correlation(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rank correlation of two samples (``scipy.stats.spearmanr``, average ranks for ties).

    Returns a float in [-1, 1], or NaN when either sample is constant (no ranking, the
    correlation is undefined).
    """
    from scipy.stats import spearmanr

    x = real_array("x", x, fix="pass a 1-D sample", ndim=1)
    y = real_array("y", y, fix="pass a 1-D sample of the same length as x", ndim=1)
    if x.shape != y.shape or x.size < 2:
        raise fail("y", y, f"has shape {y.shape} but x has shape {x.shape}",
                   "pass two samples of the same length >= 2")
    if np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan
    return float(spearmanr(x, y).statistic)
