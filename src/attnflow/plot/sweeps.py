"""Figures of parameter sweeps: phase diagrams and curves over the grid, with theory overlays.

Both functions take the sweep store as an :class:`xarray.Dataset` (for example from
:func:`attnflow.sweep.open_sweep` or ``xarray.open_zarr``), whose data variables have the dims
``(*axes, [sample], time)`` (see :mod:`attnflow.sweep`). A figure shows one variable over one
or two dims; every other dim is

- **reduced**: ``sample`` and ``replica`` (independent runs of the same cell) are reduced by
  ``reduce`` (NaN-aware mean, median, max, min or std);
- **selected**: ``select={"d": 2, "beta": 5.0}`` picks one value (nearest for float
  coordinates, exact otherwise); ``time`` defaults to the last saved time (``at_time`` picks
  another); a dim with a single value is picked automatically;
- anything else is an error naming the dim and the fix.

Cells whose ``status`` is not 1 (missing or failed) are NaN, i.e. blank in a heat map and gaps
in a curve. Theory overlays: ``theory="equiangular"`` draws the clustering time T(beta) of n
equiangular tokens over a (beta, time) diagram (the layer-scheme map of
:func:`attnflow.theory.equiangular_layer_time` for ``method = "layer"``, the ODE
time :func:`attnflow.theory.equiangular_clustering_time` otherwise); ``theory="kmax"`` draws
:func:`attnflow.theory.k_max` against beta; ``theory="noise"`` draws the noise threshold
:func:`attnflow.theory.noise_threshold` over a (beta, kappa) diagram. Their parameters come from
``theory_kwargs``, else from the plotted facet/hue value or the selected coordinate, else from
``ds.attrs["fixed"]``.

Like every figure of :mod:`attnflow.plot`, each function returns the figure and, when ``path``
is given, writes it as PNG there (creating parent folders); see :mod:`attnflow.plot.common`
for how figures are made without touching the backend. The data preparation lives in
:mod:`._sweep_data`, the overlays in :mod:`._overlays`.

Examples
--------
>>> from attnflow.sweep import open_sweep
>>> from attnflow import plot
>>> ds = open_sweep("glpr.zarr")                                           # doctest: +SKIP
>>> plot.phase_diagram(ds, "clustering_density", "beta", facet="d",
...                    theory="equiangular", path="phase.png")            # doctest: +SKIP
>>> plot.sweep_curve(ds, "cluster_count", "beta", hue="d", theory="kmax",
...                  path="kmax.png")                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import textwrap
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import fail, finite_float
from ._overlays import (
    EQUIANGULAR_LABEL,
    KMAX_LABEL,
    NOISE_LABEL,
    OVERLAY_COLOR,
    THEORIES,
    check_theory,
    dense_betas,
    draw_beta_curve,
    draw_equiangular,
    draw_kmax,
    equiangular_params,
    equiangular_times,
    kmax_values,
    noise_thresholds,
    theory_param,
)
from ._sweep_data import (
    REDUCTIONS,
    check_dim,
    check_reduce,
    check_var,
    context_title,
    coord_values,
    fmt,
    numeric,
    prepare,
    reduce_samples,
    reduced_label,
)
from .common import colormap, new_figure, save_figure

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "EQUIANGULAR_LABEL",
    "KMAX_LABEL",
    "NOISE_LABEL",
    "REDUCTIONS",
    "THEORIES",
    "phase_diagram",
    "sweep_curve",
]

_COUNT_VARS = ("cluster_count", "dominant_mode")  # share their y axis with k_max


# -- axes --------------------------------------------------------------------------------------
def _is_log(values: np.ndarray) -> bool:
    """Log scale for positive coordinates spanning more than two decades."""
    if not numeric(values) or values.size < 2 or np.any(values <= 0):
        return False
    return float(values.max() / values.min()) > 100.0


def _positions(values: np.ndarray) -> np.ndarray:
    """Where the values sit on the axis: the values themselves, or 0..k-1 for categories."""
    return values.astype(np.float64) if numeric(values) else np.arange(values.size, dtype=np.float64)


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges at the midpoints between sorted positions (geometric midpoints on a log axis)."""
    p = _positions(values)
    if log:
        p = np.log10(p)
    if p.size == 1:
        e = np.array([p[0] - 0.5, p[0] + 0.5])
    else:
        mid = (p[1:] + p[:-1]) / 2
        e = np.concatenate([[p[0] - (mid[0] - p[0])], mid, [p[-1] + (p[-1] - mid[-1])]])
    return 10.0 ** e if log else e


