"""Animations of a run: the tokens moving on S^1 or S^2, written as GIF (pillow) or MP4 (ffmpeg).

The frames are drawn on a plain :class:`matplotlib.figure.Figure` (no pyplot, no backend
switch; see :mod:`attnflow.plot.common`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sphere import points_to_angles
from ..validation import fail, integer, real_array
from ._data import model_label, required_states
from .common import new_figure, sphere_axes, subsample

if TYPE_CHECKING:  # pragma: no cover
    from ..solution import Solution

__all__ = ["animate"]

#: at most this many tokens are drawn per frame (an even subsample beyond it)
_MAX_POINTS = 4000


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
    states, note = required_states(sol, "sol")
    fps = integer("fps", fps, 1, fix="pass e.g. fps=20")
    max_frames = integer("max_frames", max_frames, 1, fix="pass e.g. max_frames=200")
    dpi = integer("dpi", dpi, 1, fix="pass e.g. dpi=80")
    frames = subsample(states.shape[0], max_frames)
    t = np.asarray(sol.t, float)
    d = states.shape[-1]
    idx = subsample(states.shape[1], _MAX_POINTS)
    marks = np.empty(0) if predicted_angles is None else np.ravel(
        real_array("predicted_angles", predicted_angles, fix="pass angles in radians"))
    fig = new_figure((5, 5), path)
    if d == 2:
        ax = fig.subplots()
        s = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(s), np.sin(s), color="0.8", lw=1)
        for a in marks:
            ax.plot([0.9 * np.cos(a), 1.1 * np.cos(a)], [0.9 * np.sin(a), 1.1 * np.sin(a)], color="red", lw=2)
        th0 = points_to_angles(states[frames[0]][idx])
        sc = ax.scatter(np.cos(th0), np.sin(th0), s=8, color="tab:blue", alpha=0.6)
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
        ax = sphere_axes(fig, d, "Tokens")
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

    fig.suptitle(model_label(sol), fontsize=8)
    anim = animation.FuncAnimation(fig, update, frames=frames.size, blit=False)
    writer = animation.PillowWriter(fps=fps) if suffix == ".gif" else animation.FFMpegWriter(fps=fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(path), writer=writer, dpi=dpi)
    return path
