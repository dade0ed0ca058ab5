"""[B] Bruno, Pasqualotto, Agazzi: emergence of meta-stable clustering in mean-field transformers.

Setting of [B] (docs/theory/linear-stability.md): Q = K = V = I, USA normalization, tokens
iid uniform on S^{d-1}. Linearizing the mean-field equation at the uniform measure, the degree-k
harmonic grows at gamma_k = k (k + d - 2) Gamma(d/2) (2/beta)^{d/2-1} I_{k+d/2-1}(beta) / beta
(d = 2: k^2 I_k(beta) / beta), and k_max = argmax_k gamma_k sets the first structure. From
N iid tokens the k_max mode (amplitude ~ N^{-1/2}) reaches O(1) at
t_lin ~ (ln N / 2 + ln a) / gamma_max (linear phase), the k_max-fold structure persists
(quasi-linear phase), and on S^1 the tokens gather into k_max clusters at the angles
(2 pi m - arg mu_hat_kmax(0)) / k_max, which are meta-stable: they merge only after a time
that grows with N. Derived here (:mod:`.merge`): equally spaced clusters are a saddle of the
cluster dynamics (rate lambda = 0.349 at beta = 5, k = 3), the gaps at formation deviate by
~N^{-e}, e = (1 - gamma_4 / gamma_3) / 2 = 0.060 (the fastest symmetry-breaking mode, amplified in
the linear phase), so t_merge ~ const + (1 / (2 gamma_max) + e / lambda) ln N = const + 0.200 ln N.

What :func:`run` measures (one report row per claim; every value comes from a run):

1. k_max against beta, d = 2 and 3: the fastest-growing mode fitted in (a) the mean-field PDE
   (:class:`~attnflow.meanfield.CircleSolver` / :class:`~attnflow.meanfield.ZonalSolver`) from
   the uniform density plus a perturbation of equal size in every mode 1..K, and (b) particles
   started from a lattice (S^1) or a ring lattice (S^2) displaced by the same perturbation.
2. The fitted rate of the leading mode against gamma_max (PDE, lattices, and iid starts), and
   with SA against gamma_max / Z_0 (Z_0 = I_0(beta) on S^1).
3. USA, beta = 5, iid starts: how often k_max is the first mode to reach 0.3 (against a
   linear-theory Monte Carlo of mode competition, docs/theory/linear-stability.md#mode-competition),
   the most frequent count of the first clusters (against k_max, with the seed statistics), and
   their angles.
4. The time the leading amplitude reaches 0.3 and the time the clusters form, against ln N
   (predicted slope 1 / (2 gamma_max)), N from 10^3 to 10^6 (full mode only); the merge time of
   the k_max clusters against ln N (slope 1 / (2 gamma_max) + e / lambda, full mode only) and each
   seed's lifetime against the point-cluster dynamics from its formation state.
5. Propagation of chaos (:func:`attnflow.experiments.chaos.particles_vs_pde`): the N^{-1/2}
   scaling of W_1 between particles and the PDE during the linear phase, and its growth rate
   (gamma_max, not Dobrushin's e^beta).
6. beta = 7 (the notebook's second case, k_max = 4, full mode only): the most frequent first
   cluster count over the seeds; d = 3 (full mode only): the most frequent degree of the first
   structure from iid starts on S^2 against k_max(beta, 3) (:mod:`.s2`).

Every passing row carries a foil (a plausible wrong prediction, see
:mod:`attnflow.experiments.report`).

``quick=True`` runs a reduced version (~25 s of CPU); the full mode's wall time is in
docs/gallery/bruno2024.md.

Modules: :mod:`.settings` (constants and run sizes), :mod:`.kmax` (near-uniform runs),
:mod:`.iid` (iid runs, the Monte Carlo of mode competition), :mod:`.merge` (merge times, the
saddle of the cluster dynamics), :mod:`.notebook_pde` (the notebook's noisy PDE profile), one
``claims_*`` module per group of rows (:mod:`.claims_kmax` 1-2, :mod:`.claims_clusters` 3 and 6,
:mod:`.claims_time_scales` and :mod:`.claims_merge` 4, :mod:`.claims_chaos` 5) and :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ... import analysis, theory
from ..report import Report, start
from . import claims_chaos, claims_clusters, claims_kmax, claims_merge, claims_time_scales
from .figures import draw
from .iid import beta2_runs, iid_runs
from .kmax import kmax_study
from .merge import merge_study
from .notebook_pde import notebook_pde
from .settings import BETA, CLUSTER_MIN_FRACTION, CLUSTER_TOL, FULL, IID_K, QUICK, Config

__all__ = ["PAPER", "TITLE", "run"]

TITLE = "Meta-stable clustering in mean-field transformers (Bruno, Pasqualotto, Agazzi)"
PAPER = ('G. Bruno, F. Pasqualotto, A. Agazzi, "Emergence of meta-stable clustering in mean-field '
         'transformer models", arXiv:2410.23228 (ICLR 2025)')


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the experiment; figures go to ``out_dir`` (see the module docstring for the claims).

    Returns the :class:`Report` (``report.write(out_dir)`` writes report.md and results.zarr;
    :func:`attnflow.experiments.run_experiment` does both).
    """
    with analysis.blas_threads(1):
        return _run(out_dir, quick)


