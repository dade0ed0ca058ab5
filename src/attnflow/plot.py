"""Figures of runs: particle trajectories and observables over time (matplotlib).

Every function returns the :class:`matplotlib.figure.Figure` it drew and, when ``path`` is
given, also writes it as a PNG there (the figure is then closed in pyplot, so loops over many
runs do not accumulate open figures; the returned object stays usable). Without a display
(Linux without ``DISPLAY``/``WAYLAND_DISPLAY``) the non-interactive Agg backend is selected,
unless pyplot was already imported with another backend.

Examples
--------
>>> import attnflow as af
>>> from attnflow import plot
>>> m = af.AttentionModel(d=2, beta=5.0, normalization="usa")
>>> sol = af.simulate(m, af.sphere.uniform(200, 2, seed=1), t1=1.0, dt=0.005,
...                   save_at=np.linspace(0, 1, 101))                       # doctest: +SKIP
>>> plot.summary_figure(sol, "summary.png")                               # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

if (
    "matplotlib.pyplot" not in sys.modules
    and sys.platform.startswith("linux")
    and not os.environ.get("DISPLAY")
    and not os.environ.get("WAYLAND_DISPLAY")
):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure, SubFigure

    from .solution import Solution

__all__ = [
    "MAX_LINES",
    "animate",
    "inner_product_histogram",
    "kymograph",
    "mode_amplitudes_plot",
    "observables_over_time",
    "particles_with_prediction",
    "save_figure",
    "summary_figure",
    "trajectories",
]

#: at most this many particles are drawn as trajectories (an even subsample beyond it)
MAX_LINES = 400
#: at most this many particles get a path on the 3-D sphere plot
_MAX_PATHS_3D = 40


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _states(sol: Solution) -> tuple[np.ndarray | None, str]:
    """States of one configuration (T, n, d) and a note when a batch was reduced to member 0."""
    x = sol.x
    if x is None:
        return None, ""
    x = np.asarray(x)
    if x.ndim == 4:
        return x[:, 0], f" (batch member 0 of {x.shape[1]})"
    return x, ""


def _subsample(n: int, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` particles, evenly spread over 0..n-1."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def save_figure(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Save ``fig`` to ``path`` (parents created, 120 dpi) and close it; return it. No-op for None."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def _model_label(sol: Solution) -> str:
    m = sol.model
    mats = "A = V = I" if m.identity else "general A, V"
    return (f"{m.normalization.upper()}, d = {m.d}, beta = {m.beta:g}, {mats}; "
            f"{sol.method}, dt = {sol.dt:g}")


# ---------------------------------------------------------------------------------------
# trajectories
# ---------------------------------------------------------------------------------------
def _draw_circle(fig: Figure | SubFigure, t: np.ndarray, x: np.ndarray, note: str) -> None:
    from .sphere import points_to_angles

    idx = _subsample(x.shape[1], MAX_LINES)
    theta = points_to_angles(x[:, idx])                      # (T, k) in [0, 2 pi)
    # break a line where it wraps around 0 = 2 pi instead of drawing a vertical jump
    jumps = np.abs(np.diff(theta, axis=0)) > np.pi
    theta = theta.copy()
    theta[1:][jumps] = np.nan
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(t, theta, lw=0.5, alpha=0.6, color="tab:blue")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 2 * np.pi)
    ax.set_yticks([0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi],
                  ["0", "π/2", "π", "3π/2", "2π"])
    ax.set_xlabel("time t")
    ax.set_ylabel("angle θ_i")
    shown = f"{idx.size} of {x.shape[1]} particles" if idx.size < x.shape[1] else \
        f"{x.shape[1]} particles"
    ax.set_title(f"Trajectories on S^1: {shown}{note}", fontsize=10)


def _draw_sphere(fig: Figure | SubFigure, t: np.ndarray, x: np.ndarray, note: str,
                 d: int) -> None:
    ax = fig.add_subplot(1, 1, 1, projection="3d")
    u, v = np.mgrid[0:2 * np.pi:25j, 0:np.pi:13j]
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v),
                      color="0.8", lw=0.4)
    p = x[..., :3]
    idx = _subsample(p.shape[1], MAX_LINES)
    for i in _subsample(p.shape[1], _MAX_PATHS_3D):
        ax.plot(p[:, i, 0], p[:, i, 1], p[:, i, 2], lw=0.5, color="0.5", alpha=0.7)
    ax.scatter(*p[0, idx].T, s=6, color="tab:blue", alpha=0.5, label=f"t = {t[0]:g}")
    ax.scatter(*p[-1, idx].T, s=14, color="tab:red", label=f"t = {t[-1]:g}")
    ax.set_box_aspect((1, 1, 1))
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(-1, 1)
    ax.set_xlabel("x_1")
    ax.set_ylabel("x_2")
    ax.set_zlabel("x_3")
    ax.legend(loc="upper left", fontsize=8)
    where = "S^2" if d == 3 else f"S^{d - 1}: first 3 of {d} coordinates (a projection)"
    ax.set_title(f"Initial and final points on {where}{note}", fontsize=10)


def _draw_trajectories(fig: Figure | SubFigure, sol: Solution) -> None:
    x, note = _states(sol)
    if x is None:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "no states saved (save_states=False):\nno trajectories to draw",
                ha="center", va="center")
        return
    t = np.asarray(sol.t)
    if x.shape[-1] == 2:
        _draw_circle(fig, t, x, note)
    else:
        _draw_sphere(fig, t, x, note, x.shape[-1])


def trajectories(sol: Solution, path: str | os.PathLike | None = None) -> Figure:
    """Particle trajectories of a run.

    On S^1 the angle of every particle against time (thin lines; at most ``MAX_LINES``
    particles, an even subsample beyond). On S^2 a 3-D scatter of the initial and final
    points on a wireframe sphere, with the paths of a few particles. For d > 3 the same
    picture of the first three coordinates, labelled as a projection. A batched run shows
    batch member 0.

    Parameters
    ----------
    sol : Solution
        A run with saved states (without states the figure says so).
    path : str or path-like, optional
        Where to write the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = plt.figure(figsize=(7, 5) if (sol.x is not None and sol.x.shape[-1] == 2) else (6, 6))
    _draw_trajectories(fig, sol)
    fig.suptitle(_model_label(sol), fontsize=9)
    return save_figure(fig, path)


