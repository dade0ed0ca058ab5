"""Propagation of chaos on S^1: N particles against the mean-field PDE from the same law.

Particles x_1..x_N are drawn iid from an initial density rho_0 on S^1 and evolved by the
USA (or SA) flow with A = V = I; the density is evolved by :class:`CircleSolver` from rho_0.
Dobrushin's estimate bounds W_1(mu^N_t, rho_t) <= e^{C t} W_1(mu^N_0, rho_0) with
W_1(mu^N_0, rho_0) ~ N^{-1/2} ([B] Bruno, Pasqualotto, Agazzi, arXiv 2410.23228, §3;
docs/theory/mean-field.md#propagation-of-chaos). Near the uniform measure the deviation grows at the linear
rate gamma_max
instead of the Lipschitz constant C = e^beta, so the two stay close up to
t ~ log(N) / (2 gamma_max): the measured W_1(t) for several N shows both the N^{-1/2}
level and the log N horizon.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from .. import sphere
from ..densities import sample_circle
from ..integrate import simulate
from ..meanfield import CircleSolver
from ..model import AttentionModel
from ..theory import growth_rates
from ..transport import CircleDensity, w1_circle

__all__ = ["particles_vs_pde", "plot_particles_vs_pde"]


def particles_vs_pde(beta: float = 5.0, Ns: Sequence[int] = (1000, 4000, 20000), t1: float = 0.4,
                     n_saves: int = 41, rho0: Callable | None = None, *, M: int = 1024,
                     normalization: str = "usa", dt: float = 1e-3, seeds: Sequence[int] = (0,),
                     method: str = "rk4", sampling: str = "random", tail_tol: float = 1e-6) -> xr.Dataset:
    """W_1 between N-particle runs and the PDE, over time, for several N.

    Parameters
    ----------
    beta : inverse temperature (A = V = I).
    Ns : particle counts.
    t1, n_saves : final time and number of equally spaced comparison times.
    rho0 : initial density (callable of theta, unit mass); default
        (1 + 0.01 cos(3 theta)) / (2 pi), a small mode-3 bump.
    M : PDE grid size.
    dt : particle step (RK4).
    seeds : one particle run per seed and N (W_1 is averaged over seeds).
    sampling : "random" (iid, W_1(mu^N_0, rho_0) ~ N^{-1/2}) or "quantile" (deterministic
        quantile points, W_1(mu^N_0, rho_0) ~ 1/N).
    tail_tol : resolution threshold of the PDE solver (the comparison stops where the PDE
        becomes under-resolved, i.e. when the density concentrates).

    Returns
    -------
    xarray.Dataset with ``w1`` (N, seed, time), ``w1_initial_scale`` = mean W_1 at t = 0,
    ``pde_status``, and attrs with the model, gamma_max and the predicted horizon
    log(N)/(2 gamma_max) per N (``horizon``).
    """
    if rho0 is None:
        def rho0(th):
            return (1 + 0.01 * np.cos(3 * th)) / (2 * np.pi)
    times = np.linspace(0.0, t1, n_saves)
    solver = CircleSolver(beta, M, normalization, tail_tol=tail_tol)
    pde = solver.solve(rho0, t1, times)
    rho_grid = np.asarray(rho0(solver.theta), dtype=float)
    model = AttentionModel(d=2, beta=beta, normalization=normalization)
    w1 = np.full((len(Ns), len(seeds), times.size), np.nan)
    wall = np.zeros((len(Ns), len(seeds)))
    for i, n in enumerate(Ns):
        for j, seed in enumerate(seeds):
            theta0 = sample_circle(rho_grid, int(n), seed=seed, method=sampling)
            start = time.perf_counter()
            sol = simulate(model, sphere.angles_to_points(theta0), t1, dt, method, save_at=times,
                           provenance={"init": {"kind": "sample_circle", "seed": seed}})
            wall[i, j] = time.perf_counter() - start
            for k in range(pde.t.size):                 # compare while the PDE is resolved
                ang = sphere.points_to_angles(sol.x[k])
                w1[i, j, k] = w1_circle(ang, CircleDensity(np.clip(pde.rho[k], 0, None)))
    gamma = growth_rates(beta, 2, 64, normalization)
    gmax = float(gamma.max())
    return xr.Dataset(
        {"w1": (("N", "seed", "time"), w1),
         "wall_time": (("N", "seed"), wall),
         "horizon": (("N",), np.log(np.asarray(Ns, dtype=float)) / (2 * gmax))},
        coords={"N": np.asarray(Ns), "seed": np.asarray(seeds), "time": times},
        attrs={"beta": beta, "normalization": normalization, "M": M, "dt": dt, "method": method,
               "gamma_max": gmax, "k_max": int(np.argmax(gamma)), "pde_status": pde.status,
               "sampling": sampling,
               "pde_t_end": float(pde.t[-1])},
    )


def plot_particles_vs_pde(ds: xr.Dataset, path=None):
    """W_1(t) for each N (log scale), the N^{-1/2}-rescaled curves, and the predicted horizons.

    Returns the :class:`matplotlib.figure.Figure` (drawn without pyplot, so nothing stays open);
    with ``path`` it is also written there as a PNG (120 dpi).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    t = ds["time"].values
    for n in ds["N"].values:
        w = ds["w1"].sel(N=n).mean("seed").values
        line, = ax1.semilogy(t, w, label=f"N = {n}")
        ax1.axvline(float(ds["horizon"].sel(N=n)), color=line.get_color(), ls=":", lw=1)
        ax2.semilogy(t, w * np.sqrt(n), color=line.get_color(), label=f"N = {n}")
    g = ds.attrs["gamma_max"]
    ref = ds["w1"].isel(N=0).mean("seed").values[0] * np.sqrt(ds["N"].values[0])
    ax2.semilogy(t, ref * np.exp(g * t), "k--", lw=1, label=r"$e^{\gamma_{max} t}$")
    ax1.set(xlabel="t", ylabel=r"$W_1(\mu^N_t, \rho_t)$",
            title=f"particles vs PDE, {ds.attrs['normalization'].upper()}, beta = {ds.attrs['beta']:g}"
                  "\n(dotted: log N / (2 gamma_max))")
    ax2.set(xlabel="t", ylabel=r"$\sqrt{N}\, W_1$", title="rescaled by sqrt(N)")
    for ax in (ax1, ax2):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
