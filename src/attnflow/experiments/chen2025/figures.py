"""The five figures of the [C] reproduction (one per group of rows), written as PNG files.

Drawn on :class:`matplotlib.figure.Figure` objects, without pyplot: no backend is selected or
switched and nothing stays open.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["counterexamples", "hessian", "pl", "r2", "rates"]


def rates(res: dict, beta: float, proven: float, path: Path) -> None:
    """W_2(mu_t, delta_{x_inf}) of the mean field, the Eulerian PDE and the particles, d = 2 and 3, with
    the fitted and predicted slopes (group 1; ``res["fits"][(d, key)] = (rate, window, y0, predicted)``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    t, tp = res["t_mf"], res["t_part"]
    for ax, d in zip(axes, (2, 3), strict=True):
        ax.semilogy(t, res[f"w2_mf_d{d}_full"], color="C0", label="mean field, f0 > 0 at antipode")
        ax.semilogy(t, res[f"w2_mf_d{d}_cap"], color="C1", label="mean field, f0 = 0 near antipode")
        n = res[f"w2_pde_d{d}"].size
        ax.semilogy(t[:n], res[f"w2_pde_d{d}"], "k:", lw=2, label="Eulerian PDE (while resolved)")
        ax.semilogy(tp, res[f"w2_part_d{d}"], color="C2", label="N particles (quantile)")
        for key, color in (("full", "C0"), ("cap", "C1"), ("particles", "C2")):
            rate, (a, b), y0, pred = res["fits"][(d, key)]
            s = np.linspace(a, b, 10)
            ax.semilogy(s, y0 * np.exp(-rate * (s - a)) * 3, "--", color=color, lw=1)
            ax.semilogy(s, y0 * np.exp(-pred * (s - a)) / 3, "-", color="gray", lw=0.8)
        y0 = res[f"w2_mf_d{d}_full"][0]
        ax.semilogy(t, y0 * np.exp(-proven * t), color="r", lw=0.8, label="proven e^{-t/100}")
        ax.set(xlabel="t", ylabel=r"$W_2(\mu_t, \delta_{x_\infty})$", ylim=(1e-14, 5),
               title=f"d = {d}, USA, beta = {beta:g}: dashed = fits (x3), gray = predicted slopes (/3)\n"
                     f"(d-1)e^-beta/2 = {res['fits'][(d, 'full')][3]:.3g} for f0 > 0 at antipode, "
                     f"e^beta = {res['fits'][(d, 'cap')][3]:.4g} otherwise")
        ax.title.set_fontsize(8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    fig.savefig(path, dpi=90)


def r2(res: dict, beta: float, path: Path) -> None:
    """R_t^2 and d(R^2)/dt of profiles A and B, particles, PDE and the beta = 0 control (group 2)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex="col")
    for j, key in enumerate(("A", "B")):
        r = res[key]
        t = r["t"]
        ax = axes[0, j]
        if "mean_field" in r:
            mf = r["mean_field"]
            ax.semilogy(mf["t"], mf["r2"], color="C2", lw=2.5, alpha=0.6,
                        label="exact mean field (Lagrangian)")
        ax.semilogy(t, r["r2"], color="C0", label=f"particles, beta = {beta:g}")
        ax.semilogy(r["t_pde"], r["r2_pde"], "k:", lw=2, label="PDE (while resolved)")
        ax.semilogy(t, r["r2k"], color="C3", ls="--", label="beta = 0 (Kuramoto)")
        ax.axhline(r["r0"], color="gray", lw=0.8)
        ax.set(ylabel=r"$R_t^2$", title=f"profile {key}" + (": 0.4 G(0, .05) + 0.6 G(pi, .93)" if key == "A"
                                                             else ": 0.5 G(0, .05) + 0.5 G(pi - 1e-9, .4)"))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        ax = axes[1, j]
        ax.plot(t, r["dr2"], color="C0")
        ax.plot(t, r["dr2k"], color="C3", ls="--")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_yscale("symlog", linthresh=1e-6)
        ax.set(xlabel="t", ylabel=r"$\partial_t R_t^2$")
        ax.grid(alpha=0.3)
    fig.suptitle("Non-monotone R_t^2 (their Fig. 4 setting: phi(s) = e^(0.1 s), USA on S^1); "
                 "gray: R_0^2", fontsize=9)
    fig.savefig(path, dpi=90)


def counterexamples(res: dict, r_inf: float, beta_c: float, path: Path) -> None:
    """(a) antipodal atoms, (b) R(t) of the two arcs, (c) the synchronization threshold scan (group 3)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    ax = axes[0]
    ax.plot(res["atoms_t"], res["atoms_R"], label="9 at e, 1 at -e (exact)")
    ax.plot(res["atoms_t"], res["atoms_R_pert"], "--", label="light atom displaced by 1e-9")
    ax.set(xlabel="t", ylabel="R(t)", title="(a) finite particles, USA, beta = 1, d = 2")
    ax.legend(fontsize=7)
    ax = axes[1]
    for beta, (t, R, _, _) in res["arcs"].items():
        scale = math.exp(beta) if beta >= 1 else 1.0
        ax.plot(t * scale, R, label=f"beta = {beta:g}" + (" (time e^beta t)" if beta >= 1 else ""))
    if "arcs_particles" in res:
        t, R = res["arcs_particles"]
        ax.plot(t * math.exp(10.0), R, "k:", label="beta = 10, particles")
    ax.axhline(r_inf, color="gray", lw=0.8)
    ax.set(xlabel="t  (e^beta t for beta = 10)", ylabel="R(t)",
           title="(b) two antipodal arcs 0.7/0.3, mean field")
    ax.legend(fontsize=7)
    ax = axes[2]
    scan = np.array(sorted(res.get("scan", [])))
    if scan.size:
        for flag, color, label in ((1.0, "C0", "synchronizes (light arc widens / joins)"),
                                   (0.0, "C3", "light arc contracts (R -> p - q)")):
            sel = scan[:, 3] == flag
            ax.semilogy(scan[sel, 0], scan[sel, 2], "o", color=color, label=label)
    ax.axvline(beta_c, color="k", lw=1, label=f"beta_c = ln(p/q)/2 = {beta_c:.4f}")
    ax.set(xlabel="beta", ylabel="light-arc width at t = 300 (pi: joined)",
           title="(c) threshold, narrow arcs (half-width 0.05)")
    ax.legend(fontsize=7)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)


def pl(res: dict, traj_beta: float, dirac_limit: float, path: Path) -> None:
    """PL ratio on random caps, along a trajectory (at ``traj_beta``, tending to ``dirac_limit``), and near
    the antipodal pair (group 4)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    ratio = np.asarray(res["ratio"])
    q = ratio / np.asarray(res["bound_cap"])
    d = np.asarray(res["d"])
    bins = np.geomspace(max(q.min() * 0.8, 1e-3), q.max() * 1.2, 30)
    for dd in (2, 3):
        axes[0].hist(q[d == dd], bins=bins, alpha=0.6, label=f"d = {dd}")
    axes[0].axvline(1.0, color="r", lw=1, label="derived bound")
    axes[0].set(xscale="log", xlabel="ratio / cap bound", ylabel="configurations",
                title="(a) PL ratio on caps (random configurations)")
    axes[0].legend(fontsize=7)
    ax = axes[1]
    ax.plot(res["traj_t"], res["traj"], label="ratio along the flow")
    ax.axhline(res["traj_bound"], color="r", lw=1, label="derived cap bound")
    ax.axhline(dirac_limit, color="gray", ls="--", lw=1, label="2 e^beta")
    ax.set(xlabel="t", ylabel="|grad E|^2 / (E_max - E)", ylim=(0, None),
           title=f"(b) trajectory, d = 3, beta = {traj_beta:g}")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.loglog(res["near_eps"], res["near"], "o-", label="two atoms at angle pi - eps")
    ax.loglog(res["near_eps"], res["near"][0] * (res["near_eps"] / res["near_eps"][0]) ** 2, "k--", lw=0.8,
              label="eps^2")
    ax.set(xlabel="eps", ylabel="ratio", title="(c) outside a cap: ratio -> 0 (Ex. 2.2)")
    ax.legend(fontsize=7)
    for a in axes:
        a.grid(alpha=0.3)
    fig.savefig(path, dpi=90)


def hessian(res: dict, betas, path: Path) -> None:
    """Top Hessian eigenvalue of every stationary configuration and beta (group 5)."""
    from matplotlib.figure import Figure

    names = res["names"]
    top = np.asarray(res["top"])
    fig = Figure(figsize=(10, 0.32 * len(names) + 1.2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    for j, b in enumerate(betas):
        ax.scatter(top[:, j], y, s=18, label=f"beta = {b:g}")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xscale("symlog", linthresh=1e-10)
    ax.set_xlim(-1e-8, 3 * float(np.nanmax(top)))
    ax.set_yticks(y, names, fontsize=7)
    ax.set(xlabel=r"$\lambda_{max}(\mathrm{Hess}\,E)\; N^2 e^{-\beta}$",
           title="Top Hessian eigenvalue at stationary configurations (> 0: unstable)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
