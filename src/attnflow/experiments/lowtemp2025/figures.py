"""The three figures of the [L] reproduction, written as PNG files (no pyplot: nothing stays open)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .setting import T_ERR, ZERO_FIT

__all__ = ["figures", "snapshot_figure"]


def figures(out: Path, data: dict, errors: dict, c_pred: float, states: dict, ts: np.ndarray,
            e2: np.ndarray, c_sub: float) -> list[str]:
    """The concentration, beta-error and snapshot figures from the report's data; their paths (``c_sub``:
    the zero-temperature rate of the sub-sphere example)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    paths = []
    betas = data["betas"]
    colors = colormaps["viridis"](np.linspace(0.0, 0.85, betas.size))

    fig = Figure(figsize=(14, 4.0), layout="constrained")
    axes = fig.subplots(1, 3)
    ax = axes[0]
    tz, dz = data["zero_t"], data["zero_mean_distance"]
    ax.semilogy(tz, dz, "k", label="hardmax flow")
    k = np.argmin(np.abs(tz - ZERO_FIT[0]))
    ax.semilogy(tz, dz[k] * np.exp(-c_pred * (tz - tz[k])), "r--", lw=1, label=f"slope e^(-{c_pred:g} t)")
    ds = data["subsphere_mean_distance"]
    ax.semilogy(tz, ds, "C0", label="sub-sphere example (dim E = 2)")
    k = np.argmin(np.abs(tz - ZERO_FIT[0]))
    ax.semilogy(tz, ds[k] * np.exp(-c_sub * (tz - tz[k])), "C0:", lw=1, label=f"slope e^(-{c_sub:g} t)")
    ax.set_ylim(max(1e-12, float(np.min(ds[ds > 0])) / 3), 2.0)
    ax.set(xlabel="t", ylabel="mean |x(t) - Pi(x_0)|", title="zero temperature: x(t) -> Pi(x_0)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.semilogy(ts, data["w2_zero"], "k", lw=1.5, label="beta = inf (hardmax)")
    for i, b in enumerate(betas):
        ax.semilogy(ts, data["w2"][i], color=colors[i], label=f"beta = {b:g}")
        ax.plot(data["t_dip"][i], data["w2_dip"][i], "o", color=colors[i], ms=4)
    ax.set(xlabel="t", ylabel="W_1(mu_t, Pi # mu_0)", title="concentration, then exit (SA)")
    ax.legend(fontsize=7)
    ax = axes[2]
    for i, b in enumerate(betas):
        ax.plot(ts, data["mean_abs_e2"][i], color=colors[i], label=f"|<x,e2>|, beta = {b:g}")
        ax.plot(ts, data["mean_abs_e1"][i], color=colors[i], ls="--")
        if np.isfinite(data["t_exit"][i]):
            ax.axvline(data["t_exit"][i], color=colors[i], ls=":", lw=1)
    ax.set(xlabel="t", ylabel="mean |<x, e>|",
           title="terminal phase: |<x,e_2>| (solid, top of VA)\n-> |<x,e_1>| (dashed, top of V)")
    ax.legend(fontsize=7)
    for a in axes:
        a.grid(alpha=0.3)
    p = out / "lowtemp_concentration.png"
    fig.savefig(p, dpi=90)
    paths.append(str(p))

    fig = Figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.subplots()
    be = data["betas_err"]
    for key, vals in errors.items():
        ax.loglog(be, vals, "o-", label=key)
    ef = errors["fibonacci"]
    ax.loglog(be, ef[0] * be[0] / be, "k--", lw=1, label="1/beta")
    lap = np.sqrt(np.log1p(be) / be)
    ax.loglog(be, ef[0] * lap / lap[0], "r:", lw=1.5, label="sqrt(log(beta+1)/beta) (bound shape)")
    ax.set(xlabel="beta", ylabel=f"mean |x^beta(t) - x^inf(t)|, t = {T_ERR:g}",
           title="finite-beta error vs beta (coupled runs, SA)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    p = out / "lowtemp_beta_error.png"
    fig.savefig(p, dpi=90)
    paths.append(str(p))

    mid = betas.size // 2
    paths.append(snapshot_figure(out, states[float(betas[mid])], ts, float(data["t_dip"][mid]),
                                 float(betas[mid]), e2))
    return paths


def snapshot_figure(out: Path, x: np.ndarray, ts: np.ndarray, t_dip: float, beta: float,
                    e2: np.ndarray) -> str:
    """Tokens on S^2 at t = 0, at the W_1 dip and at the end of a run; x of shape (T, N, 3)."""
    from matplotlib.figure import Figure

    picks = [0, int(np.argmin(np.abs(ts - t_dip))), ts.size - 1]
    fig = Figure(figsize=(11, 4.0))
    step = max(1, x.shape[1] // 600)
    side = np.where(x[0][::step] @ e2 > 0, "tab:red", "tab:blue")      # the atom Pi sends each token to
    for j, k in enumerate(picks):
        ax = fig.add_subplot(1, 3, j + 1, projection="3d")
        sub = x[k][::step]
        ax.scatter(sub[:, 0], sub[:, 1], sub[:, 2], s=3, c=side)
        ax.set(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1), xlabel="e1", ylabel="e2", zlabel="e3",
               xticks=[-1, 0, 1], yticks=[-1, 0, 1], zticks=[-1, 0, 1])
        ax.set_title(f"t = {ts[k]:g}", fontsize=10)
    fig.suptitle(f"SA, beta = {beta:g}: uniform start, concentration on +-e_2 (top of VA), terminal phase "
                 "on +-e_1 (top of V); color: sign of <x_0, e_2>", fontsize=10)
    fig.subplots_adjust(left=0.0, right=0.97, top=0.86, bottom=0.02, wspace=0.05)
    p = out / "lowtemp_snapshots.png"
    fig.savefig(p, dpi=80)
    return str(p)
