"""The figures of rows groups 6-7 and of the velocity snapshots of the [C] reproduction (PNG files).

Drawn on :class:`matplotlib.figure.Figure` objects, without pyplot, like
:mod:`attnflow.experiments.chen2025.figures`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["fields", "general", "kuramoto"]


def kuramoto(res: dict, path: Path) -> None:
    """(a) R_t at beta = 0 against the Ott-Antonsen r(t), (b) R_t^beta - R_t^0, (c) beta_0 against R_0."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    t, runs = res["t"], res["R"]
    ax = axes[0]
    ax.semilogy(t, 1 - runs[0.0], color="C0", lw=2, label=f"1 - R_t, N = {res['N']} particles")
    ax.semilogy(t, 1 - res["oa"], "k--", label="Ott-Antonsen: dr/dt = r(1 - r^2)/2")
    ax.semilogy(t, 1 - res["oa_foil"], ":", color="C3", label="foil: dr/dt = r(1 - r^2)")
    ax.axhline(1.0 / res["N"], color="gray", lw=0.8)
    ax.set(xlabel="t", ylabel="1 - R_t", ylim=(1e-9, 1.5),
           title="(a) beta = 0 (Kuramoto), wrapped Cauchy, R_0 = 0.3\n(gray: 1/N)")
    ax = axes[1]
    for beta in sorted(b for b in runs if b > 0):
        ax.plot(t, (runs[beta] - runs[0.0]) / beta, label=f"(R^beta - R^0)/beta, beta = {beta:g}")
    ax.set(xlabel="t", ylabel="(R_t^beta - R_t^0) / beta",
           title="(b) first-order perturbation of beta = 0\n(same N points)")
    ax = axes[2]
    r = np.linspace(0.05, 0.9, 200)
    ax.plot(r, np.arctanh(r), "k-", label="artanh(R_0) = ln(p/q)/2 (derived)")
    ax.plot(r, r, ":", color="C3", label="foil: first order, beta = R_0")
    scan = np.array(res["scan"])
    if scan.size:
        for flag, color, label in ((1.0, "C0", "synchronizes"), (0.0, "C3", "light arc contracts")):
            sel = scan[:, 2] == flag
            ax.plot(scan[sel, 0], scan[sel, 1], "o", ms=4, color=color, label=label)
    ax.set(xlabel="R_0 = p - q (two narrow antipodal arcs)", ylabel="beta",
           title="(c) beta_0(mu_0) <= artanh(R_0):\nsynchronization threshold against R_0")
    for ax in axes:
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=90)


def general(curves: list, beta: float, path: Path) -> None:
    """W_2(mu_t, delta_{+-v_1}) for each draw of (A, V), with the predicted slopes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax = fig.subplots()
    for k, (ts, w2, rate, sp) in enumerate(curves):
        ax.semilogy(ts * sp["rate"], w2, color=f"C{k % 10}",
                    label=f"draw {k}: predicted {sp['rate']:.3g}, fitted {rate:.3g}")
        i = int(np.argmax(w2 <= 1e-3))
        s = np.linspace(ts[i], ts[-1], 20)
        ax.semilogy(s * sp["rate"], 3e-3 * np.exp(-sp["rate"] * (s - ts[i])), "--", color="gray", lw=0.8)
    ax.set(xlabel="(lambda_1 - lambda_2) e^{beta <A v_1, v_1>} t", ylabel=r"$W_2(\mu_t, \delta_{\pm v_1})$",
           ylim=(1e-15, 5),
           title=f"general A, V (USA, d = 3, beta = {beta:g}): time in units of the predicted rate, "
                 "so every curve has slope -1 (gray, dashed)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.savefig(path, dpi=90)


def _circle(ax, x: np.ndarray, v: np.ndarray, scale: float) -> None:
    th = np.linspace(0, 2 * math.pi, 400)
    ax.plot(np.cos(th), np.sin(th), color="0.7", lw=0.8)
    ax.plot(x[:, 0], x[:, 1], "o", ms=3, color="C0")
    ax.quiver(x[:, 0], x[:, 1], scale * v[:, 0], scale * v[:, 1], angles="xy", scale_units="xy", scale=1,
              color="C3", width=0.006)


def _sphere(ax, x: np.ndarray, v: np.ndarray, scale: float, view: np.ndarray, v1: np.ndarray) -> None:
    e1 = np.linalg.svd(view[None, :])[2][1]
    e2 = np.cross(view, e1)
    th = np.linspace(0, 2 * math.pi, 400)
    ax.plot(np.cos(th), np.sin(th), color="0.7", lw=0.8)
    front = x @ view >= 0
    px, py = x @ e1, x @ e2
    ax.plot(px[front], py[front], "o", ms=3, color="C0")
    ax.plot(px[~front], py[~front], "o", ms=3, mfc="none", color="C0")
    ax.quiver(px, py, scale * (v @ e1), scale * (v @ e2), angles="xy", scale_units="xy", scale=1,
              color="C3", width=0.006)
    for s in (1, -1):
        if s * v1 @ view >= 0:
            ax.plot(s * v1 @ e1, s * v1 @ e2, "*", ms=10, color="C2")


def fields(panels: list, v1: np.ndarray, path: Path) -> None:
    """Rows of snapshots (t, x, v): tokens (dots), velocity arrows (red), mean (black cross); on S^2 an
    orthographic view (hollow: back side) with +-v_1 of V (green star)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.5, 10.5), layout="constrained")
    axes = fig.subplots(len(panels), 3)
    for row, (title, snaps) in zip(axes, panels, strict=True):
        d = snaps[0][1].shape[1]
        view = None
        if d == 3:
            view = snaps[0][1].mean(axis=0) + v1 * np.sign(v1 @ snaps[-1][1].mean(axis=0))
            view /= np.linalg.norm(view)
        for ax, (t, x, v) in zip(row, snaps, strict=True):
            vmax = float(np.abs(v).max())
            scale = 0.35 / vmax if vmax > 0 else 1.0
            if d == 2:
                _circle(ax, x, v, scale)
                m = x.mean(axis=0)
            else:
                _sphere(ax, x, v, scale, view, v1)
                m = np.array([x.mean(axis=0) @ np.linalg.svd(view[None, :])[2][k] for k in (1,)] +
                             [x.mean(axis=0) @ np.cross(view, np.linalg.svd(view[None, :])[2][1])])
            ax.plot(m[0], m[1], "kx", ms=9, mew=2)
            ax.set(xlim=(-1.25, 1.25), ylim=(-1.25, 1.25), aspect="equal", xticks=[], yticks=[],
                   title=f"{title}, t = {t:g}\nR = {np.linalg.norm(x.mean(axis=0)):.3f}, "
                         f"arrows x {scale:.2g} (max |v| = {vmax:.2g})")
            ax.title.set_fontsize(8)
    fig.savefig(path, dpi=90)
