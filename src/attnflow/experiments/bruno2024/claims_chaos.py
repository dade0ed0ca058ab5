"""[B] row 5: propagation of chaos, W_1 between N particles and the PDE from the same law.

The runs are :func:`attnflow.experiments.chaos.particles_vs_pde`; the row checks the N^{-1/2}
scaling of W_1 during the linear phase (the level at t = 0, a property of iid sampling, is only
reported).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ...meanfield import ResolutionWarning
from ..report import Report, compare
from .settings import BETA, Config

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["add_claims", "chaos_runs"]


def chaos_runs(cfg: Config) -> xr.Dataset:
    """W_1(particles, PDE) over t <= 0.3 for N in ``cfg.chaos_Ns`` (USA, beta = BETA, rk4 dt = 0.005)."""
    from ..chaos import particles_vs_pde  # imports xarray: only when the experiment runs

    with warnings.catch_warnings():            # the PDE stops (and says so) once it concentrates
        warnings.simplefilter("ignore", ResolutionWarning)
        ds = particles_vs_pde(beta=BETA, Ns=cfg.chaos_Ns, t1=0.3, n_saves=31, M=cfg.chaos_M, dt=0.005,
                              seeds=cfg.chaos_seeds)
    return ds


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