# ---------------------------------------------------------------------------------------
# observables
# ---------------------------------------------------------------------------------------
def _series(sol: Solution) -> dict[str, np.ndarray]:
    """Energy and order parameter R at the saved times, (T,) or (T, B).

    Values stored in ``sol.observables`` are used as they are; missing ones are computed
    from the saved states.
    """
    out: dict[str, np.ndarray] = {}
    for name in ("energy", "order_parameter"):
        if name in sol.observables:
            out[name] = np.asarray(sol.observables[name], dtype=np.float64)
    if sol.x is not None and len(out) < 2:
        from . import observables as obs

        x = np.asarray(sol.x)
        if "energy" not in out:
            out["energy"] = np.array([obs.energy(sol.model, xt) for xt in x], dtype=np.float64)
        if "order_parameter" not in out:
            if x.ndim == 4:
                r = [[obs.order_parameter(xb, k=1) for xb in xt] for xt in x]
            else:
                r = [obs.order_parameter(xt, k=1) for xt in x]
            out["order_parameter"] = np.array(r, dtype=np.float64)
    return out


def _draw_observables(fig: Figure | SubFigure, sol: Solution) -> None:
    series = _series(sol)
    t = np.asarray(sol.t)
    axes = fig.subplots(1, 3)
    panels = [
        ("energy", axes[0], "energy E(t)", False),
        ("order_parameter", axes[1], "order parameter R(t) = |mean x_i|", False),
        ("order_parameter", axes[2], "1 - R(t) (log scale)", True),
    ]
    for name, ax, title, one_minus in panels:
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time t")
        if name not in series:
            ax.text(0.5, 0.5, f"{name} not saved", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        y = series[name]
        y = y if y.ndim == 2 else y[:, None]
        if one_minus:
            y = np.clip(1.0 - y, np.finfo(float).tiny, None)
            ax.set_yscale("log")
        alpha = 1.0 if y.shape[1] == 1 else max(0.15, 1.0 / np.sqrt(y.shape[1]))
        ax.plot(t, y, lw=1.2, color="tab:blue", alpha=alpha)
        ax.grid(True, alpha=0.3)
    if "energy" in series:
        e = series["energy"]
        # energy spanning orders of magnitude (USA at large beta): log scale helps
        if np.all(e > 0) and e.max() / e.min() > 100:
            axes[0].set_yscale("log")


def observables_over_time(sol: Solution, path: str | os.PathLike | None = None) -> Figure:
    """Energy, order parameter R and 1 - R (log scale) against time.

    Values stored in ``sol.observables`` ("energy", "order_parameter") are used directly;
    missing ones are computed from the saved states with :mod:`attnflow.observables`. A
    batched run draws one line per member.

    Parameters
    ----------
    sol : Solution
    path : str or path-like, optional
        Where to write the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = plt.figure(figsize=(12, 3.8), layout="constrained")
    _draw_observables(fig, sol)
    fig.suptitle(_model_label(sol), fontsize=9)
    return save_figure(fig, path)


def summary_figure(sol: Solution, path: str | os.PathLike | None = None) -> Figure:
    """Trajectories (top) and observables over time (bottom) in one figure.

    Parameters
    ----------
    sol : Solution
    path : str or path-like, optional
        Where to write the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = plt.figure(figsize=(12, 10), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.6, 1])
    _draw_trajectories(top, sol)
    _draw_observables(bottom, sol)
    fig.suptitle(_model_label(sol), fontsize=10)
    return save_figure(fig, path)


