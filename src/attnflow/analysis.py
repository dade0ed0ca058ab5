"""Phase detection on a run: linear, quasi-linear and clustering phases [B].

A run started near the uniform measure goes through three phases (THEORY.md §5,
THEORY-DETAILS §2.3): every Fourier / spherical-harmonic mode grows like e^{gamma_k t}
(linear phase), the k_max-fold structure persists while its amplitude becomes O(1)
(quasi-linear phase), and the tokens gather into clusters that later merge on much longer
time scales (clustering phase; the energy climbs a "staircase"). This module measures each
phase on a :class:`attnflow.Solution` and compares it with :mod:`attnflow.theory`.

- :func:`mode_amplitudes`: |mu_hat_k(t)| for k = 1..K (Fourier modes on S^1, the
  rotation-invariant degree-k power on S^{d-1}, d >= 3).
- :func:`fit_growth`: a least-squares exponential fit, with an automatic linear-phase window.
- :func:`linear_phase`: the leading mode, measured rates against gamma_k, the end of the phase.
- :func:`cluster_history`: cluster counts over time, their plateaus, merge times, and the
  plateaus of the energy (the staircase).
- :func:`quasi_linear_kept`: the k-fold rotational symmetry defect on S^1.
- :func:`phases`: all of the above in one summary with a claim / predicted / measured table.

Examples
--------
>>> import numpy as np, attnflow as af
>>> from attnflow import analysis
>>> m = af.AttentionModel(d=2, beta=5.0, normalization="usa")
>>> x0 = af.sphere.uniform(2000, 2, seed=0)
>>> sol = af.simulate(m, x0, t1=1.0, dt=0.005, save_at=np.linspace(0, 1, 201))  # doctest: +SKIP
>>> summary = analysis.phases(sol)                                              # doctest: +SKIP
>>> for row in summary.table(): print(row)                                      # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import observables as obs
from . import theory
from .solution import Solution
from .sphere import points_to_angles
from .transport import CircleDensity, w1_circle
from .validation import fail, finite_float

__all__ = [
    "ClusterHistory",
    "GrowthFit",
    "LinearPhase",
    "PhaseSummary",
    "QuasiLinear",
    "cluster_history",
    "fit_growth",
    "linear_phase",
    "mode_amplitudes",
    "phases",
    "quasi_linear_kept",
]

#: entries of one block of pairwise inner products (2^19 float64 = 4 MiB per temporary)
_BLOCK_ENTRIES = 1 << 19


# ---------------------------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------------------------
def _solution_states(sol: Any, name: str = "sol") -> tuple[np.ndarray, np.ndarray]:
    """(t, x) of a non-batched Solution with saved states, x of shape (T, n, d)."""
    if not isinstance(sol, Solution):
        raise fail(name, sol, "is not an attnflow.Solution",
                   "pass the result of attnflow.simulate(...)")
    if sol.x is None:
        raise fail(name, sol, "has no saved states (it was run with save_states=False)",
                   "rerun simulate(..., save_states=True)")
    x = np.asarray(sol.x, dtype=np.float64)
    if x.ndim == 4:
        raise fail(name, sol, f"is batched (states of shape {x.shape}); the analysis takes one "
                   "configuration", "select a member, e.g. mode_amplitudes(sol.x[:, b], K) or "
                   "build a Solution from sol.x[:, b]")
    return np.asarray(sol.t, dtype=np.float64), x


def _states(sol_or_x: Any, name: str = "sol_or_x") -> tuple[np.ndarray, np.ndarray]:
    """(t, x (T, n, d)) from a Solution or an array (T, n, d) (t = 0..T-1 for arrays)."""
    if isinstance(sol_or_x, Solution):
        return _solution_states(sol_or_x, name)
    try:
        x = np.asarray(sol_or_x, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, sol_or_x, "is neither a Solution nor a numeric array",
                   "pass a Solution or an array of shape (T, n, d)") from None
    if x.ndim != 3 or x.shape[-1] < 2 or x.shape[1] == 0 or x.shape[0] == 0:
        raise fail(name, x, f"has shape {x.shape}, expected (T, n, d) with d >= 2",
                   "pass saved states (T, n, d); for one configuration use x[None]")
    if not np.all(np.isfinite(x)):
        raise fail(name, x, "has non-finite entries", "pass finite points on the sphere")
    return np.arange(x.shape[0], dtype=np.float64), x


def _numeric(value: Any) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _positive_int(name: str, value: Any, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise fail(name, value, "must be a positive integer", fix)
    return int(value)


# ---------------------------------------------------------------------------------------------
# mode amplitudes
# ---------------------------------------------------------------------------------------------
def mode_amplitudes(sol_or_x: Solution | np.ndarray, K: int, *, method: str = "auto") -> np.ndarray:
    """Amplitudes |mu_hat_k(t)| of the modes k = 1..K of the empirical measure over time.

    - S^1 (d = 2): the Fourier coefficients |mu_hat_k| = |(1/N) sum_j e^{-i k theta_j}|
      (:func:`attnflow.observables.fourier_modes`), O(N K) per saved time.
    - S^{d-1}, d >= 3: the rotation-invariant degree-k power

          a_k = sqrt( (1/N^2) sum_{i,j} P_k(<x_i, x_j>) ),   P_k = C_k^nu / C_k^nu(1),  nu = (d-2)/2,

      the normalized Gegenbauer polynomial. By the addition theorem a_k^2 = (|S^{d-1}| / dim H_k)
      sum_m |(1/N) sum_i Y_km(x_i)|^2 >= 0 (the L^2 norm of the degree-k part of mu), it is
      invariant under rotations, and for d = 2 it equals |mu_hat_k|. For N iid uniform points
      E[a_k^2] = 1/N (only the diagonal i = j contributes), so a_k ~ N^{-1/2}
      (THEORY-DETAILS §2.3).

    Methods for d >= 3:

    - ``"pairwise"``: the double sum with the three-term recurrence
      P_{k+1} = (2 (k + nu) t P_k - k P_{k-1}) / (k + 2 nu), in row blocks over i <= j:
      O(N^2 K / 2) operations and O(N * block) memory per saved time (N = 1e4, K = 8: about 5
      seconds per saved time). Any d.
    - ``"harmonics"`` (d = 3 only): the addition-theorem form with
      ``scipy.special.sph_harm_y``, O(N K^2) per saved time.
    - ``"auto"``: "harmonics" for d = 3, "pairwise" otherwise.

    Parameters
    ----------
    sol_or_x : Solution (not batched, with saved states; uses ``sol.x`` of shape (T, n, d)),
        or an array of states (T, n, d), or one configuration (n, d).
    K : int >= 1, the largest mode (degree).
    method : "auto", "pairwise" or "harmonics" (d >= 3 only; ignored on S^1).

    Returns
    -------
    (T, K) float64 array, column k - 1 holding degree k; (K,) for an (n, d) input.
    """
    single = False
    if not isinstance(sol_or_x, Solution):
        sol_or_x = np.asarray(sol_or_x, dtype=np.float64) if _numeric(sol_or_x) else sol_or_x
        single = isinstance(sol_or_x, np.ndarray) and sol_or_x.ndim == 2
    _, x = _states(sol_or_x[None] if single else sol_or_x)
    K = _positive_int("K", K, "pass the largest mode, e.g. K=8")
    if method not in ("auto", "pairwise", "harmonics"):
        raise fail("method", method, "is not a known method", 'use "auto", "pairwise" or "harmonics"')
    d = x.shape[-1]
    if d == 2:
        out = np.abs(obs.fourier_modes(x, K))[:, 1:]
    else:
        if method == "harmonics" and d != 3:
            raise fail("method", method, f"needs d = 3 (spherical harmonics of S^2) but d={d}",
                       'use method="pairwise" (any d)')
        use_harm = d == 3 and method in ("auto", "harmonics")
        fn = _harmonic_power if use_harm else _pairwise_power
        out = np.sqrt(np.clip(np.array([fn(xt, K) for xt in x]), 0.0, None))
    return out[0] if single else out


def _pairwise_power(x: np.ndarray, K: int) -> np.ndarray:
    """(1/N^2) sum_{ij} P_k(<x_i, x_j>) for k = 1..K (normalized Gegenbauer), blocked."""
    n, d = x.shape
    nu = 0.5 * (d - 2)
    acc = np.zeros(K)
    b = max(1, min(n, _BLOCK_ENTRIES // max(1, n)))
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        w = i1 - i0
        g = x[i0:i1] @ x[i0:].T                                   # rows i, columns j >= i0
        np.clip(g, -1.0, 1.0, out=g)
        p_prev, p = np.ones_like(g), g.copy()
        for k in range(1, K + 1):
            # the square block is symmetric (full sum = diagonal + 2 x upper); the rectangle j >= i1
            # stands for itself and its mirror image
            acc[k - 1] += p[:, :w].sum() + 2.0 * p[:, w:].sum()
            if k < K:
                p_next = (2.0 * (k + nu) * g * p - k * p_prev) / (k + 2.0 * nu)
                p_prev, p = p, p_next
    return acc / (n * n)


def _harmonic_power(x: np.ndarray, K: int) -> np.ndarray:
    """d = 3: (4 pi / (2k + 1)) sum_m |(1/N) sum_i Y_km(x_i)|^2 for k = 1..K."""
    from scipy.special import sph_harm_y

    polar = np.arccos(np.clip(x[:, 2] / np.linalg.norm(x, axis=1), -1.0, 1.0))
    azim = np.mod(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi)
    out = np.empty(K)
    for k in range(1, K + 1):
        m = np.arange(k + 1)[:, None]
        means = sph_harm_y(k, m, polar[None], azim[None]).mean(axis=1)      # (k + 1,)
        sq = np.abs(means) ** 2
        out[k - 1] = 4 * np.pi / (2 * k + 1) * (sq[0] + 2.0 * sq[1:].sum())   # Y_{k,-m} ~ conj Y_km
    return out


# ---------------------------------------------------------------------------------------------
# exponential fits
# ---------------------------------------------------------------------------------------------
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
    try:
        t = np.asarray(t, dtype=np.float64)
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail("t, a", (t, a), "are not numeric arrays",
                   "pass 1-D arrays of times and amplitudes") from None
    if t.ndim != 1 or a.shape != t.shape:
        raise fail("a", a, f"has shape {a.shape} but t has shape {t.shape}",
                   "pass one amplitude per time, both 1-D")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise fail("t", t, "must be finite and strictly increasing", "pass the saved times sol.t")
    return t, a


def _window_stats(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """slope, intercept, r2 of the least-squares line through (t, y)."""
    tm, ym = t.mean(), y.mean()
    stt = float(((t - tm) ** 2).sum())
    syy = float(((y - ym) ** 2).sum())
    sty = float(((t - tm) * (y - ym)).sum())
    slope = sty / stt
    res = syy - slope * sty
    r2 = 1.0 if syy <= 0 else max(0.0, 1.0 - res / syy)
    return slope, float(ym - slope * tm), float(r2)


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
        try:
            t0, t1 = (float(v) for v in window)
        except (TypeError, ValueError):
            raise fail("window", window, "is not a pair of times", "pass (t_start, t_end) or None") from None
        sel = (t >= t0) & (t <= t1)
        if sel.sum() < 2:
            raise fail("window", window, f"holds {int(sel.sum())} usable points (a > 0)",
                       "widen the window; it must contain at least 2 saved times with a > 0")
        slope, icpt, r2 = _window_stats(t[sel], y[sel])
        return GrowthFit(float(slope), float(icpt), float(t[sel][0]), float(t[sel][-1]), r2,
                         int(sel.sum()), False)
    max_amplitude = finite_float("max_amplitude", max_amplitude, positive=True,
                                 fix="pass the amplitude that ends the linear phase, e.g. 0.1")
    min_r2 = finite_float("min_r2", min_r2, fix="pass a value in (0, 1], e.g. 0.999")
    max_skip = finite_float("max_skip", max_skip, fix="pass a fraction in [0, 1), e.g. 0.25")
    max_bend = finite_float("max_bend", max_bend, fix="pass a relative slope change, e.g. 0.02")
    min_points = max(2, _positive_int("min_points", min_points, "pass e.g. min_points=5"))
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
    slope, icpt, r2 = _window_stats(tc[s:e], yc[s:e])
    return GrowthFit(float(slope), float(icpt), float(tc[s]), float(tc[e - 1]), r2, e - s, True)


# ---------------------------------------------------------------------------------------------
# linear phase
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LinearPhase:
    """The linear phase of a run (:func:`linear_phase`).

    Attributes
    ----------
    t : (T,) saved times.
    amplitudes : (T, K) mode amplitudes (column k - 1 is mode k), :func:`mode_amplitudes`.
    leading_mode : the mode with the largest amplitude at the end of the linear phase.
    k_max : the predicted leading mode, :func:`attnflow.theory.k_max`.
    gamma : (K,) predicted rates gamma_k, k = 1..K (:func:`attnflow.theory.growth_rates`).
    fits : K GrowthFit, one per mode (automatic window capped at ``threshold``).
    rates : (K,) the fitted rates (``fits[k - 1].rate``).
    threshold : the amplitude that ends the phase.
    t_end : first saved time at which the largest mode amplitude reaches ``threshold``
        (None when it never does).
    t_end_predicted : :func:`attnflow.theory.linear_phase_end` (iid uniform start: initial
        amplitude N^{-1/2}).
    t_end_from_start : (ln threshold - ln a_lead(0)) / gamma_lead, the end predicted from the
        measured initial amplitude of the leading mode (any start, e.g. a perturbed lattice).
    N, d, beta, normalization : the run's parameters.
    """

    t: np.ndarray
    amplitudes: np.ndarray
    leading_mode: int
    k_max: int
    gamma: np.ndarray
    fits: list[GrowthFit]
    rates: np.ndarray
    threshold: float
    t_end: float | None
    t_end_predicted: float | None
    t_end_from_start: float | None
    N: int
    d: int
    beta: float
    normalization: str

    @property
    def rate_error(self) -> float:
        """Relative error (measured - predicted) / predicted of the leading mode's rate."""
        k = self.leading_mode
        return float((self.rates[k - 1] - self.gamma[k - 1]) / self.gamma[k - 1])


