"""Runs as labelled data: Solution <-> xarray.Dataset <-> Zarr (default) or NetCDF (``.nc``).

The layout is that of :mod:`attnflow.io.layout`. Whole runs are written to a temporary path and
renamed into place, so a file at ``path`` is always complete. :func:`load` also reads a run store
that is being written or was killed (:mod:`attnflow.io.runstore`): it returns the committed saves
and the status, and it refuses data that a damaged store cannot deliver (a missing or undecodable
chunk) with the variable and the saves concerned, instead of returning Zarr's fill value.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..solution import Solution
from ..validation import fail
from .layout import attrs as layout_attrs
from .layout import coords, model_from, state_dims, static_vars
from .runstore import writer_alive
from .stores import consolidated, has_consolidated_metadata, is_netcdf, remove_store, zarr_root_attrs

__all__ = ["DamagedStoreError", "from_dataset", "load", "save", "save_dataset", "to_dataset"]

_CHECKPOINT = ("checkpoint_x", "checkpoint_t", "checkpoint_index", "checkpoint_h")


class DamagedStoreError(ValueError):
    """A store's committed data cannot be read back (a chunk is missing or undecodable)."""


def to_dataset(sol: Solution):
    """The run as an ``xarray.Dataset`` (see :mod:`attnflow.io.layout`)."""
    import xarray as xr

    shape = tuple(sol.metadata.get("state_shape") or sol.x.shape[1:])
    data = dict(static_vars(sol.model))
    if sol.x is not None:
        data["x"] = (("time", *state_dims(shape)), sol.x)
    for name, values in sol.observables.items():
        dims = ("time", "batch") if np.ndim(values) == 2 else ("time",)
        data[name] = (dims, np.asarray(values))
    meta = dict(sol.metadata)
    meta["observables"] = list(sol.observables)
    meta["state_shape"] = list(shape)
    ds = xr.Dataset(data, coords={"time": np.asarray(sol.t, dtype=np.float64), **coords(shape)},
                    attrs=layout_attrs(sol.model, sol.method, sol.dt, meta))
    ds["time"].attrs["long_name"] = "time in the units of the flow equations"
    if "x" in ds:
        ds["x"].attrs["long_name"] = "token positions on the unit sphere"
    return ds


def from_dataset(ds) -> Solution:
    """Rebuild a :class:`Solution` from a dataset written by :func:`to_dataset`."""
    try:
        meta = json.loads(ds.attrs["attnflow_metadata"])
        model = model_from(dict(ds.attrs), ds["A"].values if "A" in ds else None,
                           ds["V"].values if "V" in ds else None)
    except (KeyError, TypeError, ValueError) as err:
        raise fail("ds", "Dataset", f"lacks or mangles the attnflow attribute or variable {err}",
                   "load stores written by attnflow (io.save or simulate(store=...))") from None
    names = meta.get("observables", [])
    return Solution(
        t=ds["time"].values.astype(np.float64),
        x=ds["x"].values if "x" in ds else None,
        model=model, method=str(ds.attrs["method"]), dt=float(ds.attrs["dt"]),
        observables={k: ds[k].values for k in names},
        metadata=meta,
    )


def _write_atomically(ds, path: Path) -> None:
    """Write ``ds`` next to ``path`` and rename it into place (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        if is_netcdf(path):
            ds.to_netcdf(tmp, engine="scipy")
        else:
            with consolidated():
                ds.to_zarr(tmp, mode="w", consolidated=True, zarr_format=3)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        raise


def save(sol: Solution, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a run to ``path``: Zarr (a directory) by default, NetCDF when it ends in ``.nc``.

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is false, or if
    ``overwrite`` is true but ``path`` is not an attnflow run store (it is never deleted then).
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise FileExistsError(f"path={str(path)!r} exists. Fix: pass overwrite=True or "
                                  "choose another path")
        remove_store(path, "run")
    _write_atomically(to_dataset(sol), path)
    return path


def save_dataset(ds, path: str | os.PathLike) -> Path:
    """Write any dataset (e.g. a mean-field solution) to Zarr, or NetCDF for ``.nc``; never overwrites."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"path={str(path)!r} exists. Fix: choose another path or remove it")
    _write_atomically(ds, path)
    return path


