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
:func:`attnflow.theory.k_max` against beta. Their parameters come from ``theory_kwargs``, else
from the plotted facet/hue value or the selected coordinate, else from ``ds.attrs["fixed"]``.

Like :mod:`attnflow.plot`, every function returns the figure and, when ``path`` is given,
writes it as PNG there (creating parent folders) and closes it in pyplot.

Examples
--------
>>> from attnflow.sweep import open_sweep
>>> from attnflow import sweep_plot
>>> ds = open_sweep("glpr.zarr")                                           # doctest: +SKIP
>>> sweep_plot.phase_diagram(ds, "clustering_density", "beta", facet="d",
...                          theory="equiangular", path="phase.png")      # doctest: +SKIP
>>> sweep_plot.sweep_curve(ds, "cluster_count", "beta", hue="d", theory="kmax",
...                        path="kmax.png")                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .plot import plt, save_figure
from .sweep import META_VARIABLES
from .validation import fail, finite_float

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "EQUIANGULAR_LABEL",
    "KMAX_LABEL",
    "REDUCTIONS",
    "THEORIES",
    "phase_diagram",
    "sweep_curve",
]

#: NaN-aware reductions over the ``sample`` / ``replica`` dims
REDUCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "mean": np.nanmean, "median": np.nanmedian, "max": np.nanmax, "min": np.nanmin, "std": np.nanstd,
}
#: accepted values of ``theory``
THEORIES = (None, "equiangular", "kmax")
#: legend labels of the overlays
EQUIANGULAR_LABEL = "equiangular clustering time (theory)"
KMAX_LABEL = "k_max(beta) (theory)"

_REDUCED_DIMS = ("replica", "sample")          # reduced unless plotted or selected
_COUNT_VARS = ("cluster_count", "dominant_mode")  # share their y axis with k_max
_THEORY_KEYS = {"equiangular": ("n", "normalization", "method", "dt", "threshold"), "kmax": ("d",)}
_THRESHOLD = 1e-3        # the pair threshold <x_i, x_j> > 0.999 of clustering_density
_OVERLAY_POINTS = 200    # betas at which an overlay is evaluated (plus the grid's own)
_OVERLAY_COLOR = "red"


# ---------------------------------------------------------------------------------------
# selecting and reducing
# ---------------------------------------------------------------------------------------
@dataclass
class _Slice:
    """The data of one figure: kept dims first, the reduced samples flattened last."""

    values: np.ndarray                       # (*kept sizes, m) float64
    coords: dict[str, np.ndarray]            # kept dim -> coordinate values (numeric ones sorted)
    picked: dict[str, Any] = field(default_factory=dict)   # dim -> coordinate value used
    reduced: dict[str, int] = field(default_factory=dict)  # reduced dim -> its size


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _values_text(values: np.ndarray, cap: int = 8) -> str:
    shown = ", ".join(_fmt(v) for v in values[:cap])
    return f"[{shown}{', ...' if values.size > cap else ''}]"


def _variables(ds: xr.Dataset) -> list[str]:
    return [str(v) for v in ds.data_vars if v not in META_VARIABLES]


def _axes(ds: xr.Dataset) -> list[str]:
    """The grid axes in store order: ``ds.attrs["axes"]``, else every dim but time and sample."""
    axes = ds.attrs.get("axes")
    if isinstance(axes, (list, tuple)) and all(isinstance(a, str) for a in axes):
        return [a for a in axes if a in ds.dims]
    return [str(d) for d in ds.dims if d not in ("time", "sample")]


def _check_var(ds: xr.Dataset, var: Any) -> str:
    names = _variables(ds)
    if not isinstance(var, str) or var not in ds.data_vars:
        raise fail("var", var, f"is not a data variable of the sweep (observables: {names})",
                   f"pass one of {names}" if names else "pass the name of a stored variable")
    if ds[var].dtype.kind not in "biuf":
        raise fail("var", var, f"has dtype {ds[var].dtype}, not numbers", f"pass one of {names}")
    return var


def _check_dim(ds: xr.Dataset, var: str, name: str, dim: Any) -> str:
    dims = [str(d) for d in ds[var].dims]
    if not isinstance(dim, str) or dim not in dims:
        raise fail(name, dim, f"is not a dim of {var!r} (its dims: {dims})", f"pass one of {dims}")
    return dim


