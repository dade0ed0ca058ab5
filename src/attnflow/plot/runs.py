"""Figures of a run over time: particle trajectories and observables.

- :func:`trajectories`: angles against time on S^1, initial and final points on S^2 (or the
  first three coordinates for d > 3);
- :func:`observables_over_time`: energy E(t), order parameter R(t) and 1 - R(t);
- :func:`summary_figure`: both in one figure.

Every function returns the figure and, when ``path`` is given, writes it as PNG there (see
:mod:`attnflow.plot.common` for how figures are made without touching the backend).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from ..sphere import points_to_angles
from ._data import model_label, saved_states
from .common import PI_TICKS, new_figure, save_figure, sphere_axes, subsample

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure, SubFigure

    from ..solution import Solution

__all__ = ["MAX_LINES", "observables_over_time", "summary_figure", "trajectories"]

#: at most this many particles are drawn as trajectories (an even subsample beyond it)
MAX_LINES = 400
#: at most this many particles get a path on the 3-D sphere plot
_MAX_PATHS_3D = 40


# -- trajectories ------------------------------------------------------------------------------
def _draw_circle(fig: Figure | SubFigure, t: np.ndarray, x: np.ndarray, note: str) -> None:
    idx = subsample(x.shape[1], MAX_LINES)
    theta = points_to_angles(x[:, idx])                      # (T, k) in [0, 2 pi)
    # break a line where it wraps around 0 = 2 pi instead of drawing a vertical jump
    jumps = np.abs(np.diff(theta, axis=0)) > np.pi
    theta = theta.copy()
    theta[1:][jumps] = np.nan
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(t, theta, lw=0.5, alpha=0.6, color="tab:blue")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 2 * np.pi)
    ax.set_yticks(*PI_TICKS)
    ax.set_xlabel("time t")
    ax.set_ylabel("angle θ_i")
    shown = f"{idx.size} of {x.shape[1]} particles" if idx.size < x.shape[1] else \
        f"{x.shape[1]} particles"
    ax.set_title(f"Trajectories on S^1: {shown}{note}", fontsize=10)


def _draw_sphere(fig: Figure | SubFigure, t: np.ndarray, x: np.ndarray, note: str) -> None:
    ax = sphere_axes(fig, x.shape[-1], "Initial and final points", note)
    p = x[..., :3]
    idx = subsample(p.shape[1], MAX_LINES)
    for i in subsample(p.shape[1], _MAX_PATHS_3D):
        ax.plot(p[:, i, 0], p[:, i, 1], p[:, i, 2], lw=0.5, color="0.5", alpha=0.7)
    ax.scatter(*p[0, idx].T, s=6, color="tab:blue", alpha=0.5, label=f"t = {t[0]:g}")
    ax.scatter(*p[-1, idx].T, s=14, color="tab:red", label=f"t = {t[-1]:g}")
    ax.legend(loc="upper left", fontsize=8)


def _draw_trajectories(fig: Figure | SubFigure, sol: Solution) -> None:
    x, note = saved_states(sol)
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
        _draw_sphere(fig, t, x, note)


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
    fig = new_figure((7, 5) if (sol.x is not None and sol.x.shape[-1] == 2) else (6, 6), path)
    _draw_trajectories(fig, sol)
    fig.suptitle(model_label(sol), fontsize=9)
    return save_figure(fig, path)


# -- observables -------------------------------------------------------------------------------
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
        from .. import observables as obs

        x = np.asarray(sol.x)
        if "energy" not in out:
            out["energy"] = np.array([obs.energy(sol.model, xt) for xt in x], dtype=np.float64)
        if "order_parameter" not in out:
            out["order_parameter"] = np.array([obs.order_parameter(xt, k=1) for xt in x], dtype=np.float64)
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
    batched run draws one line per member. The energy axis is logarithmic when the energy
    is positive and spans more than two decades.

    Parameters
    ----------
    sol : Solution
    path : str or path-like, optional
        Where to write the figure as PNG.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = new_figure((12, 3.8), path, layout="constrained")
    _draw_observables(fig, sol)
    fig.suptitle(model_label(sol), fontsize=9)
    return save_figure(fig, path)


def summary_figure(sol: Solution, path: str | os.PathLike | None = None) -> Figure:
    """Trajectories (top) and observables over time (bottom) in one figure.

    Takes ``sol`` and ``path`` as :func:`trajectories` does and returns the
    :class:`matplotlib.figure.Figure`, whose two subfigures are :func:`trajectories` and
    :func:`observables_over_time`.
    """
    fig = new_figure((12, 10), path, layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.6, 1])
    _draw_trajectories(top, sol)
    _draw_observables(bottom, sol)
    fig.suptitle(model_label(sol), fontsize=10)
    return save_figure(fig, path)
