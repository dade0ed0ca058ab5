"""Figures of the real-model analyses (PNG files through :mod:`attnflow.plot.common`; no pyplot).

- :func:`ridge_figure`: the per-layer histograms of pairwise cosines as a ridge plot ([GLPR] Fig. 1);
- :func:`spectra_figure`: the eigenvalues of sym(A_h), V_h and M_h = V_h A_h of every head;
- :func:`flow_figure`: the flows of the heads against the real layers (errors per layer, per head);
- :func:`loop_figure`: the looped stack (with / without feed-forward) against the attention-only flow;
- :func:`pi_energy_figure`: the distance to Pi over time and the sign of the energy change per head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plot.common import colormap, new_figure, save_figure
from .analysis import THRESHOLDS, CosineProfile
from .dynamics import PREDICTIONS, TARGETS
from .heads import HeadSpectrum

__all__ = ["flow_figure", "loop_figure", "pi_energy_figure", "ridge_figure", "spectra_figure"]


def ridge_figure(profile: CosineProfile, path: Path, title: str) -> str:
    """One histogram of pairwise cosines per layer, stacked bottom (embeddings) to top (last layer)."""
    fig = new_figure((7.0, 6.0), path, layout="constrained")
    ax = fig.subplots()
    centers = 0.5 * (profile.edges[1:] + profile.edges[:-1])
    width = profile.edges[1] - profile.edges[0]
    dens = profile.counts / (profile.counts.sum(axis=1, keepdims=True) * width)
    scale = 0.9 / dens.max()
    colors = colormap("viridis")(np.linspace(0.0, 0.85, len(dens)))
    for layer in range(len(dens) - 1, -1, -1):
        y = layer + scale * dens[layer]
        ax.fill_between(centers, layer, y, color=colors[layer], alpha=0.8, lw=0)
        ax.plot(centers, y, color="k", lw=0.6)
        frac = ", ".join(f">{t:g}: {f:.3f}" for t, f in zip(THRESHOLDS, profile.above[layer], strict=True))
        ax.text(-0.98, layer + 0.55, f"mean {profile.mean[layer]:.3f}; {frac}", fontsize=7)
    ax.set_yticks(np.arange(len(dens)), ["embeddings", *[f"layer {i}" for i in range(1, len(dens))]])
    ax.set(xlim=(-1, 1), ylim=(-0.2, len(dens) + 0.3),
           xlabel="cos(theta_i, theta_j), pairs within a sentence",
           title=f"{title}\n({profile.pairs} pairs per layer)")
    ax.grid(alpha=0.3, axis="x")
    save_figure(fig, path)
    return str(path)


def spectra_figure(spectra: list[list[HeadSpectrum]], path: Path) -> str:
    """sym(A_h) extreme eigenvalues per head, and the complex eigenvalues of V_h and M_h."""
    fig = new_figure((14.0, 4.2), path, layout="constrained")
    axes = fig.subplots(1, 3)
    colors = colormap("viridis")(np.linspace(0.0, 0.85, len(spectra)))
    H = len(spectra[0])
    for layer, heads in enumerate(spectra):
        x = layer * (H + 2) + np.arange(H)
        axes[0].vlines(x, [s.a_sym.min() for s in heads], [s.a_sym.max() for s in heads], color=colors[layer],
                       lw=3, label=f"layer {layer}")
        for s in heads:
            axes[1].plot(s.v.real, s.v.imag, ".", ms=2, color=colors[layer])
            axes[2].plot(s.m.real, s.m.imag, ".", ms=2, color=colors[layer])
    axes[0].axhline(0.0, color="k", lw=0.8)
    axes[0].set(xlabel="head (grouped by layer)", ylabel="eigenvalues of (A_h + A_h^T)/2",
                title="symmetric part of A_h: every head indefinite")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].set(xlabel="Re", ylabel="Im", title="eigenvalues of V_h = W_O^h W_V^h (non-zero block)")
    axes[2].set(xlabel="Re", ylabel="Im", title="eigenvalues of M_h = V_h A_h (Pi needs a real top one)")
    for ax in axes[1:]:
        ax.axvline(0.0, color="k", lw=0.8)
        ax.axhline(0.0, color="k", lw=0.8)
    for ax in axes:
        ax.grid(alpha=0.3)
    save_figure(fig, path)
    return str(path)


def flow_figure(tokens: np.ndarray, per_token: np.ndarray, head_ratio: np.ndarray, path: Path) -> str:
    """Token errors per layer of each prediction against x + attn(x) (every token as a dot, the mean
    as a line) and against the layer output (means), and per head the ratio (head-flow error) /
    (stay error) against the head's real share."""
    fig = new_figure((14.0, 4.2), path, layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=(1, 1, 1.1))
    layers = np.arange(tokens.shape[0])
    for p in range(len(PREDICTIONS)):
        for layer in layers:
            vals = per_token[layer, p]
            axes[0].plot(np.full(vals.size, layer + 0.15 * (p - 1)), vals, ".", ms=2, alpha=0.4,
                         color=f"C{p}")
    for t, ax in zip((0, 2), axes[:2], strict=True):
        for p, name in enumerate(PREDICTIONS):
            ax.plot(layers, tokens[:, p, t], "o-", color=f"C{p}", label=name)
        ax.set(xlabel="layer", ylabel="mean 1 - cos(predicted, real)", title=f"target: {TARGETS[t]}",
               yscale="log")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    im = axes[2].imshow(np.log10(head_ratio), cmap="RdBu_r", vmin=-1.5, vmax=1.5, aspect="auto")
    axes[2].set(xlabel="head", ylabel="layer", title="log10(head-flow error / stay error)\n"
                "against the real head's share (blue: the flow helps)")
    fig.colorbar(im, ax=axes[2])
    save_figure(fig, path)
    return str(path)