def _coord(ds: xr.Dataset, dim: str) -> np.ndarray:
    values = np.asarray(ds[dim].values)
    if values.dtype.kind == "O":
        values = values.astype(str)
    return values


def _numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "biuf"


def _pick(ds: xr.Dataset, dim: str, value: Any, name: str, arg: Any) -> int:
    """Index of ``value`` along ``dim``: nearest for float coordinates, exact otherwise."""
    coord = _coord(ds, dim)
    listing = f"the values of {dim} are {_values_text(coord, 12)}"
    first = coord[0].item() if isinstance(coord[0], np.generic) else coord[0]
    fix = f"pick one of them, e.g. {name}={{{dim!r}: {first!r}}}" if name == "select" else \
        f"pick one of them, e.g. {name}={first!r}"
    if coord.dtype.kind == "f":
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise fail(name, arg, f"gives {dim} = {value!r}, not a number; {listing}", fix) from None
        s = np.sort(coord)
        pad_lo = (s[1] - s[0]) / 2 if s.size > 1 else 1e-9 * max(1.0, abs(s[0]))
        pad_hi = (s[-1] - s[-2]) / 2 if s.size > 1 else pad_lo
        if not (math.isfinite(v) and s[0] - pad_lo <= v <= s[-1] + pad_hi):
            raise fail(name, arg, f"asks {dim} = {value!r}, outside the swept range; {listing}", fix)
        return int(np.argmin(np.abs(coord - v)))
    if _numeric(coord):
        hits = np.flatnonzero(coord == value) if isinstance(value, (int, float, np.number)) and \
            not isinstance(value, bool) else np.array([], dtype=int)
    else:
        hits = np.flatnonzero(coord == str(value)) if isinstance(value, str) else np.array([], dtype=int)
    if hits.size == 0:
        raise fail(name, arg, f"asks {dim} = {value!r}, which is not present; {listing}", fix)
    return int(hits[0])


def _prepare(ds: xr.Dataset, var: str, keep: Mapping[str, str], select: Any, at_time: Any) -> _Slice:
    """Select, mask (status != 1 -> NaN) and order the data of ``var``.

    ``keep`` maps argument names (x, y, facet, hue) to the dims kept, in the output order.
    """
    da = ds[var]
    dims = [str(d) for d in da.dims]
    kept = list(keep.values())
    if select is None:
        select = {}
    if not isinstance(select, Mapping):
        raise fail("select", select, "is not a dict", "pass a dict dim -> value, e.g. select={'d': 2}")
    indexers: dict[str, int] = {}
    picked: dict[str, Any] = {}
    for dim, value in select.items():
        if dim not in dims:
            raise fail("select", select, f"names {dim!r}, which is not a dim of {var!r} (its dims: {dims})",
                       "select only dims of the variable")
        if dim in kept:
            arg = next(a for a, d in keep.items() if d == dim)
            raise fail("select", select, f"fixes {dim!r}, which is also plotted as {arg}",
                       f"drop {dim!r} from select, or plot another dim as {arg}")
        indexers[dim] = _pick(ds, dim, value, "select", select)
    if "time" in dims and "time" not in kept and "time" not in indexers:
        indexers["time"] = _coord(ds, "time").size - 1 if at_time is None else \
            _pick(ds, "time", at_time, "at_time", at_time)
    elif at_time is not None:
        raise fail("at_time", at_time, "is given but time is plotted, selected or not a dim of "
                   f"{var!r}", "drop at_time")
    rest = [d for d in dims if d not in kept and d not in indexers]
    reduce_dims = [d for d in rest if d in _REDUCED_DIMS]
    for d in rest:
        if d not in reduce_dims and da.sizes[d] == 1:
            indexers[d] = 0
    order = {d: i for i, d in enumerate(_axes(ds))}           # report the first grid axis first
    leftover = sorted((d for d in rest if d not in reduce_dims and d not in indexers),
                      key=lambda d: order.get(d, len(order)))
    if leftover:
        d = leftover[0]
        coord = _coord(ds, d)
        first = coord[0].item() if isinstance(coord[0], np.generic) else coord[0]
        raise fail("select", select if select else None,
                   f"leaves the axis {d!r} ({coord.size} values {_values_text(coord)}) neither plotted, "
                   "selected nor reduced",
                   f"select one value, e.g. select={{{d!r}: {first!r}}}, or plot {d!r} as x, y, facet "
                   "or hue")
    for d, i in indexers.items():
        picked[d] = _coord(ds, d)[i]
    da = da.isel(indexers)
    if "status" in ds.data_vars and var != "status":
        status = ds["status"]
        status = status.isel({k: v for k, v in indexers.items() if k in status.dims})
        da = da.where(status == 1)
    da = da.transpose(*kept, *reduce_dims)
    values = np.asarray(da.values, dtype=np.float64)
    values = values.reshape(*values.shape[:len(kept)], -1)
    coords: dict[str, np.ndarray] = {}
    for axis, dim in enumerate(kept):
        c = _coord(ds, dim)
        if _numeric(c):
            order = np.argsort(c, kind="stable")
            c = c[order]
            values = np.take(values, order, axis=axis)
        coords[dim] = c
    return _Slice(values, coords, picked, {d: int(da.sizes[d]) for d in reduce_dims})