def _setup_axis(ax: Axes, which: str, dim: str, values: np.ndarray) -> None:
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    if _is_log(values):
        set_scale("log")
    if not numeric(values):
        ticks = ax.set_xticks if which == "x" else ax.set_yticks
        ticks(np.arange(values.size), [str(v) for v in values])
    set_label(dim)


def _color_limits(Z: np.ndarray, vmin: Any, vmax: Any) -> tuple[float, float]:
    """Colour limits: the given ones, else the finite range of the data (shared by all panels)."""
    if vmin is not None:
        vmin = finite_float("vmin", vmin, fix="pass a finite vmin or None")
    if vmax is not None:
        vmax = finite_float("vmax", vmax, fix="pass a finite vmax or None")
    if vmin is not None and vmax is not None and vmax <= vmin:
        raise fail("vmax", vmax, f"is not above vmin={vmin:g}", "pass vmin < vmax")
    finite = Z[np.isfinite(Z)]
    lo = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if hi <= lo:                       # constant data (or a one-sided limit beyond it)
        if vmin is None:
            lo = hi - 1.0 if vmax is not None else lo - 0.5
        if vmax is None:
            hi = lo + 1.0 if vmin is not None else hi + 0.5
    return lo, hi



# -- phase diagram -----------------------------------------------------------------------------
def phase_diagram(ds: xr.Dataset, var: str, x: str, y: str = "time", *, facet: str | None = None,
                  select: Mapping[str, Any] | None = None, reduce: str = "mean", theory: str | None = None,
                  theory_kwargs: Mapping[str, Any] | None = None, path: str | os.PathLike | None = None,
                  title: str | None = None, cmap: str = "viridis", vmin: float | None = None,
                  vmax: float | None = None, at_time: float | None = None) -> Figure:
    """Heat map of a sweep variable over two dims, optionally one panel per value of a third.

    Cells are drawn with ``pcolormesh`` between the midpoints of neighbouring coordinate values
    (geometric midpoints on a log axis), so non-uniform grids show every value where it is.
    ``sample`` and ``replica`` are reduced by ``reduce``; other dims must be selected (or have a
    single value); ``time`` defaults to the last saved time when it is not x, y or facet. Cells
    with ``status`` != 1 are NaN (blank). Panels share one colour scale and colorbar.

    Parameters
    ----------
    ds : xarray.Dataset
        The sweep store (dims ``(*axes, [sample], time)``).
    var : str
        The data variable, e.g. ``"clustering_density"``.
    x, y : str
        Dims on the horizontal and vertical axis (default y: ``"time"``). An axis is logarithmic
        when its coordinates are positive and span more than two decades.
    facet : str, optional
        A dim drawn as side-by-side panels, one per value (e.g. ``"d"``).
    select : dict, optional
        dim -> value for the remaining dims: nearest value for float coordinates, exact match
        otherwise (an error lists the values when it is absent). May also pick one ``sample``,
        ``replica`` or ``time``.
    reduce : {"mean", "median", "max", "min", "std"}
        NaN-aware reduction over ``sample`` and ``replica``.
    theory : {None, "equiangular", "kmax", "noise"}
        ``"equiangular"``: the clustering time T(beta) of n equiangular tokens (1 - <x_i, x_j> <=
        threshold), drawn where T <= 2 max(time) (needs x, y = beta, time in either order).
        Method ``"layer"`` uses the layer map with step dt, other methods the ODE. ``"kmax"``:
        k_max(beta, d) as a step curve on a right-hand axis (needs x = beta). ``"noise"``: the
        noise threshold kappa_#(beta, d) (:func:`attnflow.theory.noise_threshold`; needs x, y =
        beta, kappa in either order, kappa the swept ``model.kappa``).
    theory_kwargs : dict, optional
        Overlay parameters: ``n``, ``normalization``, ``method``, ``dt``, ``threshold`` (default
        1e-3, the pair threshold of ``clustering_density``) for "equiangular"; ``d`` for "kmax";
        ``d``, ``normalization`` for "noise".
        Missing ones come from the facet value or the selected coordinate, else from
        ``ds.attrs["fixed"]``.
    path : str or path-like, optional
        Where to write the figure as PNG.
    title : str, optional
        Figure title (default: the variable, selected values and fixed parameters).
    cmap, vmin, vmax
        Colour map and limits (default: the finite range of the data, shared by all panels).
    at_time : float, optional
        The time shown when time is not plotted (nearest saved time; default the last).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Unknown variable or dim, a dim left neither plotted, selected nor reduced, a selected
        value that is not in the sweep, or an overlay whose parameters are unknown.
    """
    var = check_var(ds, var)
    x = check_dim(ds, var, "x", x)
    y = check_dim(ds, var, "y", y)
    if y == x:
        raise fail("y", y, "is the same dim as x", "plot two different dims")
    if facet is not None:
        facet = check_dim(ds, var, "facet", facet)
        if facet in (x, y):
            raise fail("facet", facet, "is already plotted as x or y", "facet over another dim, or None")
    reduce = check_reduce(reduce)
    kwargs = check_theory(theory, theory_kwargs, THEORIES)
    if theory == "equiangular" and {x, y} != {"beta", "time"}:
        raise fail("theory", theory, f"needs a diagram over beta and time, got x={x!r}, y={y!r}",
                   "pass x='beta', y='time' (or the reverse)")
    if theory == "kmax" and x != "beta":
        raise fail("theory", theory, f"is drawn against beta on the x axis, got x={x!r}", "pass x='beta'")
    if theory == "noise" and {x, y} != {"beta", "kappa"}:
        raise fail("theory", theory, f"needs a diagram over beta and kappa, got x={x!r}, y={y!r}",
                   "sweep model.kappa (dim 'kappa') and pass x='beta', y='kappa' (or the reverse)")
    keep = {"facet": facet, "y": y, "x": x} if facet is not None else {"y": y, "x": x}
    sl = prepare(ds, var, keep, select, at_time)
    Z = reduce_samples(sl.values, reduce) if sl.reduced else sl.values[..., 0]
    if facet is None:
        Z = Z[None]
    facet_values = sl.coords[facet] if facet is not None else np.array([None])
    xs, ys = sl.coords[x], sl.coords[y]
    xlog, ylog = _is_log(xs), _is_log(ys)
    xe, ye = _edges(xs, xlog), _edges(ys, ylog)

    lo, hi = _color_limits(Z, vmin, vmax)

    nf = facet_values.size
    width = max(6.0, 3.6 * nf + 1.2)
    fig = new_figure((width, 3.6), path, layout="constrained")
    axes = fig.subplots(1, nf, sharey=True, squeeze=False)
    axes = axes[0]
    t_max = float(np.nanmax(coord_values(ds, "time"))) if "time" in ds.dims else math.nan
    overlay_handles: list[Any] = []
    twins: list[Axes] = []
    mesh = None
    for i, (ax, fv) in enumerate(zip(axes, facet_values, strict=True)):
        mesh = ax.pcolormesh(xe, ye, Z[i], cmap=cmap, vmin=lo, vmax=hi, shading="flat")
        _setup_axis(ax, "x", x, xs)
        if i == 0:
            _setup_axis(ax, "y", y, ys)
        if facet is not None:
            ax.set_title(f"{facet} = {fmt(fv)}", fontsize=10)
        context = dict(sl.picked)
        if facet is not None:
            context[facet] = fv
        if theory == "equiangular":
            params = equiangular_params(ds, kwargs, context)
            betas = dense_betas(sl.coords["beta"], _is_log(sl.coords["beta"]))
            T = equiangular_times(betas, params, 2.0 * t_max)
            line = draw_equiangular(ax, x == "beta", betas, T)
            if i == 0:
                overlay_handles.append(line)
        elif theory == "noise":
            betas = dense_betas(sl.coords["beta"], _is_log(sl.coords["beta"]))
            kap = noise_thresholds(betas, theory_param("d", ds, kwargs, context),
                                   theory_param("normalization", ds, kwargs, context))
            line = draw_beta_curve(ax, x == "beta", betas, kap, NOISE_LABEL)
            if i == 0:
                overlay_handles.append(line)
        elif theory == "kmax":
            betas = dense_betas(xs, xlog)
            twin = ax.twinx()
            ks = kmax_values(betas, theory_param("d", ds, kwargs, context))
            line = draw_kmax(twin, betas, ks, KMAX_LABEL)
            twins.append(twin)
            if i == 0:
                overlay_handles.append(line)
        ax.set_xlim(xe[0], xe[-1])            # overlays are clipped to the plotted range
        ax.set_ylim(ye[0], ye[-1])
    if twins:
        twins[-1].set_ylabel("k_max (theory)")
    if overlay_handles:
        where = twins[0] if twins else axes[0]
        where.legend(handles=overlay_handles, fontsize=8, loc="best", framealpha=0.8)
    fig.colorbar(mesh, ax=list(axes), label=reduced_label(ds, var, reduce, sl).replace(" (", "\n(", 1))
    if title is None:
        context_text = context_title(ds, sl)
        title = f"{var}" + (f": {context_text}" if context_text else "")
    fig.suptitle(textwrap.fill(title, int(11 * width)), fontsize=10)
    return save_figure(fig, path)


