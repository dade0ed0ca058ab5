"""[B] runs from N iid uniform tokens on S^1 (USA, beta = BETA): modes, first clusters, time scales.

- :func:`iid_runs`: the runs of a mode (the duration study over N and the cluster study);
- :func:`iid_run`: one run to the end of the clustering phase, probed at every save;
- :func:`beta2_runs`: the runs of the notebook's second case, beta = 7 (k_max = 4);
- :func:`spacing_irregularity`: how far the gaps of k clusters are from 2 pi / k;
- :func:`mc_win_probability`: the linear-theory Monte Carlo of mode competition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import analysis, sphere, theory
from ...integrate import simulate
from ...model import AttentionModel
from .settings import (
    BETA,
    BETA_2,
    CLUSTER_MIN_FRACTION,
    CLUSTER_TOL,
    IID_DT,
    IID_DT_2,
    IID_K,
    THRESHOLD,
    Config,
)

__all__ = ["Probe", "beta2_runs", "iid_run", "iid_runs", "mc_win_probability", "spacing_irregularity"]


def iid_runs(cfg: Config) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(runs, cluster_runs): ``cfg.seeds[i]`` runs per N in ``cfg.Ns`` (seeds 1000 (i + 1) + s), and
    the runs of the cluster study (the same runs when ``cfg.n_cluster`` is None, else
    ``cfg.cluster_seeds`` runs with N = ``cfg.n_cluster``, seeds 500000 + s).

    States are kept (``amps``, ``x_cl``) for the first 3 seeds of ``cfg.figure_N`` and of the
    largest N (<= 20000); ``x_last`` only for the runs that formed k_max clusters (the merge
    study continues them, :func:`~.merge.merge_times`).
    """
    km = theory.k_max(BETA, 2)
    runs: list[dict[str, Any]] = []
    seed_base = {N: 1000 * (i + 1) for i, N in enumerate(cfg.Ns)}
    for N, n_seeds in zip(cfg.Ns, cfg.seeds, strict=True):
        for s in range(n_seeds):
            keep = (N == cfg.figure_N or N == cfg.Ns[-1]) and s < 3
            r = iid_run(N, seed_base[N] + s, cfg.n_detect, keep=keep and N <= 20000)
            if r["count"] != km or N not in cfg.merge_Ns:
                r["x_last"] = None                               # only the merge study needs it
            runs.append(r)
    cluster_runs = [r for r in runs] if cfg.n_cluster is None else [
        _drop_last(iid_run(cfg.n_cluster, 500_000 + s, cfg.n_detect, keep=s < 3))
        for s in range(cfg.cluster_seeds)]
    return runs, cluster_runs


def beta2_runs(cfg: Config) -> list[dict[str, Any]]:
    """``cfg.beta2_seeds`` runs at beta = BETA_2 (k_max = 4) with N = ``cfg.beta2_N`` (seeds 700000 + s)."""
    if cfg.beta2_N is None:
        return []
    return [_drop_last(iid_run(cfg.beta2_N, 700_000 + s, cfg.n_detect, beta=BETA_2, dt=IID_DT_2))
            for s in range(cfg.beta2_seeds)]


def _drop_last(run: dict[str, Any]) -> dict[str, Any]:
    run["x_last"] = None
    return run


def _circle_clusters(theta: np.ndarray, tol: float = CLUSTER_TOL, min_fraction: float = CLUSTER_MIN_FRACTION
                     ) -> tuple[int, bool, np.ndarray, np.ndarray]:
    """Clusters of angles on S^1: single linkage at cos(gap) >= 1 - tol (as observables.clusters).

    On the circle the connected components are the runs of sorted angles between gaps larger
    than arccos(1 - tol). Returns (count of components with >= min_fraction of the points,
    whether each of them is tight (mean resultant length >= 1 - tol), their mean angles (sorted),
    their masses (fractions of the points), in the same order).
    """
    th = np.sort(np.mod(theta, 2 * np.pi))
    n = th.size
    gaps = np.diff(np.append(th, th[0] + 2 * np.pi))
    cut = np.flatnonzero(gaps > math.acos(1 - tol))
    if cut.size == 0:                                        # one connected ring
        return 0, False, np.empty(0), np.empty(0)
    starts = (cut + 1) % n
    sizes = np.diff(np.append(cut, cut[0] + n))
    centers, masses, tight = [], [], True
    for s, size in zip(starts, sizes, strict=True):
        if size < min_fraction * n:
            continue
        z = np.exp(1j * th[(s + np.arange(size)) % n]).mean()
        tight = tight and abs(z) >= 1 - tol
        centers.append(float(np.mod(np.angle(z), 2 * np.pi)))
        masses.append(size / n)
    order = np.argsort(centers)
    return len(centers), tight, np.asarray(centers)[order], np.asarray(masses)[order]


class Probe:
    """Called at every save of an iid run: Fourier modes and clusters of the configuration."""

    def __init__(self, K: int, n_detect: int, keep: bool):
        self.K, self.n_detect, self.keep = K, n_detect, keep
        self.modes: list[np.ndarray] = []
        self.counts: list[int] = []
        self.tight: list[bool] = []
        self.centers: list[np.ndarray] = []
        self.masses: list[np.ndarray] = []
        self.x_first_tight: np.ndarray | None = None
        self.x_last: np.ndarray | None = None

    def __call__(self, model, x) -> float:
        zc = x[:, 0] - 1j * x[:, 1]                              # e^{-i theta}
        p = np.ones_like(zc)
        m = np.empty(self.K, dtype=np.complex128)
        for k in range(self.K):
            p = p * zc
            m[k] = p.mean()
        self.modes.append(m)
        sub = x[: self.n_detect]                                 # iid: a random subset
        count, tight, centers, masses = _circle_clusters(np.arctan2(sub[:, 1], sub[:, 0]))
        self.counts.append(count)
        self.tight.append(bool(tight and count > 0))
        self.centers.append(centers)
        self.masses.append(masses)
        if self.keep and self.x_first_tight is None and self.tight[-1]:
            self.x_first_tight = x.copy()
        self.x_last = np.array(x, copy=True)
        return float(count)


