"""The figures of the causal-attention reproduction, written as PNG files (no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["convergence_figure", "renyi_figure"]


def convergence_figure(out: Path, first: dict) -> str:
    """1 - <x_1, x_k> against t for the pair run (with the pair law) and the Ginibre-A runs."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax, ax_a = fig.subplots(1, 2)
    t, gap = first["t"], first["gap"]
    for k in range(1, gap.shape[1]):
        ax.semilogy(t, gap[:, k], lw=1.5, label=f"token {k + 1}")
    ax.semilogy(t, np.maximum(first["pred"], 1e-18), "k--", lw=1, label="pair law (token 2)")
    ax.semilogy(t, 1e-2 * np.exp(-(t - t[-1] / 2)), "k:", lw=1, label="e^-t")
    ax.set(xlabel="t", ylabel="1 - <x_1, x_k>", title="A = V = I: every token at rate 1", ylim=(1e-18, 3))
    for beta, g in first["gap_A"].items():
        ax_a.semilogy(first["t_A"], np.maximum(g[:, 1:].max(axis=1), 1e-17), lw=1.5,
                      label=f"beta = {beta:g}: max_k")
    ax_a.set(xlabel="t", ylabel="max_k (1 - <x_1, x_k>)", title="Ginibre A, V = I: convergence to x_1(0)",
             ylim=(1e-17, 3))
    for a in (ax, ax_a):
        a.legend(fontsize=8)
        a.grid(alpha=0.3, which="both")
    p = out / "causal_first_token.png"
    fig.savefig(p, dpi=90)
    return str(p)


def renyi_figure(out: Path, renyi: dict) -> str:
    """[KPR] Fig. 2's setting: the angles over time with the strong centres, and the counts over time."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.5), layout="constrained")
    ax, ax_c = fig.subplots(1, 2)
    run = renyi["runs"][0]
    t, theta = renyi["t"], np.mod(run["theta"], 2 * np.pi)
    theta[1:][np.abs(np.diff(theta, axis=0)) > np.pi] = np.nan         # no line across the wrap at 2 pi
    ax.plot(t, theta, color="0.6", lw=0.3)
    for j in run["renyi"]:
        ax.plot(t, theta[:, j], ".", ms=2, color="tab:orange")
    for j in run["strong"]:
        ax.plot(t, theta[:, j], ".", ms=2, color="tab:red")
    ax.plot([], [], "o", color="tab:red", label="strong Renyi centres")
    ax.plot([], [], "o", color="tab:orange", label="Renyi centres")
    ax.set(xlabel="t", ylabel="angle", title=f"n = 200, beta = 64 (seed {run['seed']})", ylim=(0, 2 * np.pi))
    ax.legend(fontsize=8, loc="upper right")
    strong, jammed = renyi["expected"]
    for i, r in enumerate(renyi["runs"]):
        c = f"C{i}"
        ax_c.plot(t, r["clusters"], color=c, lw=1.5, label=f"seed {r['seed']}: clusters")
        ax_c.plot(t, r["renyi_t"], color=c, lw=1, ls="--", label=f"seed {r['seed']}: Renyi centres of x(t)")
        ax_c.axhline(r["strong"].size, color=c, lw=0.8, ls=":")
    ax_c.axhline(strong, color="k", lw=1, label=f"E strong centres = {strong:.2f}")
    ax_c.axhline(jammed, color="k", lw=1, ls="-.", label=f"E Renyi centres (jamming) = {jammed:.2f}")
    ax_c.set(xlabel="t", ylabel="count", title="counts over time (dotted: strong centres at t = 0)",
             ylim=(0, 25))
    ax_c.legend(fontsize=7, ncol=2)
    ax_c.grid(alpha=0.3, which="both")
    p = out / "causal_renyi_centres.png"
    fig.savefig(p, dpi=90)
    return str(p)
