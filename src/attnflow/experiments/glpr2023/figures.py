"""The three figures of the GLPR reproduction, written as PNG files (no pyplot: nothing stays open)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .reference import CASES, D_RM, N_RM, STEP

__all__ = ["circle_figure", "energy_value_figure", "equiangular_figure", "phase_figure"]


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


def _edges(centres: np.ndarray, lower: float | None = None) -> np.ndarray:
    """Cell edges around sorted centres (midpoints, the outer ones mirrored), clipped below at ``lower``."""
    mid = 0.5 * (centres[1:] + centres[:-1])
    edges = np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])
    if lower is not None:
        edges[0] = max(edges[0], lower)
    return edges


def phase_figure(out: Path, rm: dict) -> str:
    """The clustering density over (t, beta) of every case; the identity panel carries the equiangular
    layer-map time T(beta) (where the density of an equiangular start jumps to 1).

    With 5 betas or more the density is drawn as cells around the grid points (beta >= 0); with fewer,
    as one curve density(t) per beta (cells would invent a boundary between two betas)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(CASES), 3.4), layout="constrained")
    axes = fig.subplots(1, len(CASES), sharey=len(rm["betas"]) >= 5)
    betas = np.asarray(rm["betas"])
    ts = rm["t"]
    grid, T = rm["theory_curve"]
    im = None
    for ax, case in zip(axes, CASES, strict=True):
        if betas.size >= 5:
            im = ax.pcolormesh(_edges(ts, 0.0), _edges(betas, 0.0), rm["density"][case], vmin=0, vmax=1,
                               cmap="RdBu_r", shading="flat")
            if case == "identity":
                keep = T <= ts[-1]
                ax.plot(T[keep], grid[keep], "k--", lw=1.2, label="equiangular T(beta)")
                ax.legend(fontsize=7, loc="upper left")
            ax.set(xlabel="t", title=case)
        else:
            for b, dens in zip(betas, rm["density"][case], strict=True):
                ax.plot(ts, dens, label=f"beta = {b:g}")
            if case == "identity":
                for b in betas:
                    Tb = float(np.interp(b, grid, T))
                    if Tb <= ts[-1]:
                        ax.axvline(Tb, color="k", ls="--", lw=1, label=f"equiangular T({b:g}) = {Tb:.2f}")
            ax.set(xlabel="t", title=case, ylim=(-0.03, 1.03))
            ax.legend(fontsize=7)
    axes[0].set_ylabel("beta" if betas.size >= 5 else "P(<x_i,x_j> > 0.999)")
    if im is not None:
        fig.colorbar(im, ax=axes, label="P(<x_i,x_j> > 0.999)")
    fig.suptitle(f"d = {D_RM}, n = {N_RM}, SA, layer scheme eta = {STEP:g} (reference-code scaling)")
    p = out / "glpr_phase_diagrams.png"
    fig.savefig(p, dpi=80)
    return str(p)


def energy_value_figure(out: Path, energy: dict, value: dict) -> str:
    """E(t)/E(0) along the four symmetric runs, and the mean angle of the tokens to +-v_1 and +-v_2 of V
    with the predicted slope lambda_1 - lambda_2."""
    from matplotlib.figure import Figure

    from .claims_value import SPECTRUM

    fig = Figure(figsize=(11, 4.0), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    t = energy["t"]
    for key, style in (("identity_usa", "C0-"), ("identity_sa", "C0--"), ("symmetric_usa", "C3-"),
                       ("symmetric_sa", "C3--")):
        ax1.plot(t, energy[key] / energy[key][0], style, label=key.replace("_", ", ").upper()
                 .replace("IDENTITY", "A = V = I").replace("SYMMETRIC", "A = V = S"))
    ax1.set(xlabel="t", ylabel="E(t) / E(0)", title="energy along the flow (V = A symmetric): nondecreasing")
    ax2.semilogy(value["t"], value["angle_v1"], "C0", label="mean angle to +-v_1")
    ax2.semilogy(value["t"], value["angle_v2"], "C1", label="mean angle to +-v_2")
    gap = SPECTRUM[0] - SPECTRUM[1]
    tt = value["t"]
    k = int(np.argmin(np.abs(value["angle_v1"] - 1e-4)))
    ax2.semilogy(tt, value["angle_v1"][k] * np.exp(-gap * (tt - tt[k])), "k:", lw=1,
                 label=f"slope lambda_1 - lambda_2 = {gap:g}")
    ax2.set(xlabel="t", ylabel="rad", ylim=(1e-12, 3), title=f"SA, A = I, V with spectrum {SPECTRUM}")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    p = out / "glpr_energy_value.png"
    fig.savefig(p, dpi=90)
    return str(p)
