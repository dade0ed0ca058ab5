"""The data of a sweep figure: one variable of a sweep store selected, masked and reduced.

Used by :mod:`attnflow.plot.sweeps`. The store is an :class:`xarray.Dataset` whose data
variables have the dims ``(*axes, [sample], time)`` (see :mod:`attnflow.sweep`); a figure keeps
one or two dims, reduces ``sample`` / ``replica``, and selects one value of every other dim.
xarray is never imported here: the functions only use the dataset they are given.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..sweep import META_VARIABLES
from ..validation import fail

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["REDUCTIONS", "Slice", "check_dim", "check_reduce", "check_var", "context_title", "coord_values",
           "fixed_params", "fmt", "grid_axes", "numeric", "pick", "prepare", "reduce_samples",
           "reduced_label", "values_text", "variables"]

#: NaN-aware reductions over the ``sample`` / ``replica`` dims
REDUCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "mean": np.nanmean, "median": np.nanmedian, "max": np.nanmax, "min": np.nanmin, "std": np.nanstd,
}
_REDUCED_DIMS = ("replica", "sample")          # reduced unless plotted or selected


@dataclass
class Slice:
    """The data of one figure: kept dims first, the reduced samples flattened last."""

    values: np.ndarray                       # (*kept sizes, m) float64
    coords: dict[str, np.ndarray]            # kept dim -> coordinate values (numeric ones sorted)
    picked: dict[str, Any] = field(default_factory=dict)   # dim -> coordinate value used
    reduced: dict[str, int] = field(default_factory=dict)  # reduced dim -> its size


def fmt(value: Any) -> str:
    """A coordinate value as short text (floats with %g, NumPy scalars unwrapped)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def values_text(values: np.ndarray, cap: int = 8) -> str:
    """The first ``cap`` values as "[a, b, ...]" for error messages."""
    shown = ", ".join(fmt(v) for v in values[:cap])
    return f"[{shown}{', ...' if values.size > cap else ''}]"


def variables(ds: xr.Dataset) -> list[str]:
    """The data variables that are observables (not the per-cell metadata)."""
    return [str(v) for v in ds.data_vars if v not in META_VARIABLES]


def grid_axes(ds: xr.Dataset) -> list[str]:
    """The grid axes in store order: ``ds.attrs["axes"]``, else every dim but time and sample."""
    axes = ds.attrs.get("axes")
    if isinstance(axes, (list, tuple)) and all(isinstance(a, str) for a in axes):
        return [a for a in axes if a in ds.dims]
    return [str(d) for d in ds.dims if d not in ("time", "sample")]


def check_var(ds: xr.Dataset, var: Any) -> str:
    """``var`` if it names a numeric data variable of the store."""
    names = variables(ds)
    if not isinstance(var, str) or var not in ds.data_vars:
        raise fail("var", var, f"is not a data variable of the sweep (observables: {names})",
                   f"pass one of {names}" if names else "pass the name of a stored variable")
    if ds[var].dtype.kind not in "biuf":
        raise fail("var", var, f"has dtype {ds[var].dtype}, not numbers", f"pass one of {names}")
    return var


def check_dim(ds: xr.Dataset, var: str, name: str, dim: Any) -> str:
    """``dim`` if it is a dim of ``var`` (``name`` is the argument that gave it: x, y, facet, hue)."""
    dims = [str(d) for d in ds[var].dims]
    if not isinstance(dim, str) or dim not in dims:
        raise fail(name, dim, f"is not a dim of {var!r} (its dims: {dims})", f"pass one of {dims}")
    return dim


def coord_values(ds: xr.Dataset, dim: str) -> np.ndarray:
    """The coordinate values of ``dim`` (object strings as str)."""
    values = np.asarray(ds[dim].values)
    if values.dtype.kind == "O":
        values = values.astype(str)
    return values


def numeric(values: np.ndarray) -> bool:
    """Whether the coordinate values are numbers (else categories)."""
    return values.dtype.kind in "biuf"


