"""Figures of the phases of a run: the linear growth of modes and the clusters that form.

- :func:`particles_with_prediction`: particles on S^1 / S^2 with predicted cluster positions;
- :func:`kymograph`: the density rho(theta, t) on S^1 (mean-field solution or particle run);
- :func:`mode_amplitudes_plot`: |mu_hat_k(t)| on a log scale with the predicted e^{gamma_k t};
- :func:`inner_product_histogram`: the distribution of the pairwise <x_i, x_j>.

Every function returns the figure and, when ``path`` is given, writes it as PNG there (see
:mod:`attnflow.plot.common` for how figures are made without touching the backend).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from ..sphere import points_to_angles
from ..validation import fail, integer, real_array
from ._data import configuration, required_states
from .common import PI_TICKS, colormap, new_figure, save_figure, sphere_axes, subsample

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["inner_product_histogram", "kymograph", "mode_amplitudes_plot", "particles_with_prediction"]


def particles_with_prediction(x, predicted_angles=None, predicted_points=None,
                              path: str | os.PathLike | None = None, *, bins: int = 72,
                              index: int = -1, title: str | None = None) -> Figure:
    """Particles on the circle or the sphere, with the predicted cluster positions in red.

    On S^1: the points on the unit circle (polar axes) with their angular histogram drawn
    outward as bars, and red radial lines at the predicted angles (e.g.
    :func:`attnflow.theory.predicted_cluster_angles`). On S^2 (d > 3: the first three
    coordinates): a 3-D scatter on a wireframe sphere with the predicted points as red stars.

    Parameters
    ----------
    x : (n, d) points, or a Solution (its state number ``index``, batch member 0).
    predicted_angles : (k,) angles (S^1 only), or None.
    predicted_points : (k, d) points on the sphere (any d; on S^1 converted to angles), or None.
    path : where to write the PNG, optional.
    bins : number of bins of the angular histogram (S^1).
    index : the saved state drawn when ``x`` is a Solution.
    title : optional title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    pts, note = configuration(x, "x", index)
    d = pts.shape[1]
    pred_pts = None if predicted_points is None else np.atleast_2d(
        real_array("predicted_points", predicted_points, fix=f"pass (k, {d}) points", finite=False))
    if pred_pts is not None and pred_pts.shape[1] != d:
        raise fail("predicted_points", pred_pts,
                   f"has last axis {pred_pts.shape[1]} but the points have d={d}", f"pass (k, {d}) points")
    angles = None if predicted_angles is None else np.ravel(
        real_array("predicted_angles", predicted_angles, fix="pass angles in radians", finite=False))
    if angles is not None and d != 2:
        raise fail("predicted_angles", predicted_angles, f"are angles on S^1 but the points have d={d}",
                   "pass predicted_points=(k, d) points instead")
    bins = integer("bins", bins, 1, fix="pass a number of histogram bins, e.g. bins=72")
    label = title or ("Particles" + (f" ({note})" if note else ""))
    if d == 2:
        fig = new_figure((6, 6), path)
        ax = fig.add_subplot(1, 1, 1, projection="polar")
        theta = points_to_angles(pts)
        counts, edges = np.histogram(theta, bins=bins, range=(0, 2 * np.pi))
        heights = 0.8 * counts / max(1, counts.max())
        ax.bar(0.5 * (edges[:-1] + edges[1:]), heights, width=np.diff(edges), bottom=1.05,
               color="tab:blue", alpha=0.5, edgecolor="none", label="histogram")
        ring = np.linspace(0, 2 * np.pi, 361)
        ax.plot(ring, np.ones_like(ring), color="0.75", lw=0.8)
        ax.scatter(theta, np.ones_like(theta), s=4, color="tab:blue", alpha=0.6, label=f"{theta.size} tokens")
        marks = [] if angles is None else list(angles)
        if pred_pts is not None:
            marks += list(points_to_angles(pred_pts))
        for i, a in enumerate(marks):
            ax.plot([a, a], [0.0, 1.95], color="red", lw=1.5, label="predicted" if i == 0 else None)
        ax.set_ylim(0, 1.95)
        ax.set_yticks([])
        ax.legend(loc="upper right", fontsize=8, bbox_to_anchor=(1.15, 1.1))
        ax.set_title(label, fontsize=10)
    else:
        fig = new_figure((6, 6), path)
        ax = sphere_axes(fig, d, label)
        idx = subsample(pts.shape[0], 4000)
        ax.scatter(*pts[idx, :3].T, s=5, color="tab:blue", alpha=0.5, label=f"{pts.shape[0]} tokens")
        if pred_pts is not None:
            ax.scatter(*pred_pts[:, :3].T, s=150, marker="*", color="red", label="predicted")
        ax.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path)