# ---------------------------------------------------------------------------------------
# phase-analysis figures (particles with predictions, kymograph, modes, inner products,
# animations)
# ---------------------------------------------------------------------------------------
def _config(x, name: str = "x", index: int = -1) -> tuple[np.ndarray, str]:
    """One configuration (n, d) from an array (n, d) or a Solution (state ``index``)."""
    from .solution import Solution
    from .validation import fail, real_array

    note = ""
    if isinstance(x, Solution):
        states, note = _states(x)
        if states is None:
            raise fail(name, x, "has no saved states", "rerun simulate(..., save_states=True)")
        t = float(np.asarray(x.t)[index])
        x = states[index]
        note = f"t = {t:g}{note}"
    arr = real_array(name, x, fix="pass points of shape (n, d), or a Solution", copy=False, finite=False)
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.shape[0] == 0:
        raise fail(name, arr, f"has shape {arr.shape}, expected one configuration (n, d), d >= 2",
                   "pass points of shape (n, d), or a Solution")
    return arr, note


def _sphere_axes(fig: Figure | SubFigure, d: int, title: str):
    ax = fig.add_subplot(1, 1, 1, projection="3d")
    u, v = np.mgrid[0:2 * np.pi:25j, 0:np.pi:13j]
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.85", lw=0.4)
    ax.set_box_aspect((1, 1, 1))
    for set_lim in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        set_lim(-1, 1)
    ax.set_xlabel("x_1")
    ax.set_ylabel("x_2")
    ax.set_zlabel("x_3")
    where = "S^2" if d == 3 else f"S^{d - 1} (first 3 of {d} coordinates)"
    ax.set_title(f"{title} on {where}", fontsize=10)
    return ax


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
    from .sphere import points_to_angles
    from .validation import fail, real_array

    pts, note = _config(x, "x", index)
    d = pts.shape[1]
    pred_pts = None if predicted_points is None else np.atleast_2d(
        real_array("predicted_points", predicted_points, fix=f"pass (k, {d}) points", finite=False))
    if pred_pts is not None and pred_pts.shape[1] != d:
        raise fail("predicted_points", pred_pts,
                   f"has last axis {pred_pts.shape[1]} but the points have d={d}", f"pass (k, {d}) points")
    label = title or ("Particles" + (f" ({note})" if note else ""))
    if d == 2:
        fig = plt.figure(figsize=(6, 6))
        ax = fig.add_subplot(1, 1, 1, projection="polar")
        theta = points_to_angles(pts)
        counts, edges = np.histogram(theta, bins=int(bins), range=(0, 2 * np.pi))
        heights = 0.8 * counts / max(1, counts.max())
        ax.bar(0.5 * (edges[:-1] + edges[1:]), heights, width=np.diff(edges), bottom=1.05,
               color="tab:blue", alpha=0.5, edgecolor="none", label="histogram")
        ring = np.linspace(0, 2 * np.pi, 361)
        ax.plot(ring, np.ones_like(ring), color="0.75", lw=0.8)
        ax.scatter(theta, np.ones_like(theta), s=4, color="tab:blue", alpha=0.6, label=f"{theta.size} tokens")
        angles = [] if predicted_angles is None else list(np.ravel(
            real_array("predicted_angles", predicted_angles, fix="pass angles in radians", finite=False)))
        if pred_pts is not None:
            angles += list(points_to_angles(pred_pts))
        for i, a in enumerate(angles):
            ax.plot([a, a], [0.0, 1.95], color="red", lw=1.5, label="predicted" if i == 0 else None)
        ax.set_ylim(0, 1.95)
        ax.set_yticks([])
        ax.legend(loc="upper right", fontsize=8, bbox_to_anchor=(1.15, 1.1))
        ax.set_title(label, fontsize=10)
    else:
        if predicted_angles is not None:
            raise fail("predicted_angles", predicted_angles, f"are angles on S^1 but the points have d={d}",
                       "pass predicted_points=(k, d) points instead")
        fig = plt.figure(figsize=(6, 6))
        ax = _sphere_axes(fig, d, label)
        idx = _subsample(pts.shape[0], 4000)
        ax.scatter(*pts[idx, :3].T, s=5, color="tab:blue", alpha=0.5, label=f"{pts.shape[0]} tokens")
        if pred_pts is not None:
            ax.scatter(*pred_pts[:, :3].T, s=150, marker="*", color="red", label="predicted")
        ax.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path)