def _run(out_dir: Path, quick: bool) -> Report:
    report, out = start("bruno2024", TITLE, PAPER, out_dir, quick)
    cfg = QUICK if quick else FULL
    clock: dict[str, float] = {}
    km = theory.k_max(BETA, 2)
    gamma = theory.growth_rates(BETA, 2, IID_K)
    gmax = float(gamma[km])

    t0 = time.perf_counter()
    study = kmax_study(cfg)
    clock["k_max study"] = time.perf_counter() - t0
    claims_kmax.add_claims(report, cfg, study)

    t0 = time.perf_counter()
    runs, cluster_runs = iid_runs(cfg)
    clock["iid runs"] = time.perf_counter() - t0
    mc = claims_clusters.add_claims(report, cfg, cluster_runs, gmax)
    times = claims_time_scales.add_claims(report, cfg, runs, mc, gmax)
    t0 = time.perf_counter()
    merges = merge_study(cfg, runs)
    clock["merge times"] = time.perf_counter() - t0
    claims_merge.add_claims(report, cfg, merges, gmax)

    t0 = time.perf_counter()
    samples = [notebook_pde(cfg.kymo_M, 12345 + i) for i in range(cfg.pde_samples)]
    clock["PDE (notebook profile)"] = time.perf_counter() - t0
    shown_pde = claims_clusters.add_notebook_pde_claim(report, cfg, samples)

    t0 = time.perf_counter()
    ds = claims_chaos.chaos_runs(cfg)
    clock["chaos"] = time.perf_counter() - t0
    claims_chaos.add_claims(report, cfg, ds, gmax)

    t0 = time.perf_counter()
    runs2 = beta2_runs(cfg)
    if runs2:
        clock["beta = 7 runs"] = time.perf_counter() - t0
    claims_clusters.add_beta2_claim(report, cfg, runs2)

    runs_s2: list[dict[str, Any]] = []
    if cfg.s2_N is not None:
        from .s2 import s2_run

        t0 = time.perf_counter()
        runs_s2 = [s2_run(cfg.s2_N, 900_000 + s) for s in range(cfg.s2_seeds)]
        clock["S^2 runs"] = time.perf_counter() - t0
    claims_clusters.add_s2_claim(report, cfg, runs_s2)

    t0 = time.perf_counter()
    report.figures.extend(draw(out, cfg, study, runs, cluster_runs, gamma, gmax, times["mc_t"], samples,
                               shown_pde, ds, merges))
    clock["figures"] = time.perf_counter() - t0

    # -- notes and raw data ---------------------------------------------------------------------------
    report.notes.extend([
        "Sources: [B]'s body text (theorem statements, Assumption 3, constants, the exact parameters of "
        "figures beyond the authors' notebook) could not be read; the setting and parameters come from "
        "the notebook gbruno16/transformers-metastability/experiments.ipynb (USA on S^1, N = 2e4, explicit "
        "Euler dt = 1e-4, beta = 5 and 7; PDE by Lax-Friedrichs on 1e4 nodes) and the abstract/reviews "
        "(docs/theory/linear-stability.md). No k_max-vs-beta table was found in the paper; the predicted "
        "k_max are "
        "attnflow.theory.k_max, which reproduce the table of "
        "docs/theory/linear-stability.md#the-most-unstable-degree (derived for the notes).",
        "Time normalization: the notebook plots k^2 I_k(beta)/(pi beta), attnflow uses gamma_k = k^2 "
        "I_k(beta)/beta, the rate of the stated ODE (checked here to 1e-6 by the PDE and 1e-5 by "
        "particles). Same argmax; a time axis in the notebook's units is pi times ours.",
        "Integrators: particles use rk4 (dt = 1/80 for iid runs, 30 steps over gamma_max t = 6 for the "
        "lattices) instead of the notebook's Euler dt = 1e-4; both approximate the same flow. The PDE is "
        "attnflow's pseudo-spectral CircleSolver / zonal ZonalSolver (RK4), not Lax-Friedrichs.",
        "d = 3: [B] gives no cluster-count statement for d >= 3; only k_max and the rates are checked "
        "(zonal perturbations, which the degree-k growth rate does not distinguish from others).",
        f"Cluster detection on S^1: single linkage at <x_i, x_j> >= 1 - {CLUSTER_TOL:g} (the "
        "observables.clusters rule, computed from the sorted angles) on a fixed random subset of "
        f"{cfg.n_detect} tokens, so that stragglers between clusters chain components equally at every N; "
        f"components with < {CLUSTER_MIN_FRACTION:.0%} of the tokens are ignored, and a state counts as "
        "clustered when every remaining component has mean resultant length >= 0.99.",
        "Wall time per stage (s): " + ", ".join(f"{k} {v:.1f}" for k, v in clock.items()) + ".",
    ])
    _store(report, cfg, study, runs, cluster_runs, mc, times["tl"], ds, samples[shown_pde][0], merges,
           runs2, runs_s2)
    return report


