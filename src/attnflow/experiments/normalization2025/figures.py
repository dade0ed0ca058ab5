"""The two figures of the normalization reproduction, written as PNG files (no pyplot)."""

from __future__ import annotations

from pathlib import Path

from .claims_figure import paper_curve
from .settings import COLORS, LABELS, SCHEMES

__all__ = ["figures"]


def figures(out: Path, runs: dict, derived: dict, rates: dict, words: str) -> list[str]:
    """The random-weight figure (with the paper's read curves) and the equiangular laws; their paths."""
    from matplotlib.figure import Figure

    paths = []
    t = runs["t"]
    fig = Figure(figsize=(14, 5.0), layout="constrained")
    ax, ax_r = fig.subplots(1, 2, width_ratios=(1.6, 1))
    for s in SCHEMES:
        ax.fill_between(t, derived["q05"][s], derived["q95"][s], color=COLORS[s], alpha=0.18, lw=0)
        ax.plot(t, derived["mean"][s], color=COLORS[s], lw=2, label=LABELS[s])
        tp, rp = paper_curve(s)
        ax.plot(tp, rp, "o", color=COLORS[s], ms=3, mfc="none", mew=0.8)
    ax.plot([], [], "o", color="0.3", ms=3, mfc="none", label="the paper's figure (read)")
    ax.set(xlabel="time", ylabel="mean cosine rho(t)", ylim=(-0.05, 1.05),
           title="Mean cosine with 90 % bands (lines, bands) against the paper's figure (circles)")
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(alpha=0.3)
    for s in ("pre", "peri", "mix", "sqrt"):
        ax_r.plot(t, derived["radius"][s], color=COLORS[s], lw=2, label=LABELS[s])
    ax_r.axhline(1.0, color=COLORS["post"], lw=1.5, label="Post-LN, nGPT (r = 1)")
    ax_r.set(xlabel="time", ylabel="mean token norm r(t)", yscale="log",
             title="radius of the off-sphere schemes")
    ax_r.legend(fontsize=9)
    ax_r.grid(alpha=0.3, which="both")
    fig.suptitle(words, fontsize=9)
    p = out / "normalization_random_weights.png"
    fig.savefig(p, dpi=90)
    paths.append(str(p))

    fig = Figure(figsize=(14, 4.2), layout="constrained")
    axes = fig.subplots(1, 3)
    colors = dict(zip(rates, [f"C{i}" for i in range(len(rates))], strict=False))
    for name, run in rates.items():
        law, c = run["law"], colors[name]
        ok = run["eps"] > 0
        if law.kind == "exponential":
            axes[0].semilogy(run["t"][ok], run["eps"][ok], color=c, lw=2, label=name)
            late = run["t"] >= 2.0 / law.exponent
            axes[0].semilogy(run["t"][late], law.one_minus_rho(run["t"][late]), "k--", lw=0.8)
            continue
        tt, late = run["t"][1:], run["t"][1:] >= 3.0
        axes[1].loglog(tt, run["eps"][1:], color=c, lw=2, label=name)
        axes[1].loglog(tt[late], law.one_minus_rho(tt[late]), "k--", lw=0.8)
        axes[2].loglog(tt, run["r"][1:], color=c, lw=2, label=name)
        axes[2].loglog(tt[late], law.radius_constant * tt[late] ** law.radius_exponent, "k--", lw=0.8)
    axes[0].set(xlabel="t", ylabel="1 - rho", title="exponential laws (dashed: K e^(-lambda t))",
                ylim=(1e-17, 2))
    axes[1].set(xlabel="t", ylabel="1 - rho", title="power laws (dashed: K t^(-p))")
    axes[2].set(xlabel="t", ylabel="r", title="radius (dashed: C t^q)")
    for a in axes:
        a.legend(fontsize=7)
        a.grid(alpha=0.3, which="both")
    p = out / "normalization_equiangular_laws.png"
    fig.savefig(p, dpi=90)
    paths.append(str(p))
    return paths