# -- curves ------------------------------------------------------------------------------------
def _check_band(band: Any) -> tuple[float, float] | None:
    if band is None:
        return None
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise fail("band", band, "is not a pair of quantiles", "pass e.g. band=(0.1, 0.9), or None") from None
    if not (0.0 <= lo < hi <= 1.0):
        raise fail("band", band, "needs 0 <= low < high <= 1", "pass e.g. band=(0.1, 0.9), or None")
    return lo, hi


def _hue_colors(k: int) -> list[Any]:
    if k <= 10:
        return [f"C{i}" for i in range(k)]
    cmap = colormap("viridis")
    return [cmap(v) for v in np.linspace(0.0, 0.9, k)]


def sweep_curve(ds: xr.Dataset, var: str, x: str, *, hue: str | None = None,
                select: Mapping[str, Any] | None = None, reduce: str = "mean",
                band: tuple[float, float] | None = (0.1, 0.9), at_time: float | None = None,
                theory: str | None = None, theory_kwargs: Mapping[str, Any] | None = None,
                path: str | os.PathLike | None = None, title: str | None = None) -> Figure:
    """A sweep variable against one dim at one time, with a quantile band over samples.

    The line is ``reduce`` over ``sample`` and ``replica`` (NaN-aware); the shaded band spans
    the ``band`` quantiles of the same samples (not drawn for ``reduce="std"`` or when there is
    only one sample per point; a store that kept only the mean over samples gets mean ± the
    stored ``<var>_std`` instead). Cells with ``status`` != 1 are gaps.

    Parameters
    ----------
    ds : xarray.Dataset
        The sweep store.
    var : str
        The data variable.
    x : str
        The dim on the horizontal axis (log scale when positive and spanning > 2 decades).
    hue : str, optional
        A dim drawn as one line per value.
    select : dict, optional
        dim -> value for the remaining dims (see :func:`phase_diagram`).
    reduce : {"mean", "median", "max", "min", "std"}
    band : (float, float) or None
        Quantiles of the shaded band (default the 10 % and 90 % quantiles); None: no band.
    at_time : float, optional
        The saved time shown (nearest; default the last). Not allowed when x or hue is time.
    theory : {None, "kmax"}
        ``"kmax"``: k_max(beta, d) as a step curve (needs x = beta). It shares the y axis with
        ``cluster_count`` and ``dominant_mode`` and gets a right-hand axis otherwise. With
        hue = "d", one step curve per d.
    theory_kwargs : dict, optional
        ``{"d": ...}``; by default d comes from the hue value, the selected coordinate or
        ``ds.attrs["fixed"]``.
    path : str or path-like, optional
        Where to write the figure as PNG.
    title : str, optional
        Figure title (default: the variable, the time, selected values and fixed parameters).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        As :func:`phase_diagram`; also for ``theory="equiangular"`` (a phase-diagram overlay).
    """
    var = check_var(ds, var)
    x = check_dim(ds, var, "x", x)
    if hue is not None:
        hue = check_dim(ds, var, "hue", hue)
        if hue == x:
            raise fail("hue", hue, "is the same dim as x", "pass another dim, or None")
    reduce = check_reduce(reduce)
    band = _check_band(band)
    kwargs = check_theory(theory, theory_kwargs, (None, "kmax"))
    if theory == "kmax" and x != "beta":
        raise fail("theory", theory, f"is drawn against beta, got x={x!r}", "pass x='beta'")

    keep = {"x": x, "hue": hue} if hue is not None else {"x": x}
    sl = prepare(ds, var, keep, select, at_time)
    values = sl.values if hue is not None else sl.values[:, None, :]      # (nx, nh, m)
    center = reduce_samples(values, reduce) if sl.reduced else values[..., 0]
    lo_hi: tuple[np.ndarray, np.ndarray] | None = None
    band_label = ""
    m = values.shape[-1]
    if band is not None and reduce != "std" and m > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo_hi = (np.nanquantile(values, band[0], axis=-1), np.nanquantile(values, band[1], axis=-1))
        what = " x ".join(f"{n} {d}s" for d, n in sl.reduced.items())
        band_label = f"{band[0]:g}-{band[1]:g} quantiles over {what}"
    elif band is not None and not sl.reduced and f"{var}_std" in ds.data_vars:
        std = prepare(ds, f"{var}_std", keep, select, at_time).values
        std = std if hue is not None else std[:, None, :]
        lo_hi = (center - std[..., 0], center + std[..., 0])
        band_label = "mean ± std over samples (stored)"

    xs = sl.coords[x]
    xpos = _positions(xs)
    hues = sl.coords[hue] if hue is not None else np.array([None])
    colors = _hue_colors(hues.size)
    fig = new_figure((6.4, 4.2), path, layout="constrained")
    ax = fig.subplots()
    handles: list[Any] = []
    for j, hv in enumerate(hues):
        label = f"{hue} = {fmt(hv)}" if hue is not None else reduced_label(ds, var, reduce, sl)
        (line,) = ax.plot(xpos, center[:, j], marker="o", ms=3, lw=1.4, color=colors[j], label=label)
        handles.append(line)
        if lo_hi is not None:
            poly = ax.fill_between(xpos, lo_hi[0][:, j], lo_hi[1][:, j], color=colors[j], alpha=0.22, lw=0,
                                   label=band_label if j == 0 else "_nolegend_")
            if j == 0:
                handles.append(poly)
    _setup_axis(ax, "x", x, xs)
    ax.set_ylabel(reduced_label(ds, var, reduce, sl))
    ax.grid(alpha=0.3)

    if theory == "kmax":
        xlog = _is_log(xs)
        betas = dense_betas(xs, xlog)
        same = var in _COUNT_VARS
        target = ax if same else ax.twinx()
        per_hue = hue == "d" and "d" not in kwargs           # one k_max curve per d
        for j, hv in enumerate(hues if per_hue else [None]):
            context = dict(sl.picked)
            if hue is not None and hv is not None:
                context[hue] = hv
            d = theory_param("d", ds, kwargs, context)
            label = f"{KMAX_LABEL[:-1]}, d = {fmt(d)})" if per_hue else KMAX_LABEL
            color = colors[j] if per_hue else OVERLAY_COLOR
            handles.append(draw_kmax(target, betas, kmax_values(betas, d), label, color=color))
        if not same:
            target.set_ylabel("k_max (theory)")
        ax.set_xlim(float(xpos.min()), float(xpos.max()))
    if len(handles) > 1 or theory is not None:
        legend_ax = target if theory == "kmax" else ax        # the top axes, so lines do not hide it
        legend_ax.legend(handles=handles, fontsize=8, loc="best", framealpha=0.8)
    if title is None:
        context_text = context_title(ds, sl)
        title = f"{var}" + (f": {context_text}" if context_text else "")
    ax.set_title(textwrap.fill(title, 85), fontsize=9)
    return save_figure(fig, path)