def pick(ds: xr.Dataset, dim: str, value: Any, name: str, arg: Any) -> int:
    """Index of ``value`` along ``dim``: nearest for float coordinates, exact otherwise."""
    coord = coord_values(ds, dim)
    listing = f"the values of {dim} are {values_text(coord, 12)}"
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
    if numeric(coord):
        hits = np.flatnonzero(coord == value) if isinstance(value, (int, float, np.number)) and \
            not isinstance(value, bool) else np.array([], dtype=int)
    else:
        hits = np.flatnonzero(coord == str(value)) if isinstance(value, str) else np.array([], dtype=int)
    if hits.size == 0:
        raise fail(name, arg, f"asks {dim} = {value!r}, which is not present; {listing}", fix)
    return int(hits[0])


def prepare(ds: xr.Dataset, var: str, keep: Mapping[str, str], select: Any, at_time: Any) -> Slice:
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
        indexers[dim] = pick(ds, dim, value, "select", select)
    if "time" in dims and "time" not in kept and "time" not in indexers:
        indexers["time"] = coord_values(ds, "time").size - 1 if at_time is None else \
            pick(ds, "time", at_time, "at_time", at_time)
    elif at_time is not None:
        raise fail("at_time", at_time, "is given but time is plotted, selected or not a dim of "
                   f"{var!r}", "drop at_time")
    rest = [d for d in dims if d not in kept and d not in indexers]
    reduce_dims = [d for d in rest if d in _REDUCED_DIMS]
    for d in rest:
        if d not in reduce_dims and da.sizes[d] == 1:
            indexers[d] = 0
    order = {d: i for i, d in enumerate(grid_axes(ds))}           # report the first grid axis first
    leftover = sorted((d for d in rest if d not in reduce_dims and d not in indexers),
                      key=lambda d: order.get(d, len(order)))
    if leftover:
        d = leftover[0]
        coord = coord_values(ds, d)
        first = coord[0].item() if isinstance(coord[0], np.generic) else coord[0]
        raise fail("select", select if select else None,
                   f"leaves the axis {d!r} ({coord.size} values {values_text(coord)}) neither plotted, "
                   "selected nor reduced",
                   f"select one value, e.g. select={{{d!r}: {first!r}}}, or plot {d!r} as x, y, facet "
                   "or hue")
    for d, i in indexers.items():
        picked[d] = coord_values(ds, d)[i]
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
        c = coord_values(ds, dim)
        if numeric(c):
            order = np.argsort(c, kind="stable")
            c = c[order]
            values = np.take(values, order, axis=axis)
        coords[dim] = c
    return Slice(values, coords, picked, {d: int(da.sizes[d]) for d in reduce_dims})


def check_reduce(reduce: Any) -> str:
    """``reduce`` if it names one of :data:`REDUCTIONS`."""
    if not isinstance(reduce, str) or reduce not in REDUCTIONS:
        raise fail("reduce", reduce, "is not a known reduction", f"pass one of {tuple(REDUCTIONS)}")
    return reduce


def reduce_samples(values: np.ndarray, reduce: str) -> np.ndarray:
    """Reduce the last axis NaN-aware; an all-NaN slice gives NaN (silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return REDUCTIONS[reduce](values, axis=-1)


def reduced_label(ds: xr.Dataset, var: str, reduce: str, sl: Slice) -> str:
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



def fixed_params(ds: xr.Dataset) -> dict[str, Any]:
    """The fixed run parameters recorded in ``ds.attrs["fixed"]`` (a dict, or JSON of one)."""
    fixed = ds.attrs.get("fixed") or {}
    if isinstance(fixed, str):
        try:
            fixed = json.loads(fixed)
        except ValueError:
            fixed = {}
    return dict(fixed) if isinstance(fixed, Mapping) else {}


def context_title(ds: xr.Dataset, sl: Slice) -> str:
    """Selected values and fixed parameters, e.g. "d = 2, time = 30 | n = 32, normalization = sa"."""
    picked = ", ".join(f"{k} = {fmt(v)}" for k, v in sl.picked.items())
    fixed = ", ".join(f"{k} = {fmt(v)}" for k, v in fixed_params(ds).items()
                      if k not in ds.dims and k != "kind" and not isinstance(v, (list, dict)))
    return " | ".join(p for p in (picked, fixed) if p)
