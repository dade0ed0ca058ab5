"""Parameter sweeps: a grid of runs as one xarray/Zarr store, computed on Dask.

A sweep file is a run file (``[model]``, ``[init]``, ``[run]``, see :mod:`attnflow.config`)
plus a ``[sweep]`` table naming the grid axes. Every cell of the grid is one run (one Dask
task) whose seed is derived from the cell's coordinates, so a cell's result does not depend
on which worker ran it, in which order, or whether it was retried:

.. code-block:: toml

    [model]
    d = 2
    beta = 1.0                      # overridden by the axis below
    normalization = "sa"

    [init]
    kind = "uniform"
    n = 32

    [run]
    t1 = 30.0
    dt = 0.1
    method = "layer"
    save_every = 1.0
    observables = ["clustering_density"]

    [sweep]
    seed = 0                        # master seed: cell seed = hash(seed, coordinates)
    samples = 64                    # independent initial configurations per cell (batched)
    keep_samples = false            # store mean and std over samples instead of every sample

    [sweep.axes]
    beta = { start = 0.1, stop = 9.0, num = 90 }       # linspace (add log = true: geomspace)
    "model.d" = [2, 8]                                 # any key of [model]/[init]/[run] by path
    replica = 2                                        # replicas: independent seeds 0..R-1

The parts: :mod:`.models` (the ``[sweep]`` table), :mod:`.spec` (the grid, the cells and their
seeds), :mod:`.store` (the Zarr store and its writer), :mod:`.lock` (one writer per store) and
:mod:`.runner` (Dask or serial execution, progress). Every key: docs/sweeps.md.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the submodule defining it (imported on first use: pydantic, xarray and Dask
#: stay out of ``import attnflow`` until a sweep is read or run)
_HOMES = {
    "META_VARIABLES": "store", "SHORT_AXES": "spec", "Axis": "spec", "CellResult": "store",
    "RangeTable": "models", "SweepSection": "models", "SweepSpec": "spec", "SweepSummary": "runner",
    "check_writable": "lock", "load_sweep": "spec", "open_sweep": "store", "parse_sweep": "spec",
    "run_cell": "runner", "run_sweep": "runner",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