def _status(attrs: dict, meta: dict) -> str:
    """The run's status; a store still "running" whose writer is gone was killed."""
    status = str(meta.get("status", attrs.get("status", "unknown")))
    if status == "running" and writer_alive(attrs) is False:
        return "killed"
    return status


def _read_variable(ds, name: str, n: int, path: Path) -> np.ndarray:
    """The first ``n`` saves of variable ``name``, checked: a missing chunk (Zarr's NaN fill) or an
    undecodable one is a :class:`DamagedStoreError` naming the variable and the saves."""
    var = ds[name].isel(time=slice(0, n))
    chunk = (var.encoding.get("chunks") or (max(n, 1),))[0]
    try:
        values = var.values
    except Exception as exc:                       # a codec error: find the chunk that fails
        for k0 in range(0, n, chunk):
            try:
                np.asarray(ds[name].isel(time=slice(k0, min(n, k0 + chunk))))
            except Exception:
                raise DamagedStoreError(
                    f"store={str(path)!r}: variable {name!r} cannot be decoded at saves {k0}.."
                    f"{min(n, k0 + chunk) - 1} ({type(exc).__name__}: {exc}). Fix: the store is damaged; "
                    "re-run (or resume from an intact copy)") from None
        raise
    bad = ~np.isfinite(values.reshape(n, -1)).all(axis=1) if n else np.zeros(0, bool)
    if np.any(bad):
        idx = np.flatnonzero(bad)
        t = ds["time"].values
        raise DamagedStoreError(
            f"store={str(path)!r}: variable {name!r} is missing (or non-finite) at {idx.size} committed "
            f"saves, {idx[0]}..{idx[-1]} (t = {t[idx[0]]:g}..{t[idx[-1]]:g}): a chunk file is gone or was "
            "never written. Fix: the store is damaged; re-run (or resume from an intact copy)")
    return values


def load(path: str | os.PathLike) -> Solution:
    """Read a run written by :func:`save` or by ``simulate(store=...)`` (also while it runs).

    For a store in progress or killed, the result holds the committed saves and
    ``metadata["status"]`` is "running", "killed" (the writer is gone), "interrupted", ...

    Raises
    ------
    FileNotFoundError if ``path`` does not exist; ValueError if it is not an attnflow run;
    :class:`DamagedStoreError` if committed data cannot be read back.
    """
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r} does not exist. Fix: check the path")
    if is_netcdf(path):
        try:
            with xr.open_dataset(path, engine="scipy") as ds:
                if "attnflow_metadata" not in ds.attrs:
                    raise fail("path", str(path), "is a NetCDF file but not an attnflow run (no attnflow "
                               "metadata)", "pass a file written by attnflow.io.save")
                return from_dataset(ds.load())
        except (TypeError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise fail("path", str(path), f"is not a NetCDF run written by attnflow ({first})",
                       "pass a file written by attnflow.io.save") from None
    attrs = zarr_root_attrs(path) if path.is_dir() else None
    if attrs is None or "attnflow_metadata" not in attrs:
        what = "an attnflow sweep store" if (attrs or {}).get("kind") == "attnflow sweep" else \
            "not an attnflow run (no Zarr group with attnflow metadata)"
        raise fail("path", str(path), f"is {what}", "pass a store written by simulate(store=...) or io.save")
    with xr.open_zarr(path, consolidated=has_consolidated_metadata(path), mask_and_scale=False) as ds:
        ds = ds.drop_vars([v for v in _CHECKPOINT if v in ds])
        n = int(attrs.get("committed", ds.sizes.get("time", 0)))
        meta = json.loads(attrs["attnflow_metadata"])
        names = [v for v in ds.data_vars if "time" in ds[v].dims]
        data = {name: _read_variable(ds, name, n, path) for name in names}
        sub = ds.isel(time=slice(0, n)).drop_vars(names).load()
        for name, values in data.items():
            sub[name] = (ds[name].dims, values)
        sub.attrs = dict(ds.attrs, attnflow_metadata=json.dumps(dict(meta, status=_status(attrs, meta))))
    return from_dataset(sub)
