"""Figure machinery shared by every figure of :mod:`attnflow.plot`, without switching backends.

Nothing here imports matplotlib at module level, and nothing ever calls ``matplotlib.use``:

- a figure that is only written to a file (``path`` given) is a plain
  :class:`matplotlib.figure.Figure` on an Agg canvas: pyplot is not imported and the user's
  backend is neither chosen nor changed;
- a figure the caller keeps (``path=None``) is made by :func:`matplotlib.pyplot.figure`, so
  that ``plt.show()`` and notebooks display it with the user's backend (matplotlib itself
  falls back to Agg when no display is available).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure, SubFigure

__all__ = ["DPI", "PI_TICKS", "colormap", "new_figure", "save_figure", "sphere_axes", "subsample"]

#: resolution of the written PNG files
DPI = 120
#: tick positions and labels of an angle axis [0, 2 pi]
PI_TICKS = ([0.0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi], ["0", "π/2", "π", "3π/2", "2π"])


def new_figure(figsize: tuple[float, float], path: str | os.PathLike | None = None, *,
               layout: Literal["constrained", "tight"] | None = None) -> Figure:
    """A new empty figure of ``figsize`` inches.

    Parameters
    ----------
    figsize : (width, height) in inches.
    path : where the caller will write the figure, or None when it is kept for display.
        With a path the figure is a plain :class:`matplotlib.figure.Figure` on an Agg canvas
        (no pyplot, no backend involved); without one it comes from ``pyplot.figure`` and
        belongs to the user's backend.
    layout : matplotlib layout engine, e.g. ``"constrained"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if path is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout=layout)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Write ``fig`` as PNG to ``path`` (parents created, 120 dpi) and return it; no-op for None.

    A figure managed by pyplot is closed there after writing, so loops over many runs do not
    accumulate open figures; the returned object stays usable either way.
    """
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
        if getattr(fig.canvas, "manager", None) is not None:           # made by pyplot
            import matplotlib.pyplot as plt

            plt.close(fig)
    return fig


def colormap(name: str) -> Colormap:
    """The registered matplotlib colormap ``name`` (no pyplot needed)."""
    import matplotlib

    return matplotlib.colormaps[name]


def subsample(n: int, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` items, evenly spread over 0..n-1 (all of them when n <= cap)."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def sphere_axes(fig: Figure | SubFigure, d: int, title: str, note: str = "") -> Axes:
    """3-D axes with a wireframe unit sphere, limits [-1, 1]^3 and the title "<title> on S^2<note>".

    For d > 3 the axes show the first three coordinates, and the title says so.
    """
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
    ax.set_title(f"{title} on {where}{note}", fontsize=10)
    return ax