def _check_reduce(reduce: Any) -> str:
    if not isinstance(reduce, str) or reduce not in REDUCTIONS:
        raise fail("reduce", reduce, "is not a known reduction", f"pass one of {tuple(REDUCTIONS)}")
    return reduce


def _reduce(values: np.ndarray, reduce: str) -> np.ndarray:
    """Reduce the last axis NaN-aware; an all-NaN slice gives NaN (silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return REDUCTIONS[reduce](values, axis=-1)


def _reduced_label(ds: xr.Dataset, var: str, reduce: str, sl: _Slice) -> str:
    """Axis/colorbar label, e.g. "clustering_density (mean over 2048 samples)"."""
    if sl.reduced:
        parts = [f"{n} {d}s" for d, n in sl.reduced.items()]
        return f"{var} ({reduce} over {' x '.join(parts)})"
    samples = ds.attrs.get("samples") or 0
    if "sample" not in ds.dims and samples:
        if var.endswith("_std") and var[:-4] in ds.data_vars:
            return f"{var} (std over {samples} samples, stored)"
        if f"{var}_std" in ds.data_vars:
            return f"{var} (mean over {samples} samples, stored)"
    return var


# ---------------------------------------------------------------------------------------
# axes
# ---------------------------------------------------------------------------------------
def _is_log(values: np.ndarray) -> bool:
    """Log scale for positive coordinates spanning more than two decades."""
    if not _numeric(values) or values.size < 2 or np.any(values <= 0):
        return False
    return float(values.max() / values.min()) > 100.0


def _positions(values: np.ndarray) -> np.ndarray:
    """Where the values sit on the axis: the values themselves, or 0..k-1 for categories."""
    return values.astype(np.float64) if _numeric(values) else np.arange(values.size, dtype=np.float64)


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
    if not _numeric(values):
        ticks = ax.set_xticks if which == "x" else ax.set_yticks
        ticks(np.arange(values.size), [str(v) for v in values])
    set_label(dim)


def _fixed(ds: xr.Dataset) -> dict[str, Any]:
    fixed = ds.attrs.get("fixed") or {}
    if isinstance(fixed, str):
        try:
            fixed = json.loads(fixed)
        except ValueError:
            fixed = {}
    return dict(fixed) if isinstance(fixed, Mapping) else {}


def _context_title(ds: xr.Dataset, sl: _Slice) -> str:
    """Selected values and fixed parameters, e.g. "d = 2, time = 30 | n = 32, normalization = sa"."""
    picked = ", ".join(f"{k} = {_fmt(v)}" for k, v in sl.picked.items())
    fixed = ", ".join(f"{k} = {_fmt(v)}" for k, v in _fixed(ds).items()
                      if k not in ds.dims and k != "kind" and not isinstance(v, (list, dict)))
    return " | ".join(p for p in (picked, fixed) if p)


# ---------------------------------------------------------------------------------------
# theory overlays
# ---------------------------------------------------------------------------------------
def _check_theory(theory: Any, theory_kwargs: Any, allowed: Sequence[str | None]) -> dict[str, Any]:
    if theory not in THEORIES:
        raise fail("theory", theory, "is not a known overlay", f"pass one of {THEORIES}")
    if theory not in allowed:
        raise fail("theory", theory, "is drawn on a (beta, time) phase diagram, not on a curve at one time",
                   "use phase_diagram(ds, var, 'beta', 'time', theory='equiangular')")
    if theory_kwargs is None:
        return {}
    if not isinstance(theory_kwargs, Mapping):
        raise fail("theory_kwargs", theory_kwargs, "is not a dict", "pass a dict, e.g. {'n': 32}")
    if theory is None:
        raise fail("theory_kwargs", theory_kwargs, "is given but theory=None",
                   "pass theory='equiangular' or 'kmax', or drop theory_kwargs")
    keys = _THEORY_KEYS[theory]
    unknown = [k for k in theory_kwargs if k not in keys]
    if unknown:
        raise fail("theory_kwargs", theory_kwargs,
                   f"has the key {unknown[0]!r}, unknown for theory={theory!r}", f"use only the keys {keys}")
    return dict(theory_kwargs)


def _param(name: str, ds: xr.Dataset, kwargs: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    """A theory parameter: theory_kwargs, else the facet/hue/selected coordinate, else attrs["fixed"]."""
    if name in kwargs:
        return kwargs[name]
    if name in context:
        value = context[name]
        return value.item() if isinstance(value, np.generic) else value
    fixed = _fixed(ds)
    if name in fixed:
        return fixed[name]
    fix = f"pass theory_kwargs={{{name!r}: ...}}"
    if name in _axes(ds):
        where = f"{name!r} is an axis of the sweep with several values, not fixed by facet, hue or select"
        fix += f", or select/facet the axis {name!r}"
    else:
        where = f"{name!r} is not an axis and not in ds.attrs['fixed']"
    raise fail("theory_kwargs", dict(kwargs) or None, f"does not give {name!r} and {where}", fix)


def _int_param(name: str, value: Any, minimum: int) -> int:
    ok = isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(value) or value != int(value) or value < minimum:
        raise fail(name, value, f"must be an integer >= {minimum} for the theory overlay",
                   f"pass theory_kwargs={{{name!r}: ...}} with an integer >= {minimum}")
    return int(value)


def _dense(values: np.ndarray, log: bool) -> np.ndarray:
    """The grid's own values plus evenly (or log-evenly) spread points between them."""
    v = values.astype(np.float64)
    lo, hi = float(v.min()), float(v.max())
    fill = np.geomspace(lo, hi, _OVERLAY_POINTS) if log else np.linspace(lo, hi, _OVERLAY_POINTS)
    return np.union1d(v, fill)