def loop_figure(runs: dict[str, dict[str, np.ndarray]], path: Path) -> str:
    """Mean cosine, fraction of pairs above 0.99 and cluster count against the loop index, for
    each looped run (name -> arrays "mean_cos", "above99", "clusters", each (sentences, loops + 1))."""
    fig = new_figure((14.0, 4.2), path, layout="constrained")
    axes = fig.subplots(1, 3)
    for k, (name, r) in enumerate(runs.items()):
        for ax, key in zip(axes, ("mean_cos", "above99", "clusters"), strict=True):
            vals = r[key]
            loops = np.arange(vals.shape[1])
            for s in range(vals.shape[0]):
                ax.plot(loops, vals[s], color=f"C{k}", lw=0.7, alpha=0.5, label=name if s == 0 else None)
    axes[0].set(ylabel="mean pairwise cosine")
    axes[1].set(ylabel="fraction of pairs with cos > 0.99")
    axes[2].set(ylabel="clusters (linked at cos >= 0.99)", yscale="log")
    for ax in axes:
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(left=0.0)
        ax.set(xlabel="loop (one loop = all layers once; linear up to 1, then log)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    save_figure(fig, path)
    return str(path)


def pi_energy_figure(times: np.ndarray, pi: dict[str, np.ndarray], energy_up: np.ndarray, path: Path) -> str:
    """Mean 1 - <theta_i(t), Pi(theta_i(0))> for some heads, and the fraction of sentences in which
    each real layer raised each head's energy (L, H)."""
    fig = new_figure((12.0, 4.2), path, layout="constrained")
    axes = fig.subplots(1, 2)
    for name, dist in pi.items():
        axes[0].plot(times, dist, label=name)
    axes[0].set(xlabel="t", ylabel="mean 1 - <theta_i(t), Pi(theta_i(0))>", ylim=(0, 2),
                title="head flow at beta_eff from the real tokens vs Pi [L]")
    axes[0].legend(fontsize=7)
    axes[0].grid(alpha=0.3)
    im = axes[1].imshow(energy_up, cmap="RdBu_r", vmin=0, vmax=1, aspect="auto")
    axes[1].set(xlabel="head", ylabel="layer", title="fraction of sentences where the real layer\n"
                "raised E_{beta_eff, A_h} of its input")
    fig.colorbar(im, ax=axes[1])
    save_figure(fig, path)
    return str(path)