def _kymo_data(t, theta, rho, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    from .meanfield.circle import CircleSolution
    from .solution import Solution
    from .sphere import points_to_angles
    from .validation import fail, real_array

    if isinstance(t, CircleSolution):
        return (np.asarray(t.t, float), np.asarray(t.theta, float), np.asarray(t.rho, float),
                f"mean-field density (M = {t.theta.size})")
    if isinstance(t, Solution):
        states, note = _states(t)
        if states is None:
            raise fail("t", t, "has no saved states", "rerun simulate(..., save_states=True)")
        if states.shape[-1] != 2:
            raise fail("t", t, f"lives on S^{states.shape[-1] - 1}; the kymograph rho(theta, t) needs S^1",
                       "pass a run with d = 2 (or a CircleSolution)")
        ang = points_to_angles(states)                                  # (T, n)
        edges = np.linspace(0, 2 * np.pi, int(bins) + 1)
        dens = np.stack([np.histogram(a, bins=edges)[0] for a in ang]) / (ang.shape[1] * np.diff(edges))
        return (np.asarray(t.t, float), 0.5 * (edges[:-1] + edges[1:]), dens,
                f"histogram of {ang.shape[1]} tokens, {int(bins)} bins{note}")
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
    log : logarithmic colour scale (clusters make the density span many decades).
    predicted_angles : optional angles drawn as dashed red lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import LogNorm

    tt, th, r, what = _kymo_data(t, theta, rho, bins)
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
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
    ax.set_yticks([0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi], ["0", "π/2", "π", "3π/2", "2π"])
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
    from .analysis import LinearPhase
    from .validation import fail, real_array

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
    ks = list(range(1, K + 1)) if modes is None else [int(k) for k in np.ravel(modes)]
    for k in ks:
        if not 1 <= k <= K:
            raise fail("modes", modes, f"contains {k}, outside 1..{K}", f"pick modes in 1..{K}")
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    colors = plt.get_cmap("tab10" if len(ks) <= 10 else "viridis")
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
    from .solution import Solution
    from .validation import fail, real_array

    if isinstance(x, Solution):
        states, note = _states(x)
        if states is None:
            raise fail("x", x, "has no saved states", "rerun simulate(..., save_states=True)")
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
    which = _subsample(T, max(1, int(max_curves)))
    idx = _subsample(n, max(2, int(max_points)))
    edges = np.linspace(-1, 1, int(bins) + 1)
    iu = np.triu_indices(idx.size, 1)
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    cmap = plt.get_cmap("viridis")
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


def animate(sol: Solution, path: str | os.PathLike, fps: int = 20, max_frames: int = 200, *,
            dpi: int = 80, predicted_angles=None, rotate: bool = True) -> Path:
    """Write an animation of a run as GIF (pillow) or MP4 (ffmpeg).

    S^1: the points on the unit circle, with optional red marks at ``predicted_angles``. S^2
    (d > 3: the first three coordinates): a 3-D scatter on a wireframe sphere, turning slowly
    when ``rotate`` is true. At most ``max_frames`` evenly spaced saves are drawn (batched
    runs: member 0).

    Parameters
    ----------
    sol : Solution with saved states.
    path : ``*.gif`` (needs pillow, a matplotlib dependency) or ``*.mp4`` (needs the ffmpeg
        program on the PATH).
    fps : frames per second.
    max_frames : the largest number of frames.
    dpi : resolution of the frames.
    predicted_angles : S^1 only, optional angles marked in red.
    rotate : S^2: turn the view by 0.5 degree per frame.

    Returns
    -------
    pathlib.Path of the written file.

    Raises
    ------
    ValueError for an unknown suffix or a run without states; RuntimeError for ``.mp4`` when
    ffmpeg is not available (write a ``.gif`` instead).
    """
    from matplotlib import animation

    from .validation import fail, integer

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise fail("path", str(path), f"has the suffix {suffix!r}, not a supported animation format",
                   "use a path ending in .gif (pillow) or .mp4 (ffmpeg)")
    if suffix == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise RuntimeError(
            f"path={str(path)!r}: writing MP4 needs the ffmpeg program, which was not found. Fix: "
            f"write a GIF instead (animate(sol, {str(path.with_suffix('.gif'))!r})) or install "
            "ffmpeg (e.g. apt-get install ffmpeg or conda install ffmpeg)"
        )
    states, note = _states(sol)
    if states is None:
        raise fail("sol", sol, "has no saved states", "rerun simulate(..., save_states=True)")
    fps = integer("fps", fps, 1, fix="pass e.g. fps=20")
    frames = _subsample(states.shape[0], max(1, int(max_frames)))
    t = np.asarray(sol.t, float)
    d = states.shape[-1]
    idx = _subsample(states.shape[1], 4000)
    if d == 2:
        from .sphere import points_to_angles

        fig, ax = plt.subplots(figsize=(5, 5))
        s = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(s), np.sin(s), color="0.8", lw=1)
        for a in np.ravel([] if predicted_angles is None else predicted_angles):
            ax.plot([0.9 * np.cos(a), 1.1 * np.cos(a)], [0.9 * np.sin(a), 1.1 * np.sin(a)], color="red", lw=2)
        sc = ax.scatter(*states[frames[0]][idx].T, s=8, color="tab:blue", alpha=0.6)
        ax.set_xlim(-1.2, 1.2)
        ax.set_ylim(-1.2, 1.2)
        ax.set_aspect("equal")
        ax.axis("off")
        title = ax.set_title("", fontsize=10)

        def update(i: int):
            th = points_to_angles(states[frames[i]][idx])
            sc.set_offsets(np.stack([np.cos(th), np.sin(th)], axis=1))
            title.set_text(f"t = {t[frames[i]]:.4g}{note}")
            return sc, title
    else:
        fig = plt.figure(figsize=(5, 5))
        ax = _sphere_axes(fig, d, "Tokens")
        p0 = states[frames[0]][idx, :3]
        sc = ax.scatter(p0[:, 0], p0[:, 1], p0[:, 2], s=6, color="tab:blue", alpha=0.6)
        title = ax.set_title("", fontsize=10)

        def update(i: int):
            p = states[frames[i]][idx, :3]
            sc._offsets3d = (p[:, 0], p[:, 1], p[:, 2])
            if rotate:
                ax.view_init(elev=20, azim=-60 + 0.5 * i)
            title.set_text(f"t = {t[frames[i]]:.4g}{note}")
            return sc, title

    fig.suptitle(_model_label(sol), fontsize=8)
    anim = animation.FuncAnimation(fig, update, frames=frames.size, blit=False)
    writer = animation.PillowWriter(fps=fps) if suffix == ".gif" else animation.FFMpegWriter(fps=fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        anim.save(str(path), writer=writer, dpi=dpi)
    finally:
        plt.close(fig)
    return path
