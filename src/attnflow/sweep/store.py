"""The Zarr store of a sweep: created once with every cell missing, then written cell by cell.

The store holds the dims ``(*axes, [sample], time)``; one data variable per observable (NaN
until computed); ``status`` per cell (1 done, 0 missing, -1 failed), ``seed``, ``wall_time``,
``worker`` (index in the order workers first delivered) and ``write_count`` (how many times a
cell was written: 1 for every done cell). Its metadata is written once, consolidated (so
``xarray.open_zarr`` reads it in one request, without a warning), and never changes afterwards:
the writer only fills chunks, data first and ``status`` last, so an interrupted sweep keeps
every finished cell.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..io.stores import consolidated, has_consolidated_metadata

if TYPE_CHECKING:
    from .spec import SweepSpec

__all__ = ["META_VARIABLES", "CellResult", "Writer", "create_store", "open_sweep"]

#: per-cell bookkeeping variables of a sweep store (not observables)
META_VARIABLES = ("status", "seed", "wall_time", "worker", "write_count")

@dataclass
class CellResult:
    """What a task returns: the cell's values (name -> (time,) or (sample, time)) and provenance."""

    index: tuple[int, ...]
    values: dict[str, np.ndarray] | None
    status: int
    seed: int
    wall_time: float
    worker: str = ""
    message: str = ""


def _coord(values: tuple[Any, ...]) -> np.ndarray:
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)         # variable-length strings (a Zarr v3 spec type)
    return np.array(values)


def create_store(spec: SweepSpec, path: Path) -> None:
    """Write the store's metadata, coordinates and the per-cell seeds; data stays unwritten (NaN)."""
    import dask.array as da
    import xarray as xr

    dims = spec.dims
    shape = spec.shape
    cell_chunks = (1,) * len(shape)
    times = spec.times()
    coords: dict[str, Any] = {a.name: _coord(a.values) for a in spec.axes}
    coords["time"] = times
    data_dims, data_shape = list(dims), list(shape)
    if spec.samples is not None and spec.keep_samples:
        data_dims.append("sample")
        data_shape.append(spec.samples)
        coords["sample"] = np.arange(spec.samples)
    data_dims.append("time")
    data_shape.append(times.size)
    chunks = cell_chunks + tuple(data_shape[len(shape):])
    variables: dict[str, Any] = {}
    for name in spec.variables():
        variables[name] = (data_dims, da.full(data_shape, np.nan, chunks=chunks))
    seeds = np.array([spec.cell_seed(i) for i in spec.cells()], dtype=np.int64).reshape(shape)
    variables["seed"] = (dims, seeds)
    variables["status"] = (dims, da.zeros(shape, dtype=np.int8, chunks=cell_chunks))
    variables["wall_time"] = (dims, da.full(shape, np.nan, chunks=cell_chunks))
    variables["worker"] = (dims, da.full(shape, -1, dtype=np.int16, chunks=cell_chunks))
    variables["write_count"] = (dims, da.zeros(shape, dtype=np.int16, chunks=cell_chunks))
    ds = xr.Dataset(variables, coords=coords)
    ds["status"].attrs["meaning"] = "1 done, 0 missing, -1 failed (non-finite state or overflow)"
    ds["worker"].attrs["meaning"] = "index of the worker that computed the cell, in order of first result"
    ds.attrs.update({
        "attnflow_version": __version__, "kind": "attnflow sweep", "sweep": spec.to_json(),
        "axes": list(dims), "fixed": spec.fixed(), "samples": spec.samples or 0,
        "source": spec.source or "", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })
    with consolidated():
        ds.to_zarr(path, mode="w", compute=False, consolidated=True)


def open_sweep(path: str | os.PathLike):
    """The sweep store as a lazy ``xarray.Dataset`` (dims ``(*axes, [sample], time)``)."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"store={str(path)!r} does not exist. Fix: check the path or run "
                                "`attnflow sweep CONFIG.toml --store PATH` first.")
    ds = xr.open_zarr(path, consolidated=has_consolidated_metadata(path))  # older stores: none
    if ds.attrs.get("kind") != "attnflow sweep":
        raise ValueError(f"store={str(path)!r} is not an attnflow sweep store (no 'kind' attribute). "
                         "Fix: pass a store written by `attnflow sweep`.")
    return ds


class Writer:
    """Writes finished cells into the store (the client is the only writer)."""

    def __init__(self, spec: SweepSpec, path: Path):
        import zarr

        self.variables = spec.variables()               # parsed once, not per cell
        self.group = zarr.open_group(str(path), mode="r+")
        self.workers: dict[str, int] = {}

    def write(self, res: CellResult) -> None:
        g, idx = self.group, tuple(res.index)
        if res.values is not None:
            for name in self.variables:
                g[name][idx] = res.values[name]
        wid = self.workers.setdefault(res.worker, len(self.workers))
        g["wall_time"][idx] = res.wall_time
        g["worker"][idx] = wid
        g["write_count"][idx] = int(g["write_count"][idx]) + 1
        g["status"][idx] = res.status                      # last: a cell is done once this lands
