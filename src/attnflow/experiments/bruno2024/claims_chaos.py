"""[B] row 5: propagation of chaos, W_1 between N particles and the PDE from the same law.

The runs are :func:`attnflow.experiments.chaos.particles_vs_pde`; the rows check the N^{-1/2}
scaling of W_1 during the linear phase (the level at t = 0, a property of iid sampling, is only
reported) and its growth rate, gamma_max rather than Dobrushin's Lipschitz constant e^beta.

Growth rate (derived here). In the linear phase the difference mu^N_t - rho_t is the iid
fluctuation field, each Fourier mode of amplitude ~N^{-1/2} growing like e^{gamma_k t}. On S^1,
W_1 = min_c int |F - c| with F the difference of the distribution functions, whose k-th
coefficient is the mode's divided by i k; for a Gaussian field E W_1 is proportional to the
standard deviation of F, so

    ln W_1(t) - ln W_1(0) ~ (1/2) ln( sum_k e^{2 gamma_k t} / k^2 / sum_k 1 / k^2 ),

whose slope rises from the mean of gamma_k weighted by 1/k^2 (7.4 at beta = 5) to gamma_max as
the k_max mode takes over (:func:`linear_w1_rate`).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ... import analysis, theory
from ...meanfield import ResolutionWarning
from ..report import Report, compare
from .settings import BETA, Config

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["add_claims", "chaos_runs", "linear_w1_rate"]


def chaos_runs(cfg: Config) -> xr.Dataset:
    """W_1(particles, PDE) over t <= 0.3 for N in ``cfg.chaos_Ns`` (USA, beta = BETA, rk4 dt = 0.005)."""
    from ..chaos import particles_vs_pde  # imports xarray: only when the experiment runs

    with warnings.catch_warnings():            # the PDE stops (and says so) once it concentrates
        warnings.simplefilter("ignore", ResolutionWarning)
        ds = particles_vs_pde(beta=BETA, Ns=cfg.chaos_Ns, t1=0.3, n_saves=31, M=cfg.chaos_M, dt=0.005,
                              seeds=cfg.chaos_seeds)
    return ds


def linear_w1_rate(t: np.ndarray, beta: float = BETA, K: int = 2000) -> float:
    """Least-squares slope over the times ``t`` of the linear-theory ln W_1 (module docstring)."""
    g = theory.growth_rates(beta, 2, K)[1:]
    k = np.arange(1, K + 1)
    curve = 0.5 * np.log((np.exp(2 * np.outer(t, g)) / k ** 2).sum(axis=1))
    return float(analysis.line_fit(t, curve).slope)


def add_claims(report: Report, cfg: Config, ds: xr.Dataset, gmax: float) -> None:
    """Add the row of propagation of chaos (``ds`` from :func:`chaos_runs`) to ``report``.

    The ratio W_1(N_min) / W_1(N_max) is the geometric mean over the saves of the linear phase of
    the seed-mean W_1; its tolerance is two standard errors from the spread over the seeds (delta
    method on the two seed means), at least 5 %.
    """
    wall = ds["w1"].values                                  # (N, seed, time)
    w = wall.mean(axis=1)
    Ns_c = ds["N"].values.astype(float)
    level = w[:, 0] * np.sqrt(Ns_c)
    cparams = (f"USA, beta = {BETA:g}, rho_0 = (1 + 0.01 cos 3 theta)/(2 pi), iid samples, N = "
               f"{list(cfg.chaos_Ns)}, {len(cfg.chaos_seeds)} seeds each, rk4 dt = 0.005, CircleSolver "
               f"M = {cfg.chaos_M} ({ds.attrs['pde_status']} at t = {ds.attrs['pde_t_end']:.3f})")
    # linear phase of the smallest N's fluctuations: N_min^{-1/2} e^{gamma_max t} <= 0.1
    horizon = max((0.5 * math.log(Ns_c.min()) + math.log(0.1)) / gmax, 0.0)
    tt = ds["time"].values
    sel = (tt > 0) & (tt <= horizon)
    if sel.sum() < 2:
        sel = np.zeros(tt.size, dtype=bool)
        sel[1:3] = True
        horizon = float(tt[2])
    ratio = float(np.exp(np.mean(np.log(w[0, sel] / w[-1, sel]))))
    n_seeds = wall.shape[1]
    # relative standard error of each seed mean (averaged over the window), combined for the ratio
    rel_se = [float(np.mean(wall[i][:, sel].std(axis=0, ddof=1) / w[i, sel])) / math.sqrt(n_seeds)
              for i in (0, -1)]
    tol = max(0.05, 2 * math.hypot(*rel_se))
    report.add(compare(
        "W_1(particles, PDE) during the linear phase scales like N^{-1/2}: W_1(N_min) / W_1(N_max) = "
        "sqrt(N_max / N_min)", math.sqrt(Ns_c.max() / Ns_c.min()), ratio, tol,
        cparams + f"; geometric mean over the saves 0 < t <= (ln(N_min)/2 + ln 0.1)/gamma_max = "
        f"{horizon:.3f}, where the smallest N's fluctuations stay below 0.1 (linear)",
        relative=True,
        note=(f"tolerance {tol:.2f} (relative) = 2 standard errors of the ratio from the seed spread "
              f"(relative standard errors of the seed means {rel_se[0]:.2f} at N_min, {rel_se[1]:.2f} at "
              "N_max), at least 0.05. Later, W_1 of the smallest N saturates (nonlinear) and the ratio "
              f"drops (see the figure). sqrt(N) W_1 at t = 0 (the iid level, a property of the sampling "
              f"rather than of [B]): {np.round(level, 3).tolist()}. Growth of W_1 over the window for the "
              f"largest N: x{w[-1, sel][-1] / w[-1, 0]:.2f}, against e^(gamma_max t) = "
              f"x{math.exp(gmax * tt[sel][-1]):.2f} and Dobrushin's e^(e^beta t) = "
              f"x{math.exp(math.exp(BETA) * tt[sel][-1]):.3g}"),
        foil=Ns_c.max() / Ns_c.min(), foil_note="an N^{-1} scaling (a deterministic quadrature error)"))
    _add_growth_claim(report, ds, gmax, cparams)


def _add_growth_claim(report: Report, ds: xr.Dataset, gmax: float, cparams: str) -> None:
    """The growth rate of W_1 for the largest N (seed mean) over the late linear phase, against gamma_max.

    Window: [t_h / 2, t_h], t_h the last save where both the largest N's fluctuations
    (N^{-1/2} e^{gamma_max t}) and rho_0's bump (0.01 e^{gamma_max t}) stay below 0.1. The tolerance is
    the gap between gamma_max and the linear theory's rate over the window (:func:`linear_w1_rate`)
    plus two standard errors of the mean of the per-seed rates.
    """
    wall = ds["w1"].values
    tt = ds["time"].values
    n_max = float(ds["N"].values.max())
    t_h = min(0.5 * math.log(n_max) + math.log(0.1), math.log(0.1 / 0.01)) / gmax
    sel = (tt >= t_h / 2 - 1e-12) & (tt <= t_h + 1e-12)
    if sel.sum() < 3:
        return
    w_big = wall[-1]                                           # (seed, time) at the largest N
    rate = analysis.line_fit(tt[sel], np.log(w_big.mean(axis=0)[sel])).slope
    per_seed = np.array([analysis.line_fit(tt[sel], np.log(w_s[sel])).slope for w_s in w_big])
    se = float(per_seed.std(ddof=1) / math.sqrt(per_seed.size))
    r_lin = linear_w1_rate(tt[sel])
    tol = (gmax - r_lin) / gmax + 2 * se / gmax
    others = {int(n): round(analysis.line_fit(tt[sel], np.log(wall[i].mean(axis=0)[sel])).slope, 2)
              for i, n in enumerate(ds["N"].values)}
    report.add(compare(
        "W_1(particles, PDE) grows at the rate gamma_max of the linearization, not at Dobrushin's e^beta: "
        "fitted rate of ln W_1 (largest N, seed mean) over the late linear phase",
        gmax, rate, tol,
        cparams + f"; fit over {tt[sel][0]:.2f} <= t <= {tt[sel][-1]:.2f}, where the fluctuations of N = "
        f"{int(n_max)} and rho_0's bump stay below 0.1; tolerance (gamma_max - r_lin)/gamma_max + 2 standard "
        "errors of the per-seed rates / gamma_max", relative=True,
        note=(f"r_lin = {r_lin:.2f}: the linear theory's rate over this window (the fluctuation field is a "
              "sum of modes; the k_max mode takes over only as t grows, so the fitted rate approaches "
              f"gamma_max from below). Per-seed rates {np.round(per_seed, 2).tolist()} (standard error of "
              f"their mean {se:.2f}); rates of the seed means for each N {others}. Dobrushin's estimate "
              f"allows growth at e^beta = {math.exp(BETA):.1f}"),
        foil=math.exp(BETA), foil_note="Dobrushin's Lipschitz rate e^beta (the coupling estimate)"))