def _model_params(sol: Solution, beta: Any, normalization: Any) -> tuple[float, str]:
    beta = sol.model.beta if beta is None else finite_float("beta", beta, fix="pass the run's beta")
    normalization = sol.model.normalization if normalization is None else normalization
    if normalization not in ("usa", "sa"):
        raise fail("normalization", normalization, "is not known", 'use "usa" or "sa"')
    return beta, normalization


def linear_phase(sol: Solution, beta: float | None = None, normalization: str | None = None,
                 K: int | None = None, threshold: float = 0.1) -> LinearPhase:
    """Measure the linear phase of a run and compare it with the linearized theory [B].

    Rules:

    - amplitudes a_k(t), k = 1..K, from :func:`mode_amplitudes` (K default:
      max(8, 2 k_max));
    - end of the phase t_end: the first saved time where max_k a_k(t) >= ``threshold``;
    - leading mode: argmax_k a_k(t_end) (at the last saved time if the threshold is never
      reached);
    - rates: :func:`fit_growth` of each mode with the automatic window capped at ``threshold``
      (a mode that starts above the threshold gets a NaN fit). Modes fed by nonlinear
      coupling (e.g. harmonics of the leading one) are not exponentials; their ``r2`` says so.

    The predictions (gamma_k, k_max, t_end) are those of A = V = I at the uniform measure.

    Parameters
    ----------
    sol : Solution with saved states, not batched.
    beta, normalization : the values to predict with; None takes them from ``sol.model``.
    K : int >= 1 or None.
    threshold : float in (0, 1], the amplitude that ends the linear phase.

    Returns
    -------
    LinearPhase
    """
    t, x = _solution_states(sol)
    beta, normalization = _model_params(sol, beta, normalization)
    threshold = finite_float("threshold", threshold, positive=True,
                             fix="pass the amplitude ending the linear phase, e.g. 0.1")
    N, d = x.shape[1], x.shape[2]
    kmax = theory.k_max(beta, d)
    K = max(8, 2 * kmax) if K is None else _positive_int("K", K, "pass e.g. K=8, or None")
    amps = mode_amplitudes(x, K)
    gamma = theory.growth_rates(beta, d, K, normalization)[1:]
    top = amps.max(axis=1)
    hit = np.flatnonzero(top >= threshold)
    i_end = int(hit[0]) if hit.size else t.size - 1
    t_end = float(t[i_end]) if hit.size else None
    leading = int(np.argmax(amps[i_end])) + 1
    fits = []
    for k in range(K):
        try:
            fits.append(fit_growth(t, amps[:, k], max_amplitude=threshold))
        except ValueError:
            fits.append(GrowthFit.empty())
    rates = np.array([f.rate for f in fits])
    try:
        t_pred = theory.linear_phase_end(N, beta, d, normalization, amplitude=threshold)
    except ValueError:
        t_pred = None
    a0, g = amps[0, leading - 1], gamma[leading - 1]
    t_from = (math.log(threshold) - math.log(a0)) / g if a0 > 0 and g > 0 and a0 < threshold else None
    return LinearPhase(t=t, amplitudes=amps, leading_mode=leading, k_max=kmax, gamma=gamma, fits=fits,
                       rates=rates, threshold=threshold, t_end=t_end, t_end_predicted=t_pred,
                       t_end_from_start=t_from, N=N, d=d, beta=beta, normalization=normalization)