def iid_run(N: int, seed: int, n_detect: int, keep: bool = False, beta: float = BETA, dt: float = IID_DT
            ) -> dict[str, Any]:
    """USA on S^1 from N iid uniform tokens, to the end of the clustering phase (spectral backend).

    The run lasts t_lin + 7.5 / gamma_max (t_lin = theory.linear_phase_end; 0.4 at beta = 5),
    long enough for the clustering phase after the linear one; rk4 with step ``dt``.
    """
    K = IID_K
    km = theory.k_max(beta, 2)
    gmax = float(theory.growth_rates(beta, 2, km)[km])
    t_end = dt * math.ceil((theory.linear_phase_end(N, beta, 2, "usa") + 7.5 / gmax) / dt)
    theta0 = sphere.uniform_angles(N, seed=seed)
    x0 = sphere.angles_to_points(theta0)
    probe = Probe(K, min(N, n_detect), keep)
    saves = dt * np.arange(round(t_end / dt) + 1)
    model = AttentionModel(d=2, beta=beta, normalization="usa")
    sol = simulate(model, x0, float(saves[-1]), dt, "rk4", save_at=saves,
                   observables={"clusters": probe}, save_states=False, backend="spectral",
                   provenance={"init": {"kind": "uniform", "seed": seed}})
    t = sol.t
    modes = np.asarray(probe.modes)
    amps = np.abs(modes)
    top = amps.max(axis=1)
    hit = np.flatnonzero(top >= THRESHOLD)
    t_lin, lead = float("nan"), 0
    if hit.size and hit[0] > 0:
        t_lin = analysis.level_crossing(t, top, THRESHOLD, "up", log=True)
        lead = int(np.argmax(amps[int(hit[0])])) + 1
    tight = np.asarray(probe.tight)
    i_cl = int(np.argmax(tight)) if tight.any() else None
    count = probe.counts[i_cl] if i_cl is not None else 0
    centers = probe.centers[i_cl] if i_cl is not None else np.empty(0)
    masses = probe.masses[i_cl] if i_cl is not None else np.empty(0)
    err = err_lin = float("nan")
    pred = theory.predicted_cluster_angles(theta0, beta)
    if count == km:                                 # as many clusters as predicted angles
        err = analysis.angle_mismatch(pred, centers)
        if math.isfinite(t_lin):                    # same rule, phase at the end of the linear phase
            err_lin = analysis.angle_mismatch(theory.mode_maxima(modes[int(hit[0]), km - 1], km), centers)
    try:
        fit = analysis.fit_growth(t, amps[:, km - 1], max_amplitude=0.1)
        rate = fit.rate
    except ValueError:
        rate = float("nan")
    return {"N": N, "seed": seed, "t": t, "amps": amps if keep else None, "t_lin": t_lin, "lead": lead,
            "t_cl": float(t[i_cl]) if i_cl is not None else float("nan"), "count": count,
            "centers": centers, "masses": masses, "pred": pred, "angle_err": err, "angle_err_linear": err_lin,
            "rate": rate, "counts": np.asarray(probe.counts), "tight": tight, "x_cl": probe.x_first_tight,
            "x_last": probe.x_last, "t_end": float(t[-1]), "beta": beta, "backend": sol.metadata["backend"]}


def spacing_irregularity(centers: np.ndarray) -> float:
    """Largest deviation of the gaps between sorted cluster angles from 2 pi / k (rad)."""
    c = np.sort(centers)
    gaps = np.diff(np.append(c, c[0] + 2 * np.pi))
    return float(np.abs(gaps - 2 * np.pi / c.size).max())


def mc_win_probability(N: int, beta: float = BETA, K: int = 16, samples: int = 100_000,
                        seed: int = 0, d: int = 2) -> tuple[float, float]:
    """Linear-theory Monte Carlo of mode competition (docs/theory/linear-stability.md#mode-competition),
    and E[t_lin].

    d = 2: mu_hat_k(0) of N iid uniform tokens is (to leading order) complex Gaussian with
    E|mu_hat_k|^2 = 1/N (Rayleigh amplitudes). d = 3: N a_l^2 is a chi-square with 2 l + 1 degrees
    of freedom divided by 2 l + 1 (:mod:`.s2`). Mode k reaches THRESHOLD at
    ln(THRESHOLD / amplitude_k(0)) / gamma_k; the winner is the first one. Returns
    (P(winner = k_max(beta, d)), mean of the winning time).
    """
    if d not in (2, 3):
        raise ValueError(f"d = {d!r}: the mode-competition model is written for d = 2 and d = 3")
    g = theory.growth_rates(beta, d, K)[1:]
    rng = np.random.default_rng(seed)
    if d == 2:
        z = rng.standard_normal((samples, K)) + 1j * rng.standard_normal((samples, K))
        amp = np.abs(z) / math.sqrt(2 * N)
    else:
        dof = 2 * np.arange(1, K + 1) + 1
        amp = np.sqrt(rng.chisquare(dof, (samples, K)) / dof / N)
    times = np.log(THRESHOLD / amp) / g
    win = np.argmin(times, axis=1) + 1
    return float(np.mean(win == theory.k_max(beta, d))), float(times.min(axis=1).mean())

