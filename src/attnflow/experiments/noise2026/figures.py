"""The three figures of the noise2026 reproduction, written as PNG files (no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["bifurcation_figure", "diagram_figure", "hysteresis_figure", "phase_figure"]


def _branch_lines(ax, b, color, label):
    """A branch with stable parts solid and unstable parts dashed; the uniform state along R = 0."""
    stable = b.stable
    for flag, ls in ((True, "-"), (False, "--")):
        R = np.where(stable == flag, b.R, np.nan)
        ax.plot(b.kappa, R, color=color, ls=ls, lw=1.6, label=label if flag else None)
    ax.plot(b.attrs["kappa_threshold"], 0.0, "o", color=color, ms=4)


def bifurcation_figure(out: Path, diagrams: dict, cases: list) -> str:
    """R against kappa for several beta on S^1 and S^2 (USA), with the particles of the diagrams
    (late mean R from the clustered start, in the colour of their beta)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, d in zip(axes, (2, 3), strict=True):
        items = diagrams[d]
        colors = colormaps["viridis"](np.linspace(0.0, 0.85, len(items)))
        kmax = 0.0
        for (beta, b), color in zip(items, colors, strict=True):
            _branch_lines(ax, b, color, f"beta = {beta:g}")
            kmax = max(kmax, float(b.kappa.max()))
            for res in cases:
                cd, norm, cb, N = res["case"][:4]
                if (cd, norm, cb) == (d, "usa", beta):
                    ax.plot([r["q"] * res["k0"] for r in res["runs"]], [r["clustered"] for r in res["runs"]],
                            "o", color=color, mec="k", ms=6, label=f"particles, N = {N}")
                    ax.plot([r["q"] * res["k0"] for r in res["runs"]], [r["uniform"] for r in res["runs"]],
                            "^", color=color, mec="k", ms=6)
        ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(xlabel="kappa (noise sqrt(2/kappa) dB)", ylabel="R = |int x d mu|", xlim=(0, kmax),
               ylim=(-0.02, 1),
               title=f"stationary branches on S^{d - 1} (USA): solid stable, dashed unstable")
        ax.legend(fontsize=7, loc="lower right", ncol=2)
        ax.grid(alpha=0.3)
    p = out / "noise_bifurcation.png"
    fig.savefig(p, dpi=90)
    return str(p)