def _kymo_data(t, theta, rho, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    from ..meanfield.circle import CircleSolution
    from ..solution import Solution

    if isinstance(t, (CircleSolution, Solution)) and (theta is not None or rho is not None):
        raise fail("theta, rho", (theta, rho), f"are given with a {type(t).__name__}, which holds its own",
                   "drop them, or pass the path by name: kymograph(sol, path=...)")
    if isinstance(t, CircleSolution):
        return (np.asarray(t.t, float), np.asarray(t.theta, float), np.asarray(t.rho, float),
                f"mean-field density (M = {t.theta.size})")
    if isinstance(t, Solution):
        states, note = required_states(t, "t")
        if states.shape[-1] != 2:
            raise fail("t", t, f"lives on S^{states.shape[-1] - 1}; the kymograph rho(theta, t) needs S^1",
                       "pass a run with d = 2 (or a CircleSolution)")
        bins = integer("bins", bins, 1, fix="pass a number of histogram bins, e.g. bins=128")
        ang = points_to_angles(states)                                  # (T, n)
        edges = np.linspace(0, 2 * np.pi, bins + 1)
        dens = np.stack([np.histogram(a, bins=edges)[0] for a in ang]) / (ang.shape[1] * np.diff(edges))
        return (np.asarray(t.t, float), 0.5 * (edges[:-1] + edges[1:]), dens,
                f"histogram of {ang.shape[1]} tokens, {bins} bins{note}")
    tt = real_array("t", t, fix="pass the (T,) times", finite=False)
    if theta is None or rho is None:
        raise fail("theta, rho", (theta, rho), "are required when t is an array",
                   "pass kymograph(t, theta, rho), or a CircleSolution / Solution as the first argument")
    th = real_array("theta", theta, fix="pass the (M,) angles", finite=False)
    r = real_array("rho", rho, fix="pass the (T, M) density", finite=False)
    if tt.ndim != 1 or th.ndim != 1 or r.shape != (tt.size, th.size):
        raise fail("rho", r, f"has shape {r.shape}, expected (len(t), len(theta)) = ({tt.size}, {th.size})",
                   "pass rho with one row per time and one column per angle")
    return tt, th, r, "density"


def kymograph(t, theta=None, rho=None, path: str | os.PathLike | None = None, *, bins: int = 128,
              log: bool = False, predicted_angles=None) -> Figure:
    """Kymograph of the density rho(theta, t) on S^1: time on the x axis, angle on the y axis.

    Parameters
    ----------
    t : (T,) times, or a :class:`attnflow.meanfield.circle.CircleSolution` (its t, theta, rho),
        or a particle Solution on S^1 (rho from a histogram of the angles at each saved time,
        ``bins`` bins, normalized so that int rho dtheta = 1).
    theta : (M,) angles (only with array ``t``).
    rho : (T, M) densities (only with array ``t``).
    path : where to write the PNG, optional.
    bins : histogram bins for a particle Solution.
    log : logarithmic colour scale (clusters make the density span many decades), from the
        smallest positive density (at most 8 decades below the largest) to the largest (at
        least one decade above the lower limit); zero densities are blank.
    predicted_angles : optional angles drawn as dashed red lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import LogNorm

    tt, th, r, what = _kymo_data(t, theta, rho, bins)
    fig = new_figure((9, 4.5), path, layout="constrained")
    ax = fig.subplots()
    norm = None
    if log:
        pos = r[r > 0]
        lo = float(pos.min()) if pos.size else 1e-12
        norm = LogNorm(vmin=max(lo, float(r.max()) * 1e-8), vmax=max(float(r.max()), lo * 10))
        r = np.where(r > 0, r, np.nan)
    if tt.size > 1 and np.allclose(np.diff(tt), tt[1] - tt[0], rtol=1e-6):
        dt = tt[1] - tt[0]
        dth = 2 * np.pi / th.size
        im = ax.imshow(r.T, origin="lower", aspect="auto", interpolation="nearest", cmap="viridis",
                       norm=norm, extent=(tt[0] - dt / 2, tt[-1] + dt / 2, th[0] - dth / 2, th[-1] + dth / 2))
    else:
        im = ax.pcolormesh(tt, th, r.T, shading="nearest", cmap="viridis", norm=norm)
    for i, a in enumerate(np.ravel([] if predicted_angles is None else predicted_angles)):
        ax.axhline(float(a), color="red", ls="--", lw=1, label="predicted" if i == 0 else None)
    if predicted_angles is not None:
        ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(im, ax=ax, label="ρ(θ, t)")
    ax.set_ylim(0, 2 * np.pi)
    ax.set_yticks(*PI_TICKS)
    ax.set_xlabel("time t")
    ax.set_ylabel("angle θ")
    ax.set_title(f"Kymograph of the density: {what}", fontsize=10)
    return save_figure(fig, path)


def mode_amplitudes_plot(t, amplitudes=None, gamma=None, path: str | os.PathLike | None = None, *,
                         modes=None, threshold: float | None = None) -> Figure:
    """Mode amplitudes |mu_hat_k(t)| on a log scale, with the predicted slopes e^{gamma_k t}.

    Each predicted line is a_k(t_0) e^{gamma_k (t - t_0)}, anchored at the mode's first point
    and drawn dotted in the mode's colour; the y range follows the data.

    Parameters
    ----------
    t : (T,) times, or a :class:`attnflow.analysis.LinearPhase` (its t, amplitudes, gamma and
        threshold are used; the other arguments override them).
    amplitudes : (T, K) amplitudes, column k - 1 = mode k (:func:`attnflow.analysis.mode_amplitudes`).
    gamma : (K,) rates for k = 1..K, or (K + 1,) including gamma_0 (as
        :func:`attnflow.theory.growth_rates` returns), or None (no predicted lines).
    path : where to write the PNG, optional.
    modes : the modes k to draw (default: all 1..K).
    threshold : optional amplitude drawn as a horizontal line (end of the linear phase).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..analysis import LinearPhase

    if isinstance(t, LinearPhase):
        lp = t
        t = lp.t
        amplitudes = lp.amplitudes if amplitudes is None else amplitudes
        gamma = lp.gamma if gamma is None else gamma
        threshold = lp.threshold if threshold is None else threshold
    tt = real_array("t", t, fix="pass the (T,) times", finite=False)
    if amplitudes is None:
        raise fail("amplitudes", amplitudes, "is required", "pass the (T, K) array of mode_amplitudes")
    amp = real_array("amplitudes", amplitudes, fix="pass the (T, K) array of mode_amplitudes", finite=False)
    if amp.ndim == 1:
        amp = amp[:, None]
    if tt.ndim != 1 or amp.ndim != 2 or amp.shape[0] != tt.size:
        raise fail("amplitudes", amp, f"has shape {amp.shape}, expected (len(t), K) = ({tt.size}, K)",
                   "pass one row per saved time, column k - 1 for mode k")
    K = amp.shape[1]
    g = None
    if gamma is not None:
        g = np.ravel(real_array("gamma", gamma, fix="pass the growth rates gamma_k", finite=False))
        if g.size == K + 1:
            g = g[1:]
        if g.size != K:
            raise fail("gamma", g, f"has {g.size} rates for K={K} modes",
                       "pass gamma_k for k = 1..K (or 0..K as growth_rates returns)")
    ks = list(range(1, K + 1)) if modes is None else \
        [integer("modes", k, 1, maximum=K, fix=f"pick modes in 1..{K}") for k in np.ravel(modes).tolist()]
    fig = new_figure((8, 5), path, layout="constrained")
    ax = fig.subplots()
    colors = colormap("tab10" if len(ks) <= 10 else "viridis")
    shown = []
    for i, k in enumerate(ks):
        c = colors(i % 10) if len(ks) <= 10 else colors(i / max(1, len(ks) - 1))
        a = amp[:, k - 1]
        good = a > 0
        if not good.any():
            continue
        ax.plot(tt[good], a[good], color=c, lw=1.4, label=f"k = {k}")
        shown.append(a[good])
        if g is not None:
            j = int(np.flatnonzero(good)[0])
            ax.plot(tt, a[j] * np.exp(g[k - 1] * (tt - tt[j])), color=c, ls=":", lw=1.2)
    ax.set_yscale("log")
    if shown:
        vals = np.concatenate(shown)
        ax.set_ylim(vals.min() / 3, max(vals.max() * 3, (threshold or 0) * 3))
    if threshold is not None:
        ax.axhline(float(threshold), color="0.3", lw=0.8, ls="--", label=f"threshold {threshold:g}")
    ax.set_xlim(tt[0], tt[-1])
    ax.set_xlabel("time t")
    ax.set_ylabel("|μ̂_k(t)|")
    title = "Mode amplitudes"
    if g is not None:
        title += " (dotted: predicted e^{γ_k t} from the first point)"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, ncol=2)
    return save_figure(fig, path)


