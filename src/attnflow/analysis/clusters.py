"""The clustering phase of a run: cluster counts, plateaus, merges, the energy staircase, and
(on S^1) how long a k-fold rotational symmetry is kept (the quasi-linear phase) [B].

- :func:`cluster_history`: counts over time, their plateaus, merge times, energy plateaus;
- :func:`quasi_linear_kept`: the k-fold symmetry defect on S^1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .. import observables as obs
from ..solution import Solution
from ..sphere import points_to_angles
from ..transport import CircleDensity, w1_circle
from ..validation import fail, finite_float, integer
from .states import solution_states, states, time_range

__all__ = ["ClusterHistory", "QuasiLinear", "cluster_history", "quasi_linear_kept"]


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
    t, x = solution_states(sol)
    tol = finite_float("tol", tol, positive=True, fix="pass a tolerance in (0, 2), e.g. tol=1e-2")
    min_fraction = finite_float("min_fraction", min_fraction, fix="pass a fraction in [0, 1)")
    if not 0 <= min_fraction < 1:
        raise fail("min_fraction", min_fraction, "must lie in [0, 1)", "pass e.g. min_fraction=0.01")
    min_saves = integer("min_saves", min_saves, 1, fix="pass e.g. min_saves=2")
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
    t, x = states(sol, "sol")
    if x.shape[-1] != 2:
        raise fail("sol", sol, f"lives on S^{x.shape[-1] - 1}; the k-fold rotational symmetry "
                   "is defined on S^1 only", "pass a run with d = 2 (use mode_amplitudes for d >= 3)")
    k = integer("k", k, 2, fix="pass the symmetry order, e.g. k=3")
    threshold = finite_float("threshold", threshold, fix="pass e.g. threshold=0.25")
    if t_range is not None:
        t0, t1 = time_range("t_range", t_range, "pass (t0, t1) or None")
        sel = (t >= t0) & (t <= t1)
        if not sel.any():
            raise fail("t_range", t_range, f"holds no saved time (the run covers [{t[0]:g}, {t[-1]:g}])",
                       "pass a range that contains saved times")
        t, x = t[sel], x[sel]
    uniform = CircleDensity(np.ones(integer("grid", grid, 1, fix="pass e.g. grid=4096")))
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