# ---------------------------------------------------------------------------------------------
# clustering phase
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ClusterHistory:
    """Cluster counts and energy over a run (:func:`cluster_history`).

    Attributes
    ----------
    t : (T,) saved times.
    counts : (T,) number of clusters counted at each saved time.
    tight : (T,) bool, every counted cluster is tight (mean <x_i, center> >= 1 - tol).
    plateaus : list of (count, t_start, t_end): maximal runs of saves with the same count, all
        tight, lasting at least ``min_saves`` saves.
    merge_times : the first saved time of each plateau whose count is lower than the previous
        plateau's (a merge happened between the two plateaus; resolution = save spacing).
    merges : list of (t, count_before, count_after), the same events with the counts.
    energy : (T,) the interaction energy (:func:`attnflow.observables.energy`).
    staircase : list of (mean energy, t_start, t_end): the energy plateaus.
    tol, min_fraction : the clustering parameters used.
    """

    t: np.ndarray
    counts: np.ndarray
    tight: np.ndarray
    plateaus: list[tuple[int, float, float]]
    merge_times: list[float]
    merges: list[tuple[float, int, int]]
    energy: np.ndarray | None
    staircase: list[tuple[float, float, float]]
    tol: float
    min_fraction: float

    @property
    def plateau_counts(self) -> list[int]:
        """The counts of the plateaus, in time order."""
        return [p[0] for p in self.plateaus]

    @property
    def t_clustered(self) -> float | None:
        """Start of the first plateau (first time the tokens sit in stable tight clusters)."""
        return self.plateaus[0][1] if self.plateaus else None


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [i, j] (inclusive) of True in a boolean array."""
    out = []
    i = 0
    n = mask.size
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def _count_clusters(x: np.ndarray, tol: float, min_size: float) -> tuple[int, bool]:
    c = obs.clusters(x, tol)
    keep = np.flatnonzero(c.sizes >= min_size)
    if keep.size == 0:
        return 0, False
    tight = True
    for lab in keep:
        members = x[c.labels == lab]
        if float(np.linalg.norm(members.mean(axis=0))) < 1.0 - tol:
            tight = False
            break
    return int(keep.size), tight


def cluster_history(sol: Solution, tol: float = 1e-2, min_fraction: float = 0.0, *,
                    min_saves: int = 2, energy_rtol: float = 0.05) -> ClusterHistory:
    """Clusters over a run: counts, plateaus, merge times and the energy staircase.

    Detection rules:

    - clusters at each saved time: :func:`attnflow.observables.clusters` (connected components
      of <x_i, x_j> >= 1 - ``tol``); clusters with fewer than ``min_fraction * N`` members
      are ignored (stragglers between clusters);
    - tight: every counted cluster has mean resultant length |mean of its members| >= 1 - tol.
      A near-uniform ring is one connected component but not tight, so it is not a plateau;
    - plateaus: maximal runs of consecutive saves with the same count, all tight, of at least
      ``min_saves`` saves; reported as (count, first time, last time);
    - merges: between consecutive plateaus whose count drops, at the first save of the later
      plateau (counts that change in between, for fewer than ``min_saves`` saves, are
      transients and not reported);
    - staircase: the energy E(t) (``sol.observables["energy"]`` if recorded, else computed)
      has a plateau on each maximal run of intervals between consecutive saves where
      |Delta E / Delta t| <= ``energy_rtol`` x (E_max - E_min) / (t_last - t_first) (the mean
      slope over the run), spanning at least ``min_saves`` saves; reported as
      (mean E on the plateau, first time, last time). Not computed (empty, energy None) when
      the states hold a single save.

    Parameters
    ----------
    sol : Solution with saved states, not batched.
    tol : float in (0, 2), the closeness tolerance.
    min_fraction : float in [0, 1), clusters smaller than min_fraction * N are ignored.
    min_saves : int >= 1, the shortest plateau, in saves.
    energy_rtol : float >= 0, the staircase threshold relative to the mean slope.

    Returns
    -------
    ClusterHistory
    """
    t, x = _solution_states(sol)
    tol = finite_float("tol", tol, positive=True, fix="pass a tolerance in (0, 2), e.g. tol=1e-2")
    min_fraction = finite_float("min_fraction", min_fraction, fix="pass a fraction in [0, 1)")
    if not 0 <= min_fraction < 1:
        raise fail("min_fraction", min_fraction, "must lie in [0, 1)", "pass e.g. min_fraction=0.01")
    min_saves = _positive_int("min_saves", min_saves, "pass e.g. min_saves=2")
    energy_rtol = finite_float("energy_rtol", energy_rtol, fix="pass e.g. energy_rtol=0.05")
    n = x.shape[1]
    min_size = max(1.0, min_fraction * n)
    res = [_count_clusters(xt, tol, min_size) for xt in x]
    counts = np.array([r[0] for r in res], dtype=np.int64)
    tight = np.array([r[1] for r in res], dtype=bool)
    plateaus: list[tuple[int, float, float]] = []
    i = 0
    while i < t.size:
        j = i
        while j + 1 < t.size and counts[j + 1] == counts[i] and tight[j + 1] == tight[i]:
            j += 1
        if tight[i] and j - i + 1 >= min_saves:
            plateaus.append((int(counts[i]), float(t[i]), float(t[j])))
        i = j + 1
    merges = [(p2[1], p1[0], p2[0]) for p1, p2 in itertools.pairwise(plateaus)
              if p2[0] < p1[0]]
    energy = None
    staircase: list[tuple[float, float, float]] = []
    if t.size >= 2:
        if "energy" in sol.observables and np.asarray(sol.observables["energy"]).shape == t.shape:
            energy = np.asarray(sol.observables["energy"], dtype=np.float64)
        else:
            energy = np.array([obs.energy(sol.model, xt) for xt in x], dtype=np.float64)
        staircase = _staircase(t, energy, energy_rtol, min_saves)
    return ClusterHistory(t=t, counts=counts, tight=tight, plateaus=plateaus,
                          merge_times=[m[0] for m in merges], merges=merges, energy=energy,
                          staircase=staircase, tol=tol, min_fraction=min_fraction)


def _staircase(t: np.ndarray, e: np.ndarray, rtol: float, min_saves: int
               ) -> list[tuple[float, float, float]]:
    slope = np.abs(np.diff(e) / np.diff(t))
    span = float(e.max() - e.min())
    mean_slope = span / float(t[-1] - t[0])
    floor = 1e-12 * float(np.abs(e).max()) / float(t[-1] - t[0])
    flat = slope <= max(rtol * mean_slope, floor)
    out = []
    for i, j in _runs(flat):                        # intervals i..j span saves i..j+1
        if j + 2 - i >= min_saves:
            out.append((float(e[i:j + 2].mean()), float(t[i]), float(t[j + 1])))
    return out


# ---------------------------------------------------------------------------------------------
# quasi-linear phase
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class QuasiLinear:
    """The k-fold structure over time (:func:`quasi_linear_kept`).

    Attributes
    ----------
    t : (T,) the saved times inside ``t_range``.
    k : the symmetry order tested.
    defect : (T,) W_1(mu_t, R mu_t) with R the rotation by 2 pi / k (radians).
    departure : (T,) W_1(mu_t, uniform) (radians).
    relative_defect : (T,) defect / departure, in [0, 2].
    fourier_ratio : (T,) |mu_hat_k| / max_{j <= 4k, k does not divide j} |mu_hat_j| (inf when
        the denominator vanishes), a secondary measure.
    threshold : the relative defect below which the structure counts as kept.
    kept : (T,) bool, relative_defect <= threshold.
    """

    t: np.ndarray
    k: int
    defect: np.ndarray
    departure: np.ndarray
    relative_defect: np.ndarray
    fourier_ratio: np.ndarray
    threshold: float
    kept: np.ndarray

    @property
    def all_kept(self) -> bool:
        """True when the k-fold structure is kept at every saved time of the range."""
        return bool(np.all(self.kept))


def quasi_linear_kept(sol: Solution | np.ndarray, k: int, t_range: tuple[float, float] | None = None, *,
                      threshold: float = 0.25, grid: int = 4096) -> QuasiLinear:
    """How well a run on S^1 keeps a k-fold rotational symmetry (the quasi-linear phase).

    The measure (chosen for this module): the relative symmetry defect

        D_k(t) = W_1(mu_t, R_{2 pi/k} # mu_t) / W_1(mu_t, sigma),

    with R the rotation by 2 pi / k, sigma the uniform measure and W_1 the exact geodesic
    Wasserstein distance on S^1 (:func:`attnflow.transport.w1_circle`; sigma as a uniform
    density on ``grid`` cells). D_k = 0 for a k-fold symmetric configuration, whatever its
    amplitude; it is O(1) for a generic configuration (iid uniform points, a single cluster:
    4 / k, k >= 2), since W_1(mu, R mu) <= 2 W_1(mu, sigma) gives D_k <= 2. Normalizing by the
    departure from uniform makes D_k scale-free: a k-periodic profile of any amplitude gives
    0, a non-periodic perturbation of the same size gives O(1). At amplitudes near N^{-1/2}
    the discreteness of the particles dominates and D_k is O(1) even for a perturbed lattice;
    the measure is meaningful once the structure has grown above that level.

    ``fourier_ratio`` is reported as well: |mu_hat_k| against the largest mode j <= 4k that k
    does not divide (infinite for exact k-fold symmetry, O(1) for a generic configuration).

    Parameters
    ----------
    sol : Solution on S^1 (not batched) or states (T, n, 2) (times 0..T-1).
    k : int >= 2, the symmetry order (k_max for the quasi-linear phase).
    t_range : (t0, t1) or None, the saved times t0 <= t <= t1 to examine (None: all).
    threshold : the relative defect at or below which the structure counts as kept.
    grid : cells of the uniform reference density.

    Returns
    -------
    QuasiLinear
    """
    t, x = _states(sol, "sol")
    if x.shape[-1] != 2:
        raise fail("sol", sol, f"lives on S^{x.shape[-1] - 1}; the k-fold rotational symmetry "
                   "is defined on S^1 only", "pass a run with d = 2 (use mode_amplitudes for d >= 3)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise fail("k", k, "must be an integer >= 2", "pass the symmetry order, e.g. k=3")
    k = int(k)
    threshold = finite_float("threshold", threshold, fix="pass e.g. threshold=0.25")
    if t_range is not None:
        try:
            t0, t1 = (float(v) for v in t_range)
        except (TypeError, ValueError):
            raise fail("t_range", t_range, "is not a pair of times", "pass (t0, t1) or None") from None
        sel = (t >= t0) & (t <= t1)
        if not sel.any():
            raise fail("t_range", t_range, f"holds no saved time (the run covers [{t[0]:g}, {t[-1]:g}])",
                       "pass a range that contains saved times")
        t, x = t[sel], x[sel]
    uniform = CircleDensity(np.ones(_positive_int("grid", grid, "pass e.g. grid=4096")))
    shift = 2 * np.pi / k
    defect = np.empty(t.size)
    departure = np.empty(t.size)
    for i, xt in enumerate(x):
        theta = points_to_angles(xt)
        defect[i] = w1_circle(theta, np.mod(theta + shift, 2 * np.pi))
        departure[i] = w1_circle(theta, uniform)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(departure > 0, defect / departure, 0.0)
    modes = np.abs(obs.fourier_modes(x, 4 * k))[:, 1:]           # (T, 4k), column j - 1 = mode j
    j = np.arange(1, 4 * k + 1)
    other = modes[:, j % k != 0].max(axis=1)
    with np.errstate(divide="ignore"):
        ratio = np.where(other > 0, modes[:, k - 1] / np.where(other > 0, other, 1.0), np.inf)
    return QuasiLinear(t=t, k=k, defect=defect, departure=departure, relative_defect=rel,
                       fourier_ratio=ratio, threshold=threshold, kept=rel <= threshold)


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PhaseSummary:
    """The phases of one run (:func:`phases`).

    Attributes
    ----------
    linear : LinearPhase.
    clusters : ClusterHistory.
    quasi : QuasiLinear over [t_linear_end, t_clustered] on S^1, else None.
    t_linear_end : end of the linear phase (None if the threshold is never reached).
    t_clustered : start of the first cluster plateau (None if there is none).
    plateau_counts : counts of the cluster plateaus in time order.
    merge_times : times of the drops of the cluster count between plateaus.
    predicted_angles : S^1 only: the predicted first-cluster angles
        (:func:`attnflow.theory.predicted_cluster_angles` with k = k_max from the initial state).
    first_centers : S^1 only: the angles of the clusters of the first plateau.
    energy_increase : min over saves of E(t_{i+1}) - E(t_i), relative to max |E| (>= -1e-8 for a
        gradient ascent).
    identity : whether the model has A = V = I (the energy is then non-decreasing).
    """

    linear: LinearPhase
    clusters: ClusterHistory
    quasi: QuasiLinear | None
    t_linear_end: float | None
    t_clustered: float | None
    plateau_counts: list[int]
    merge_times: list[float]
    predicted_angles: np.ndarray | None = None
    first_centers: np.ndarray | None = None
    energy_increase: float | None = None
    identity: bool = True

    def table(self) -> list[dict[str, Any]]:
        """Rows {claim, predicted, measured, agrees, note} for reports (agrees may be None)."""
        lin = self.linear
        k = lin.leading_mode
        fit = lin.fits[k - 1]
        rows: list[dict[str, Any]] = []

        def row(claim: str, predicted: Any, measured: Any, agrees: bool | None, note: str = "") -> None:
            rows.append({"claim": claim, "predicted": predicted, "measured": measured,
                         "agrees": agrees, "note": note})

        row("leading mode of the linear phase is k_max", lin.k_max, k, k == lin.k_max,
            "mode competition lets a neighbouring mode win in some iid runs (THEORY-DETAILS §2.5)")
        rel = abs(lin.rate_error) if np.isfinite(fit.rate) else float("nan")
        row(f"growth rate of mode {k} is gamma_{k}", float(lin.gamma[k - 1]), float(fit.rate),
            bool(rel <= 0.05) if np.isfinite(rel) else None,
            f"fit on [{fit.t_start:.4g}, {fit.t_end:.4g}], r2 = {fit.r2:.6f}, relative error {rel:.3g}")
        row(f"linear phase ends when the leading amplitude reaches {lin.threshold:g} "
            "(iid start: t = (ln N / 2 + ln a) / gamma_max)", lin.t_end_predicted, lin.t_end, None,
            "the prediction assumes an iid uniform start (initial amplitude N^-1/2); "
            f"from the measured initial amplitude: {lin.t_end_from_start}")
        if self.quasi is not None and self.quasi.t.size:
            worst = float(self.quasi.relative_defect.max())
            row(f"the {self.quasi.k}-fold structure is kept between the linear phase and clustering",
                f"relative symmetry defect <= {self.quasi.threshold:g}", worst, bool(self.quasi.all_kept),
                f"over t in [{self.quasi.t[0]:.4g}, {self.quasi.t[-1]:.4g}]")
        first = self.plateau_counts[0] if self.plateau_counts else None
        d = lin.d
        row("first clusters: k_max equally spaced clusters (S^1)" if d == 2
            else "first clusters (no count prediction for d >= 3)",
            lin.k_max if d == 2 else None, first,
            (first == lin.k_max) if (d == 2 and first is not None) else None,
            f"t_clustered = {self.t_clustered}")
        if self.predicted_angles is not None and self.first_centers is not None:
            err = _angle_match(self.predicted_angles, self.first_centers)
            row("first cluster angles = (2 pi m - arg mu_hat_kmax(0)) / k_max",
                [round(float(a), 4) for a in self.predicted_angles],
                [round(float(a), 4) for a in self.first_centers],
                None if err is None else bool(err <= 0.2),
                "" if err is None else f"largest angular error {err:.3g} rad")
        row("cluster count plateaus and merges", None, self.plateau_counts, None,
            f"merge times {[round(m, 6) for m in self.merge_times]}")
        row("energy staircase (plateaus of E)", None, len(self.clusters.staircase), None,
            f"{[(round(s[1], 6), round(s[2], 6)) for s in self.clusters.staircase]}")
        if self.energy_increase is not None:
            row("energy is non-decreasing (A = V = I)", True, self.energy_increase,
                bool(self.energy_increase >= -1e-8) if self.identity else None,
                "min relative increment between saves")
        return rows


def _angle_match(pred: np.ndarray, meas: np.ndarray) -> float | None:
    """Largest distance from each predicted angle to the nearest measured one (None if counts differ)."""
    if pred.size != meas.size or pred.size == 0:
        return None
    diff = np.abs(np.angle(np.exp(1j * (pred[:, None] - meas[None, :]))))
    return float(diff.min(axis=1).max())


def phases(sol: Solution, beta: float | None = None, normalization: str | None = None, *,
           K: int | None = None, threshold: float = 0.1, tol: float = 1e-2,
           min_fraction: float = 0.01, quasi_threshold: float = 0.25) -> PhaseSummary:
    """Detect the three phases of a run and compare them with the theory [B].

    Combines :func:`linear_phase` (end of the linear phase, leading mode, rates),
    :func:`cluster_history` (first cluster plateau, merges, energy staircase) and, on S^1,
    :func:`quasi_linear_kept` with k = the leading mode over [t_linear_end, t_clustered] (or to
    the end of the run when no plateau is found).

    Parameters
    ----------
    sol : Solution with saved states, not batched.
    beta, normalization : prediction parameters (None: from ``sol.model``).
    K, threshold : as in :func:`linear_phase`.
    tol, min_fraction : as in :func:`cluster_history`.
    quasi_threshold : as ``threshold`` in :func:`quasi_linear_kept`.

    Returns
    -------
    PhaseSummary (use ``.table()`` for a claim / predicted / measured list).
    """
    t, x = _solution_states(sol)
    beta, normalization = _model_params(sol, beta, normalization)
    lin = linear_phase(sol, beta, normalization, K=K, threshold=threshold)
    hist = cluster_history(sol, tol=tol, min_fraction=min_fraction)
    t_lin = lin.t_end
    t_cl = hist.t_clustered
    if t_lin is not None:                 # the first plateau after the linear phase
        later = [p for p in hist.plateaus if p[2] >= t_lin]
        t_cl = later[0][1] if later else None
    quasi = None
    pred_angles = centers = None
    if x.shape[-1] == 2:
        if t_lin is not None and lin.leading_mode >= 2:
            hi = t_cl if t_cl is not None else float(t[-1])
            quasi = quasi_linear_kept(sol, lin.leading_mode, (t_lin, max(hi, t_lin)),
                                      threshold=quasi_threshold)
        try:
            pred_angles = theory.predicted_cluster_angles(x[0], beta, k=lin.k_max)
        except ValueError:
            pred_angles = None
        if t_cl is not None:
            i = int(np.searchsorted(t, t_cl))
            c = obs.clusters(x[i], tol)
            keep = c.sizes >= max(1.0, min_fraction * x.shape[1])
            centers = np.sort(points_to_angles(c.centers[keep]))
    inc = None
    if hist.energy is not None:
        e = hist.energy
        scale = float(np.abs(e).max()) or 1.0
        inc = float(np.diff(e).min() / scale)
    counts = [p[0] for p in hist.plateaus]
    merges = list(hist.merge_times)
    return PhaseSummary(linear=lin, clusters=hist, quasi=quasi, t_linear_end=t_lin, t_clustered=t_cl,
                        plateau_counts=counts, merge_times=merges, predicted_angles=pred_angles,
                        first_centers=centers, energy_increase=inc, identity=sol.model.identity)