def inner_product_histogram(x, path: str | os.PathLike | None = None, *, bins: int = 100,
                            max_curves: int = 5, max_points: int = 2000, log: bool = True) -> Figure:
    """Histogram of the pairwise inner products <x_i, x_j>, i < j.

    Parameters
    ----------
    x : (n, d) one configuration, (T, n, d) saved states (``max_curves`` evenly spaced saves
        overlaid), or a Solution (its saved states, labelled by time; batch member 0).
    path : where to write the PNG, optional.
    bins : number of bins on [-1, 1].
    max_curves : at most this many saves are overlaid.
    max_points : configurations with more points are subsampled evenly to this many (the
        n (n - 1) / 2 pairs are formed explicitly).
    log : logarithmic y axis (clusters put most pairs near 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..solution import Solution

    bins = integer("bins", bins, 1, fix="pass a number of bins on [-1, 1], e.g. bins=100")
    max_curves = integer("max_curves", max_curves, 1, fix="pass e.g. max_curves=5")
    max_points = integer("max_points", max_points, 2, fix="pass e.g. max_points=2000")
    if isinstance(x, Solution):
        states, note = required_states(x, "x")
        times = np.asarray(x.t, float)
        arr = states
    else:
        arr = real_array("x", x, fix="pass points (n, d) or (T, n, d)", copy=False, finite=False)
        note = ""
        if arr.ndim == 2:
            arr = arr[None]
        times = None
    if arr.ndim != 3 or arr.shape[-1] < 2 or arr.shape[1] < 2:
        raise fail("x", arr, f"has shape {arr.shape}, expected (n, d) or (T, n, d) with n >= 2",
                   "pass at least two points per configuration")
    T, n = arr.shape[0], arr.shape[1]
    which = subsample(T, max_curves)
    idx = subsample(n, max_points)
    edges = np.linspace(-1, 1, bins + 1)
    iu = np.triu_indices(idx.size, 1)
    fig = new_figure((7, 4.5), path, layout="constrained")
    ax = fig.subplots()
    cmap = colormap("viridis")
    for c, i in enumerate(which):
        p = arr[i, idx]
        g = np.clip((p @ p.T)[iu], -1, 1)
        dens, _ = np.histogram(g, bins=edges, density=True)
        label = f"t = {times[i]:g}" if times is not None else (f"save {i}" if T > 1 else None)
        ax.stairs(dens, edges, color=cmap(c / max(1, which.size - 1)), lw=1.3, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlim(-1, 1)
    ax.set_xlabel("<x_i, x_j>")
    ax.set_ylabel("density of pairs")
    sub = f" ({idx.size} of {n} points)" if idx.size < n else ""
    ax.set_title(f"Pairwise inner products, i < j{sub}{note}", fontsize=10)
    if T > 1 or times is not None:
        ax.legend(fontsize=8)
    ax.grid(True, alpha=0.25)
    return save_figure(fig, path)
