"""[B] meta-stability of the k_max clusters on S^1: merge times, the saddle of the cluster dynamics.

Derived here (not read in [B], whose body text could not be consulted; [B] state that the k_max
clusters are meta-stable, with a lifetime growing with N):

1. **Cluster dynamics.** k clusters at angles theta_i with masses m_i (fractions of the tokens)
   move, to leading order in their widths, as

       d theta_i / dt = sum_j m_j f(theta_j - theta_i),   f(s) = e^{beta cos s} sin s  (USA).

   k equally spaced equal clusters are an equilibrium; the linearization is circulant with
   eigenvalues lambda_p = (1/k) sum_{j=1}^{k-1} f'(2 pi j / k) (cos(2 pi j p / k) - 1),
   f'(s) = e^{beta cos s} (cos s - beta sin^2 s). At beta = 5, k = 3: lambda_1 = lambda_2 = 0.349 > 0,
   so the state is a **saddle** (:func:`saddle_rate`); a deviation delta of the gaps grows like
   delta e^{lambda t} until two clusters meet.
2. **Irregularity at formation.** From N iid tokens every Fourier mode starts at ~N^{-1/2} and
   grows like e^{gamma_k t} in the linear phase, which ends when the k_max mode is O(1), at
   t_lin ~ ln N / (2 gamma_max). A mode j that is not a multiple of k_max breaks the k_max-fold
   symmetry; at t_lin its amplitude is N^{-1/2} e^{gamma_j t_lin} ~ N^{-(1 - gamma_j/gamma_max)/2}.
   The quasi-linear and clustering phases last an N-independent time, so the gaps' deviation at
   formation scales like delta ~ N^{-e}, e = (1 - gamma_j / gamma_max) / 2, j the fastest
   symmetry-breaking mode (j = 4 at beta = 5: gamma_4 / gamma_3 = 0.879, e = 0.060).
3. **Merge time.** t_merge - t_cl ~ ln(C / delta) / lambda = const + (e / lambda) ln N, hence

       t_merge ~ const + (1 / (2 gamma_max) + e / lambda) ln N        (0.200 ln N at beta = 5).

   Approximations, checked numerically (docs/theory/linear-stability.md#merge-times-grow-like-ln-n):
   the next symmetry-breaking mode (j = 2, e_2 = 0.124) is only N^{-0.064} smaller, and in the
   linear Monte Carlo of mode competition the symmetry-breaking modes at the end of the linear
   phase fall like N^{-0.083} over N = 1e3..1e6 (N^{-0.061} only beyond); the clusters form with
   gap deviations of 0.1..0.5 rad, where the escape is partly nonlinear (the lifetime grows by
   1.73 ln 3 from d = 0.3 to 0.1 along the unstable direction, not ln 3 / lambda = 2.87 ln 3):
   together the slope lies between ~0.15 and ~0.27. The map from mode amplitudes to gaps adds
   N-independent but seed-dependent factors (Rayleigh amplitudes: ln delta spreads by ~1 from seed
   to seed, i.e. merge times by ~1/lambda ~ 3); the clusters are treated as points (their widths,
   ~0.1 rad at detection, shift f by O(width^2)).

:func:`merge_times` continues the iid runs until the count of tight clusters drops below k_max;
:func:`cluster_ode_lifetime` integrates the point-cluster dynamics from the measured formation
state (centers, masses), the per-seed prediction of the lifetime.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ... import theory
from ...integrate import simulate
from ...model import AttentionModel
from .iid import Probe, spacing_irregularity
from .settings import BETA

__all__ = ["MERGE_DT", "cluster_ode_lifetime", "irregularity_exponent", "merge_study", "merge_times",
           "saddle_rate"]

#: rk4 step of the continuation: tight clusters of mass 1/3 contract at m e^beta ~ 49 (beta = 5), a
#: merged pair (2/3) at ~99: 0.025 x 99 = 2.5 < 2.78, the real-axis stability bound of rk4
MERGE_DT = 0.025
#: saves of the continuation (the merge time is resolved to this spacing)
MERGE_SAVE = 0.05


def saddle_rate(k: int, beta: float = BETA) -> float:
    """Largest growth rate of a perturbation of k equally spaced, equal clusters on S^1 (USA).

    The circulant linearization of the cluster dynamics (module docstring, item 1):
    lambda_p = (1/k) sum_{j=1}^{k-1} f'(2 pi j/k) (cos(2 pi j p/k) - 1); a positive maximum
    means the equally spaced state is a saddle (0.349 for k = 3, beta = 5).
    """
    j = np.arange(1, k)
    s = 2 * np.pi * j / k
    fp = np.exp(beta * np.cos(s)) * (np.cos(s) - beta * np.sin(s) ** 2)
    lam = [float((fp * (np.cos(s * p) - 1)).sum() / k) for p in range(k)]
    return max(lam)


def irregularity_exponent(beta: float = BETA) -> tuple[float, int]:
    """(e, j): the deviation at formation scales like N^{-e}, e = (1 - gamma_j / gamma_max) / 2, with j
    the fastest mode that is not a multiple of k_max (module docstring, item 2)."""
    km = theory.k_max(beta, 2)
    g = theory.growth_rates(beta, 2, 4 * km)
    j = max((k for k in range(1, 4 * km + 1) if k % km), key=lambda k: g[k])
    return float((1 - g[j] / g[km]) / 2), int(j)


def cluster_ode_lifetime(centers: np.ndarray, masses: np.ndarray, beta: float = BETA, gap: float = 0.2,
                         t_max: float = 100.0) -> float:
    """Time until two point clusters come within ``gap`` rad, d theta_i/dt = sum_j m_j f(theta_j - theta_i).

    ``centers`` and ``masses`` describe the clusters at formation (the masses are the measured
    fractions, not renormalized). The final approach from ``gap`` to contact takes ~1/(m e^beta
    cos gap) ~ 0.02 time units, below the save spacing of the particle runs. inf if no merge by t_max.
    """
    c = np.sort(np.asarray(centers, dtype=float))
    m = np.asarray(masses, dtype=float)[np.argsort(centers)]

    def rhs(_t, th):
        s = th[None, :] - th[:, None]                       # theta_j - theta_i
        return (m[None, :] * np.exp(beta * np.cos(s)) * np.sin(s)).sum(axis=1)

    def close(_t, th):
        g = np.diff(np.append(th, th[0] + 2 * np.pi))
        return float(g.min() - gap)

    close.terminal, close.direction = True, -1
    sol = solve_ivp(rhs, (0.0, t_max), c, events=close, rtol=1e-9, atol=1e-12)
    return float(sol.t_events[0][0]) if sol.t_events[0].size else math.inf


def merge_times(run: dict[str, Any], t_max: float, n_detect: int, dt: float = MERGE_DT,
                chunk: float = 0.5) -> dict[str, Any]:
    """Continue an iid run that formed k_max clusters until their count drops below k_max.

    The merge time is the first save (every MERGE_SAVE, from the formation time t_cl on) where the
    tight-cluster detection of :class:`~.iid.Probe` finds fewer than k_max clusters; the run first
    looks in its own saves after t_cl, then continues from its last state (``run["x_last"]``) in
    chunks of ``chunk`` time units with rk4 step ``dt`` (spectral backend), up to ``t_max``.
    Returns t_merge (nan if none by t_max), the lifetime t_merge - t_cl and the backends used.
    """
    beta = run.get("beta", BETA)
    km = theory.k_max(beta, 2)
    i_cl = int(np.searchsorted(run["t"], run["t_cl"]))
    drop = np.flatnonzero(run["tight"][i_cl:] & (run["counts"][i_cl:] < km))
    out = {"t_cl": run["t_cl"], "backends": {run.get("backend", "?")}}
    if drop.size:
        t_m = float(run["t"][i_cl + drop[0]])
        return out | {"t_merge": t_m, "lifetime": t_m - run["t_cl"]}
    model = AttentionModel(d=2, beta=beta, normalization="usa")
    t, x = float(run["t_end"]), run["x_last"]
    if x is None:
        raise ValueError("merge_times needs the run's last state (x_last); keep it in iid_runs")
    while t < t_max - 1e-9:
        t_next = min(t + chunk, t_max)
        saves = np.linspace(t, t_next, max(2, round((t_next - t) / MERGE_SAVE) + 1))
        probe = Probe(1, min(n_detect, x.shape[0]), False)
        sol = simulate(model, x, t_next, dt, "rk4", save_at=saves, t0=t, observables={"clusters": probe},
                       save_states=False, backend="spectral")
        out["backends"].add(sol.metadata["backend"])
        drop = np.flatnonzero(np.asarray(probe.tight) & (np.asarray(probe.counts) < km))
        if drop.size:
            t_m = float(saves[drop[0]])
            return out | {"t_merge": t_m, "lifetime": t_m - run["t_cl"]}
        t, x = t_next, probe.x_last
    return out | {"t_merge": math.nan, "lifetime": math.nan}


def merge_study(cfg: Any, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge times of the runs with N in ``cfg.merge_Ns`` that formed k_max clusters, with the formation
    state's irregularity (:func:`~.iid.spacing_irregularity`) and the point-cluster prediction
    (:func:`cluster_ode_lifetime`); the runs' last states are released afterwards."""
    km = theory.k_max(BETA, 2)
    out = []
    for r in runs:
        if r["N"] not in cfg.merge_Ns or r["count"] != km:
            continue
        t0 = time.perf_counter()
        m = merge_times(r, cfg.merge_t_max, cfg.n_detect)
        wall = time.perf_counter() - t0
        r["x_last"] = None
        out.append(m | {"wall": wall, "N": r["N"], "seed": r["seed"],
                        "irr": spacing_irregularity(r["centers"]),
                        "ode": cluster_ode_lifetime(r["centers"], r["masses"]),
                        "mass_dev": float(np.abs(r["masses"] - 1 / km).max())})
    return out