def phase_figure(out: Path, phase: dict) -> str:
    """The (beta, kappa) plane: kappa_#(beta) (USA, SA; S^1 and S^2), the fold curves, beta_*."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.subplots()
    betas = phase["betas"]
    for d, color in ((2, "tab:blue"), (3, "tab:red")):
        ax.semilogy(betas, phase["threshold"][d], color=color, lw=1.8, label=f"kappa_# USA, S^{d - 1}")
        ax.semilogy(betas, phase["threshold_sa"][d], color=color, lw=1.2, ls=":",
                    label=f"kappa_# SA, S^{d - 1}")
        fb, fk = phase["fold"][d]
        if len(fb):
            ax.semilogy(fb, fk, "o--", color=color, ms=3, lw=1.0,
                        label=f"fold of the clustered branch, S^{d - 1}")
            ax.fill_between(fb, fk, np.interp(fb, betas, phase["threshold"][d]), color=color, alpha=0.15)
        ax.axvline(phase["beta_star"][d], color=color, lw=0.8, ls="-.")
        ax.text(phase["beta_star"][d], 0.12, f" beta_* = {phase['beta_star'][d]:.3f}", color=color,
                fontsize=8,
                rotation=90, va="bottom")
    ax.set(xlabel="beta", ylabel="kappa", title="phase diagram: uniform below kappa_#, clustered above\n"
           "shaded: bistable (hysteresis) between the fold and kappa_#")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3, which="both")
    p = out / "noise_phase_diagram.png"
    fig.savefig(p, dpi=90)
    return str(p)


def hysteresis_figure(out: Path, hyst: dict, b, particles: dict) -> str:
    """The quasi-static PDE sweep at beta = 5 over the branch, and the bistable particle runs."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    _branch_lines(ax, b, "gray", "stationary branch (continuation)")
    ax.plot(hyst["kappas"], hyst["R_up"], "^-", color="tab:blue", ms=5, label="PDE sweep up (uniform start)")
    ax.plot(hyst["kappas"], hyst["R_down"], "v-", color="tab:red", ms=5, label="PDE sweep down")
    ax.axvline(b.attrs["kappa_threshold"], color="k", lw=0.8, ls=":")
    if b.fold is not None:
        ax.axvline(b.fold, color="k", lw=0.8, ls="--")
    ax.set(xlabel="kappa", ylabel="R", xlim=(hyst["kappas"][0], hyst["kappas"][-1]), ylim=(-0.02, 1),
           title="hysteresis at beta = 5 (S^1, USA): fold (dashed) and kappa_# (dotted)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    bi = particles["bistable"]
    ax2.plot(bi["t"], bi["R_high"], color="tab:red", label="particles, clustered start")
    ax2.plot(bi["t"], bi["R_low"], color="tab:blue", label="particles, uniform start")
    ax2.axhline(bi["upper"], color="tab:red", ls="--", lw=0.8, label="stable branch")
    ax2.axhline(bi["barrier"], color="k", ls=":", lw=0.8, label="unstable branch (barrier)")
    ax2.set(xlabel="t", ylabel="R", ylim=(-0.02, 1), title="particles at kappa = 0.195: two stable states")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    p = out / "noise_hysteresis.png"
    fig.savefig(p, dpi=90)
    return str(p)


def diagram_figure(out: Path, cases: list) -> str:
    """One panel per particle diagram: R against q = kappa/kappa_#, the branch of the continuation
    (stable solid, unstable dashed), the uniform state's finite-N level, and the particles' late
    mean R from the clustered (circles) and the uniform (triangles) start, with the tolerance."""
    from matplotlib.figure import Figure

    from .claims_diagram import uniform_level

    ncol = min(3, len(cases))
    nrow = -(-len(cases) // ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.4 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    for ax, res in zip(axes, cases, strict=False):
        d, norm, beta, N, _, qs = res["case"]
        b, k0 = res["branch"], res["k0"]
        for flag, ls in ((True, "-"), (False, "--")):
            ax.plot(b.kappa / k0, np.where(b.stable == flag, b.R, np.nan), color="gray", ls=ls, lw=1.4)
        qq = np.linspace(0.0, 0.99, 100)
        ax.plot(qq, [uniform_level(N, d, q) for q in qq], color="gray", lw=0.8, ls=":")
        ax.plot([1, max(qs) * 1.05], [0, 0], color="gray", lw=0.8, ls="--")
        tol = 4 / np.sqrt(N) + 6e-3
        q = [r["q"] for r in res["runs"]]
        ax.errorbar(q, [r["clustered"] for r in res["runs"]], yerr=tol, fmt="o", color="tab:red", ms=5,
                    capsize=3, label="clustered start")
        ax.errorbar(q, [r["uniform"] for r in res["runs"]], yerr=tol, fmt="^", color="tab:blue", ms=5,
                    capsize=3, label="uniform start")
        ax.axvline(1.0, color="k", lw=0.8, ls=":")
        if res["fold"] is not None:
            ax.axvline(res["fold"] / k0, color="k", lw=0.8, ls="--")
        ax.set(xlim=(0.6, max(qs) * 1.05), ylim=(-0.02, 1), xlabel="q = kappa/kappa_#",
               ylabel="R (late mean)", title=f"S^{d - 1}, {norm.upper()}, beta = {beta:g}, N = {N}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(cases):]:
        ax.set_visible(False)
    p = out / "noise_particle_diagrams.png"
    fig.savefig(p, dpi=90)
    return str(p)