def _equiangular_times(betas: np.ndarray, params: Mapping[str, Any], t_cap: float) -> np.ndarray:
    """Clustering times T(beta) <= t_cap (NaN beyond, and where the tokens never cluster)."""
    n = _int_param("n", params["n"], 2)
    norm = str(params["normalization"]).lower()
    if norm not in ("sa", "usa"):
        raise fail("normalization", params["normalization"], "is not 'sa' or 'usa'",
                   "pass theory_kwargs={'normalization': 'sa'} (or 'usa')")
    thr = finite_float("threshold", params["threshold"], fix="pass a value in (0, 1), e.g. 1e-3",
                       positive=True)
    out = np.full(betas.shape, np.nan)
    if params["method"] == "layer":
        from .theory import equiangular_layer_time

        dt = finite_float("dt", params["dt"], fix="pass theory_kwargs={'dt': 0.1}, the layer step",
                          positive=True)
        max_steps = math.ceil(t_cap / dt) + 1      # beyond the cap the time is not drawn anyway
        times = [equiangular_layer_time(float(b), n, dt, norm, thr, max_steps=max_steps) for b in betas]
    else:
        from .theory import equiangular_clustering_time

        times = []
        for b in betas:
            try:
                times.append(equiangular_clustering_time(float(b), n, norm, thr))
            except FloatingPointError:          # beyond float64: never clusters in range
                times.append(math.inf)
    T = np.asarray(times, dtype=np.float64)
    ok = np.isfinite(T) & (T <= t_cap)
    out[ok] = T[ok]
    return out


def _equiangular_params(ds: xr.Dataset, kwargs: Mapping[str, Any], context: Mapping[str, Any]
                        ) -> dict[str, Any]:
    params = {k: _param(k, ds, kwargs, context) for k in ("n", "normalization", "method")}
    params["dt"] = _param("dt", ds, kwargs, context) if params["method"] == "layer" else None
    params["threshold"] = kwargs.get("threshold", _THRESHOLD)
    return params


def _draw_equiangular(ax: Axes, beta_on_x: bool, betas: np.ndarray, T: np.ndarray) -> Any:
    import matplotlib.patheffects as pe

    xy = (betas, T) if beta_on_x else (T, betas)
    (line,) = ax.plot(*xy, color=_OVERLAY_COLOR, lw=1.6, label=EQUIANGULAR_LABEL, zorder=3,
                      path_effects=[pe.withStroke(linewidth=3.4, foreground="white")])
    return line


