"""The figure of the long-context reproduction, written as a PNG file (no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...theory import long_context_cosine, long_context_limit, long_context_rate
from .settings import GAMMAS, N_FORMULA, RHO

__all__ = ["figure"]

_COLORS = {"below": "tab:blue", "critical": "tab:purple", "above": "tab:red"}


def figure(out: Path, one: dict, layers: dict) -> str:
    """Cosine against n (formula, model layer, limits), the approach |cos_n - limit| with C n^-p, and
    rho per layer of the repeated-layer runs; the file's path."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 4.2), layout="constrained")
    ax_c, ax_e, ax_l = fig.subplots(1, 3)
    for regime, gamma in GAMMAS.items():
        c = _COLORS[regime]
        limit = long_context_limit(gamma, RHO)
        cos = long_context_cosine(N_FORMULA, gamma, RHO)
        ax_c.semilogx(N_FORMULA, cos, color=c, lw=2, label=f"{regime}: gamma = {gamma:g}")
        ax_c.axhline(limit, color=c, ls="--", lw=0.8)
        ax_c.semilogx(one["sizes"], one["measured"][regime][:, 0], "o", color=c, ms=5, mfc="none")
        rate = long_context_rate(gamma, RHO)
        ax_e.loglog(N_FORMULA, np.abs(cos - limit), color=c, lw=2, label=f"{regime}: p = {rate.exponent:g}")
        ax_e.loglog(N_FORMULA, rate.constant * N_FORMULA ** -rate.exponent, "k--", lw=0.8)
        steps = np.arange(layers[regime]["rho"].size)
        ax_l.plot(steps, layers[regime]["rho"], "o", color=c, mfc="none", label=f"{regime} (simulate)")
        ax_l.plot(steps, layers[regime]["pred"], color=c, lw=1)
    ax_c.plot([], [], "ko", mfc="none", label="one pre-LN layer (model)")
    ax_c.set(xlabel="n", ylabel="<theta_i, theta_j> after one layer",
             title=f"one layer, rho = {RHO:g} (dashed: limits)")
    ax_e.set(xlabel="n", ylabel="|cos_n - limit|", title="approach to the limit (dashed: C n^-p)")
    ax_l.set(xlabel="layer", ylabel="rho", title="repeated pre-LN layers (lines: closed-form map)")
    for a in (ax_c, ax_e, ax_l):
        a.legend(fontsize=8)
        a.grid(alpha=0.3, which="both")
    p = out / "longcontext_phase_transition.png"
    fig.savefig(p, dpi=90)
    return str(p)