def _store(report: Report, cfg: Config, study: dict[str, Any], runs: list[dict[str, Any]],
           cluster_runs: list[dict[str, Any]], mc: dict[int, tuple[float, float]], tl: np.ndarray, ds: Any,
           pde_sol: Any, merges: list[dict[str, Any]], runs2: list[dict[str, Any]],
           runs_s2: list[dict[str, Any]]) -> None:
    """The raw arrays of the runs into ``report.data`` (written to results.zarr)."""
    for d in (2, 3):
        s = study[f"d{d}"]
        for key in ("betas", "theory", "pde", "particles", "pde_err", "particles_err"):
            report.data[f"kmax_d{d}_{key}"] = s[key]
    report.data["gamma_k_pde_d2"] = study["gamma_k_pde_d2"]
    report.data["gamma_k_particles_d2"] = study["gamma_k_particles_d2"]
    report.data["iid_N"] = np.array([r["N"] for r in runs])
    report.data["iid_seed"] = np.array([r["seed"] for r in runs])
    report.data["iid_t_lin"] = tl
    report.data["iid_t_cl"] = np.array([r["t_cl"] for r in runs])
    report.data["iid_count"] = np.array([r["count"] for r in runs])
    report.data["iid_lead"] = np.array([r["lead"] for r in runs])
    report.data["cluster_N"] = np.array([r["N"] for r in cluster_runs])
    report.data["cluster_count"] = np.array([int(r["count"]) for r in cluster_runs])
    report.data["cluster_lead"] = np.array([r["lead"] for r in cluster_runs])
    report.data["cluster_angle_error"] = np.array([r["angle_err"] for r in cluster_runs])
    report.data["cluster_rate_kmax"] = np.array([r["rate"] for r in cluster_runs])
    report.data["mc_N"] = np.array(sorted(mc))
    report.data["mc_p_kmax"] = np.array([mc[n][0] for n in sorted(mc)])
    report.data["mc_t_lin"] = np.array([mc[n][1] for n in sorted(mc)])
    report.data["chaos_N"] = ds["N"].values.astype(float)
    report.data["chaos_time"] = ds["time"].values
    report.data["chaos_w1"] = ds["w1"].values
    report.data["pde_t"] = pde_sol.t
    report.data["pde_rho"] = pde_sol.rho[:, :: max(1, cfg.kymo_M // 256)]
    for key in ("N", "seed", "t_cl", "t_merge", "lifetime", "ode", "irr", "mass_dev"):
        report.data[f"merge_{key}"] = np.array([q[key] for q in merges], dtype=float)
    if runs_s2:
        report.data["s2_lead"] = np.array([r["lead"] for r in runs_s2])
    if runs2:
        report.data["beta2_count"] = np.array([r["count"] for r in runs2])
        report.data["beta2_lead"] = np.array([r["lead"] for r in runs2])
