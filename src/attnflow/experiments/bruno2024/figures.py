"""The seven figures of the [B] reproduction, written as PNG files (:func:`draw`).

The k_max and time-scale figures are drawn on :class:`matplotlib.figure.Figure` objects (no
pyplot); the mode amplitudes, the clusters and the kymograph use :mod:`attnflow.plot`, whose
figures are closed once written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ... import theory
from .settings import BETA, THRESHOLD, Config

__all__ = ["draw"]


def draw(out: Path, cfg: Config, study: dict[str, Any], runs: list[dict[str, Any]],
         cluster_runs: list[dict[str, Any]], gamma: np.ndarray, gmax: float, mc_t: dict[int, float],
         samples: list[tuple[Any, np.ndarray, int]], shown_pde: int, ds: Any,
         merges: list[dict[str, Any]]) -> list[str]:
    """Write the figures into ``out``; return their file names, in order.

    ``study`` from :func:`~.kmax.kmax_study`, ``runs``/``cluster_runs`` from
    :func:`~.iid.iid_runs`, ``gamma`` = gamma_k for k = 0..IID_K, ``mc_t`` the Monte Carlo
    E[t_lin] per N, ``samples`` the notebook PDE runs (``shown_pde`` is drawn), ``ds`` the
    propagation-of-chaos dataset and ``merges`` the merge study (:func:`~.merge.merge_study`).
    """
    import matplotlib.pyplot as plt

    from ... import plot
    from ..chaos import plot_particles_vs_pde

    km = theory.k_max(BETA, 2)
    pde_sol, pde_pred, _ = samples[shown_pde]
    figs = []

    def add_fig(name: str) -> Path:
        figs.append(name)
        return out / name

    _fig_kmax(study, add_fig("kmax_vs_beta.png"))
    kept = [r for r in cluster_runs[::-1] if r["amps"] is not None]          # the largest N first
    shown = next((r for r in kept if r["count"] == km), kept[0] if kept else None)
    if shown is not None:
        fig = plot.mode_amplitudes_plot(shown["t"], shown["amps"][:, :6], gamma[1:7], threshold=THRESHOLD)
        fig.axes[0].set_title(f"iid start, N = {shown['N']}, USA, beta = {BETA:g}: |mu_hat_k(t)|; dotted: "
                              "e^(gamma_k t) from the first point", fontsize=9)
        fig.savefig(add_fig("mode_amplitudes.png"), dpi=90)
        plt.close(fig)
        if shown["x_cl"] is not None:
            fig = plot.particles_with_prediction(
                shown["x_cl"], predicted_angles=shown["pred"],
                title=(f"N = {shown['N']}, first tight clusters (t = {shown['t_cl']:.3f}); red: "
                       "(2 pi m - arg mu_hat_3(0)) / 3"))
            fig.savefig(add_fig("particles_clusters.png"), dpi=80)
            plt.close(fig)
    fig = plot.kymograph(pde_sol, predicted_angles=pde_pred)
    fig.axes[0].set_title(f"PDE, USA, beta = {BETA:g}, [B]'s noisy profile, sample {shown_pde} (the first of "
                          f"{len(samples)} where k_max = {km} leads; M = {cfg.kymo_M}); red: from arg "
                          "rho_hat_3(0)", fontsize=8)
    fig.savefig(add_fig("pde_kymograph.png"), dpi=80)
    plt.close(fig)
    _fig_times(runs, gmax, mc_t, add_fig("t_lin_vs_logN.png"))
    plot_particles_vs_pde(ds).savefig(add_fig("w1_vs_t.png"), dpi=80)
    if merges:
        _fig_merges(merges, gmax, add_fig("merge_times.png"))
    return figs


def _fig_merges(merges: list[dict[str, Any]], gmax: float, path: Path) -> None:
    """Merge time against ln N with the derived slope; lifetime against the point-cluster prediction."""
    from matplotlib.figure import Figure

    from .merge import irregularity_exponent, saddle_rate

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    lnN = np.log([q["N"] for q in merges])
    tm = np.array([q["t_merge"] for q in merges])
    life = np.array([q["lifetime"] for q in merges])
    ode = np.array([q["ode"] for q in merges])
    lam = saddle_rate(theory.k_max(BETA, 2))
    e, _ = irregularity_exponent()
    ax1.plot(lnN, tm, "o", color="tab:purple", alpha=0.6, label="t_merge (per seed)")
    ok = np.isfinite(tm)
    if ok.sum() >= 2:
        xs = np.linspace(lnN.min() - 0.3, lnN.max() + 0.3, 10)
        slope = 1 / (2 * gmax) + e / lam
        ax1.plot(xs, tm[ok].mean() + slope * (xs - lnN[ok].mean()), "--", color="k", lw=1,
                 label=f"derived slope 1/(2 gamma_max) + e/lambda = {slope:.3f}")
    ax1.set(xlabel="ln N", ylabel="t_merge", title=f"USA, beta = {BETA:g}: first merge of the k_max clusters")
    ax2.plot(ode, life, "o", color="tab:green", alpha=0.6)
    hi = float(np.nanmax(np.concatenate([ode[np.isfinite(ode)], life[np.isfinite(life)], [1.0]])))
    ax2.plot([0, hi], [0, hi], "k--", lw=1, label="measured = predicted")
    ax2.set(xlabel="point-cluster dynamics from the formation state", ylabel="t_merge - t_cl (particles)",
            title=f"lifetime per seed (saddle rate lambda = {lam:.3f})")
    for ax in (ax1, ax2):
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=80)


def _fig_kmax(study: dict[str, Any], path: Path) -> None:
    """k_max against beta: theory, PDE and particles, d = 2 and 3; gamma_k against k at beta = BETA
    (d = 2)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    grid = np.geomspace(0.5, 120, 300)
    for ax, d in zip(axes[:2], (2, 3), strict=True):
        s = study[f"d{d}"]
        ax.step(grid, [theory.k_max(b, d) for b in grid], where="post", color="0.3", lw=1.2,
                label="theory argmax gamma_k")
        ax.plot(s["betas"], s["pde"], "o", mfc="none", color="tab:blue", ms=8, label="PDE (fitted rates)")
        ok = s["particles"] > 0
        ax.plot(s["betas"][ok], s["particles"][ok], "x", color="tab:red", ms=7,
                label="particles (fitted rates)")
        ax.plot(grid, np.sqrt(2 * grid), ":", color="0.6", lw=1, label="sqrt(2 beta)")
        ax.set(xscale="log", xlabel="beta", ylabel="k_max", title=f"d = {d} (S^{d - 1}), USA")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    rp, rq = study["gamma_k_pde_d2"], study["gamma_k_particles_d2"]
    k = np.arange(1, rp.size + 1)
    gamma = theory.growth_rates(BETA, 2, rp.size)[1:]
    ax.plot(k, gamma, "-", color="0.3", lw=1.2, label="theory k^2 I_k(beta)/beta")
    ax.plot(k, rp, "o", mfc="none", color="tab:blue", ms=8, label="PDE (fitted)")
    ax.plot(k, rq, "x", color="tab:red", ms=7, label="lattice particles (fitted)")
    km = theory.k_max(BETA, 2)
    ax.axvline(km, color="0.6", ls=":", lw=1)
    ax.set(xlabel="k", ylabel="gamma_k", title=f"growth rates, d = 2, USA, beta = {BETA:g} (k_max = {km})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=90)


def _fig_times(runs: list[dict[str, Any]], gmax: float, mc: dict[int, float], path: Path) -> None:
    """t_lin and t_cl against ln N with the predicted slope, and the Monte Carlo E[t_lin]."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    lnN = np.log([r["N"] for r in runs])
    tl = np.array([r["t_lin"] for r in runs])
    tc = np.array([r["t_cl"] if r["count"] == theory.k_max(BETA, 2) else np.nan for r in runs])
    ax.plot(lnN, tl, "o", color="tab:blue", alpha=0.6, label=f"t_lin: max_k |mu_k| = {THRESHOLD:g}")
    ax.plot(lnN, tc, "s", color="tab:red", alpha=0.6, label="t_cl: k_max tight clusters")
    xs = np.linspace(lnN.min() - 0.3, lnN.max() + 0.3, 10)
    for y, c in ((tl, "tab:blue"), (tc, "tab:red")):
        ok = np.isfinite(y)
        if ok.sum() >= 2:
            mx, my = lnN[ok].mean(), y[ok].mean()
            ax.plot(xs, my + (xs - mx) / (2 * gmax), "--", color=c, lw=1)
    Ns = sorted(mc)
    ax.plot(np.log(Ns), [mc[n] for n in Ns], "k:", lw=1.2, label="linear-theory Monte Carlo E[t_lin]")
    ax.set(xlabel="ln N", ylabel="t",
           title=f"USA, beta = {BETA:g}: dashed lines have the predicted slope 1/(2 gamma_max) = "
                 f"{1 / (2 * gmax):.4f}")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=90)
