"""The three figures of the GLPR reproduction, written as PNG files (no pyplot: nothing stays open)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .reference import CASES, D_RM, N_RM, STEP

__all__ = ["circle_figure", "equiangular_figure", "phase_figure"]


def circle_figure(out: Path, circle: dict) -> str:
    """Angles of the tokens over time (beta = 1 and 5) and the cluster counts of every seed."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 4.0), layout="constrained")
    axes = fig.subplots(1, 3)
    ts = circle["t"]
    for ax, beta in zip(axes[:2], (1.0, 5.0), strict=True):
        x = circle["states"][beta]
        ang = np.mod(np.arctan2(x[..., 1], x[..., 0]), 2 * np.pi)
        for i in range(ang.shape[1]):
            ax.plot(ts, ang[:, i], ".", ms=1.2, color=colormaps["hsv"](ang[0, i] / (2 * np.pi)))
        ax.set(xlabel="t (layers x 0.1)", ylabel="angle", ylim=(0, 2 * np.pi),
               title=f"S^1, SA, beta = {beta:g}, n = 64 (layer scheme)")
    ax = axes[2]
    for beta, style in ((1.0, "-"), (5.0, "--")):
        c = circle["counts"][beta]
        for b in range(c.shape[1]):
            ax.plot(ts, c[:, b], style, lw=0.8, alpha=0.6, color="C0" if beta == 1.0 else "C3",
                    label=f"beta = {beta:g}" if b == 0 else None)
    ax.set(xlabel="t", ylabel="clusters (<x_i,x_j> >= 0.999)", yscale="log",
           title="cluster counts, all seeds")
    ax.legend(fontsize=8)
    for a in axes:
        a.grid(alpha=0.3)
    p = out / "glpr_circle.png"
    fig.savefig(p, dpi=90)
    return str(p)


def equiangular_figure(out: Path, equi: dict) -> str:
    """1 - g(t) of the RK4 and layer-scheme particle runs with the ODE clustering times."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.0), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, norm in zip(axes, ("sa", "usa"), strict=True):
        for k, r in enumerate(x for x in equi["rows"] if x["norm"] == norm):
            ax.semilogy(r["t"], r["eps"], color=f"C{k}", label=f"beta = {r['beta']:g}, RK4 particles")
            ax.semilogy(r["t_l"], r["eps_l"], ".", ms=2, color=f"C{k}",
                        label=f"layer scheme, eta = {r['h']:.3g}")
            ax.axvline(r["T_ode"], color=f"C{k}", ls=":", lw=1)
        ax.axhline(1e-2, color="k", lw=0.8)
        ax.set_ylim(1e-4, 2.0)
        ax.set(xlabel="t", ylabel="1 - g(t)", title=f"equiangular start x_i = e_i, n = d = 32, {norm.upper()}"
               "\n(dotted: ODE clustering time)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    p = out / "glpr_equiangular.png"
    fig.savefig(p, dpi=90)
    return str(p)


def phase_figure(out: Path, rm: dict) -> str:
    """The clustering density over (t, beta) of every case."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(CASES), 3.4), layout="constrained")
    axes = fig.subplots(1, len(CASES), sharey=True)
    betas = np.asarray(rm["betas"])
    ts = rm["t"]
    for ax, case in zip(axes, CASES, strict=True):
        im = ax.pcolormesh(ts, betas, rm["density"][case], vmin=0, vmax=1, cmap="RdBu_r", shading="nearest")
        ax.set(xlabel="t", title=case)
    axes[0].set_ylabel("beta")
    fig.colorbar(im, ax=axes, label="P(<x_i,x_j> > 0.999)")
    fig.suptitle(f"d = {D_RM}, n = {N_RM}, SA, layer scheme eta = {STEP:g} (reference-code scaling)")
    p = out / "glpr_phase_diagrams.png"
    fig.savefig(p, dpi=80)
    return str(p)