def _kmax_values(betas: np.ndarray, d: Any) -> np.ndarray:
    from .theory import k_max

    d = _int_param("d", d, 2)
    return np.array([k_max(float(b), d) for b in betas], dtype=np.float64)


def _draw_kmax(ax: Axes, betas: np.ndarray, ks: np.ndarray, label: str, color: str = _OVERLAY_COLOR,
               ls: str = "--") -> Any:
    from matplotlib.ticker import MaxNLocator

    (line,) = ax.step(betas, ks, where="mid", color=color, lw=1.4, ls=ls, label=label, zorder=3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return line


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


# ---------------------------------------------------------------------------------------
# phase diagram
# ---------------------------------------------------------------------------------------
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
    theory : {None, "equiangular", "kmax"}
        ``"equiangular"``: the clustering time T(beta) of n equiangular tokens (1 - <x_i, x_j> <=
        threshold), drawn where T <= 2 max(time) (needs x, y = beta, time in either order).
        Method ``"layer"`` uses the layer map with step dt, other methods the ODE. ``"kmax"``:
        k_max(beta, d) as a step curve on a right-hand axis (needs x = beta).
    theory_kwargs : dict, optional
        Overlay parameters: ``n``, ``normalization``, ``method``, ``dt``, ``threshold`` (default
        1e-3, the pair threshold of ``clustering_density``) for "equiangular"; ``d`` for "kmax".
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
    var = _check_var(ds, var)
    x = _check_dim(ds, var, "x", x)
    y = _check_dim(ds, var, "y", y)
    if y == x:
        raise fail("y", y, "is the same dim as x", "plot two different dims")
    if facet is not None:
        facet = _check_dim(ds, var, "facet", facet)
        if facet in (x, y):
            raise fail("facet", facet, "is already plotted as x or y", "facet over another dim, or None")
    reduce = _check_reduce(reduce)
    kwargs = _check_theory(theory, theory_kwargs, THEORIES)
    if theory == "equiangular" and {x, y} != {"beta", "time"}:
        raise fail("theory", theory, f"needs a diagram over beta and time, got x={x!r}, y={y!r}",
                   "pass x='beta', y='time' (or the reverse)")
    if theory == "kmax" and x != "beta":
        raise fail("theory", theory, f"is drawn against beta on the x axis, got x={x!r}", "pass x='beta'")
    keep = {"facet": facet, "y": y, "x": x} if facet is not None else {"y": y, "x": x}
    sl = _prepare(ds, var, keep, select, at_time)
    Z = _reduce(sl.values, reduce) if sl.reduced else sl.values[..., 0]
    if facet is None:
        Z = Z[None]
    facet_values = sl.coords[facet] if facet is not None else np.array([None])
    xs, ys = sl.coords[x], sl.coords[y]
    xlog, ylog = _is_log(xs), _is_log(ys)
    xe, ye = _edges(xs, xlog), _edges(ys, ylog)

    lo, hi = _color_limits(Z, vmin, vmax)

    nf = facet_values.size
    width = max(6.0, 3.6 * nf + 1.2)
    fig, axes = plt.subplots(1, nf, figsize=(width, 3.6), sharey=True, squeeze=False,
                             constrained_layout=True)
    axes = axes[0]
    t_max = float(np.nanmax(_coord(ds, "time"))) if "time" in ds.dims else math.nan
    overlay_handles: list[Any] = []
    twins: list[Axes] = []
    mesh = None
    for i, (ax, fv) in enumerate(zip(axes, facet_values, strict=True)):
        mesh = ax.pcolormesh(xe, ye, Z[i], cmap=cmap, vmin=lo, vmax=hi, shading="flat")
        _setup_axis(ax, "x", x, xs)
        if i == 0:
            _setup_axis(ax, "y", y, ys)
        if facet is not None:
            ax.set_title(f"{facet} = {_fmt(fv)}", fontsize=10)
        context = dict(sl.picked)
        if facet is not None:
            context[facet] = fv
        if theory == "equiangular":
            params = _equiangular_params(ds, kwargs, context)
            betas = _dense(sl.coords["beta"], _is_log(sl.coords["beta"]))
            T = _equiangular_times(betas, params, 2.0 * t_max)
            line = _draw_equiangular(ax, x == "beta", betas, T)
            if i == 0:
                overlay_handles.append(line)
        elif theory == "kmax":
            betas = _dense(xs, xlog)
            twin = ax.twinx()
            line = _draw_kmax(twin, betas, _kmax_values(betas, _param("d", ds, kwargs, context)), KMAX_LABEL)
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
    fig.colorbar(mesh, ax=list(axes), label=_reduced_label(ds, var, reduce, sl).replace(" (", "\n(", 1))
    if title is None:
        context_text = _context_title(ds, sl)
        title = f"{var}" + (f": {context_text}" if context_text else "")
    fig.suptitle(textwrap.fill(title, int(11 * width)), fontsize=10)
    return save_figure(fig, path)


# ---------------------------------------------------------------------------------------
# curves
# ---------------------------------------------------------------------------------------
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
    cmap = plt.get_cmap("viridis")
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
    var = _check_var(ds, var)
    x = _check_dim(ds, var, "x", x)
    if hue is not None:
        hue = _check_dim(ds, var, "hue", hue)
        if hue == x:
            raise fail("hue", hue, "is the same dim as x", "pass another dim, or None")
    reduce = _check_reduce(reduce)
    band = _check_band(band)
    kwargs = _check_theory(theory, theory_kwargs, (None, "kmax"))
    if theory == "kmax" and x != "beta":
        raise fail("theory", theory, f"is drawn against beta, got x={x!r}", "pass x='beta'")

    keep = {"x": x, "hue": hue} if hue is not None else {"x": x}
    sl = _prepare(ds, var, keep, select, at_time)
    values = sl.values if hue is not None else sl.values[:, None, :]      # (nx, nh, m)
    center = _reduce(values, reduce) if sl.reduced else values[..., 0]
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
        std = _prepare(ds, f"{var}_std", keep, select, at_time).values
        std = std if hue is not None else std[:, None, :]
        lo_hi = (center - std[..., 0], center + std[..., 0])
        band_label = "mean ± std over samples (stored)"

    xs = sl.coords[x]
    xpos = _positions(xs)
    hues = sl.coords[hue] if hue is not None else np.array([None])
    colors = _hue_colors(hues.size)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    handles: list[Any] = []
    for j, hv in enumerate(hues):
        label = f"{hue} = {_fmt(hv)}" if hue is not None else _reduced_label(ds, var, reduce, sl)
        (line,) = ax.plot(xpos, center[:, j], marker="o", ms=3, lw=1.4, color=colors[j], label=label)
        handles.append(line)
        if lo_hi is not None:
            poly = ax.fill_between(xpos, lo_hi[0][:, j], lo_hi[1][:, j], color=colors[j], alpha=0.22, lw=0,
                                   label=band_label if j == 0 else "_nolegend_")
            if j == 0:
                handles.append(poly)
    _setup_axis(ax, "x", x, xs)
    ax.set_ylabel(_reduced_label(ds, var, reduce, sl))
    ax.grid(alpha=0.3)

    if theory == "kmax":
        xlog = _is_log(xs)
        betas = _dense(xs, xlog)
        same = var in _COUNT_VARS
        target = ax if same else ax.twinx()
        per_hue = hue == "d" and "d" not in kwargs           # one k_max curve per d
        for j, hv in enumerate(hues if per_hue else [None]):
            context = dict(sl.picked)
            if hue is not None and hv is not None:
                context[hue] = hv
            d = _param("d", ds, kwargs, context)
            label = f"{KMAX_LABEL[:-1]}, d = {_fmt(d)})" if per_hue else KMAX_LABEL
            color = colors[j] if per_hue else _OVERLAY_COLOR
            handles.append(_draw_kmax(target, betas, _kmax_values(betas, d), label, color=color))
        if not same:
            target.set_ylabel("k_max (theory)")
        ax.set_xlim(float(xpos.min()), float(xpos.max()))
    if len(handles) > 1 or theory is not None:
        legend_ax = target if theory == "kmax" else ax        # the top axes, so lines do not hide it
        legend_ax.legend(handles=handles, fontsize=8, loc="best", framealpha=0.8)
    if title is None:
        context_text = _context_title(ds, sl)
        title = f"{var}" + (f": {context_text}" if context_text else "")
    ax.set_title(textwrap.fill(title, 85), fontsize=9)
    return save_figure(fig, path)
