"""Parameter sweeps: a grid of runs as one xarray/Zarr store, computed on Dask.

A sweep file is a run file (``[model]``, ``[init]``, ``[run]``, see :mod:`attnflow.config`)
plus a ``[sweep]`` section naming the grid axes. Every cell of the grid is one run (one Dask
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

The store holds the dims ``(*axes, [sample], time)``; one data variable per observable (NaN
until computed); ``status`` per cell (1 done, 0 missing, -1 failed), ``seed``, ``wall_time``,
``worker`` (index in the order workers first delivered) and ``write_count`` (how many times
a cell was written: 1 for every done cell, which tests check after killing workers). Cells
are written by the client as they finish, data first and ``status`` last, so an interrupted
sweep keeps every finished cell and ``resume=True`` computes exactly the missing ones.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .config import _check_keys, _error, _show, parse_config, read_toml

__all__ = [
    "META_VARIABLES",
    "SHORT_AXES",
    "Axis",
    "CellResult",
    "SweepSpec",
    "SweepSummary",
    "load_sweep",
    "open_sweep",
    "parse_sweep",
    "run_cell",
    "run_sweep",
]

#: bare axis names and the run-file key they stand for
SHORT_AXES: dict[str, tuple[str, str]] = {
    "d": ("model", "d"), "beta": ("model", "beta"), "normalization": ("model", "normalization"),
    "n": ("init", "n"), "kappa": ("init", "kappa"), "offset": ("init", "offset"),
    "dt": ("run", "dt"), "method": ("run", "method"), "backend": ("run", "backend"),
}
#: keys that cannot be axes: the time dim and the stored variables are shared by all cells
_FIXED_KEYS = {("run", "t0"), ("run", "t1"), ("run", "save_every"), ("run", "save_at"),
               ("run", "observables"), ("run", "save_states"), ("init", "batch")}
_SWEEP_KEYS = ("seed", "samples", "keep_samples", "axes", "seed_axes", "retries")
_RESERVED_DIMS = ("time", "sample")
#: per-cell bookkeeping variables of a sweep store (not observables)
META_VARIABLES = ("status", "seed", "wall_time", "worker", "write_count")


# ---------------------------------------------------------------------------------------
# the grid
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One grid axis: a run-file key (``path``), its dim ``name`` and its ``values``.

    ``path`` is ``("model", "beta")``, ``("model", "A", "seed")``, ... or ``("replica",)`` for
    the replica axis (independent seeds, no run-file key).
    """

    path: tuple[str, ...]
    name: str
    values: tuple[Any, ...]

    @property
    def is_replica(self) -> bool:
        return self.path == ("replica",)


@dataclass(frozen=True, eq=False)
class SweepSpec:
    """A validated sweep: the base run file, the axes, and how seeds and samples are made.

    Attributes
    ----------
    base : the run file as a dict (``[model]``, ``[init]``, ``[run]``, optional name).
    axes : the grid axes, in the order of the store's dims.
    seed : master seed of the cell seeds.
    samples : independent initial configurations per cell (``[init].batch``), or None.
    keep_samples : store every sample (dim ``sample``) or their mean and std.
    seed_axes : names of the axes the cell seed depends on (default: all). Cells differing only
        along the other axes share their initial configurations (common random numbers).
    retries : how often a task that raised is retried by Dask (a lost worker is always retried).
    source : the file it was read from.
    """

    base: dict[str, Any]
    axes: tuple[Axis, ...]
    seed: int = 0
    samples: int | None = None
    keep_samples: bool = True
    seed_axes: tuple[str, ...] = ()
    retries: int = 2
    source: str | None = field(default=None, compare=False)

    # -- the grid ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    def cells(self) -> Iterator[tuple[int, ...]]:
        """Every cell index, in C order."""
        yield from np.ndindex(*self.shape)

    def coords(self, index: Sequence[int]) -> dict[str, Any]:
        """name -> value of the cell at ``index``."""
        return {a.name: a.values[i] for a, i in zip(self.axes, index, strict=True)}

    # -- one cell ---------------------------------------------------------------------
    def cell_seed(self, index: Sequence[int]) -> int:
        """The cell's seed: a hash of the master seed and its coordinates along ``seed_axes``.

        Uses BLAKE2b of a canonical JSON text, so it is the same on every machine and Python
        version and does not change when other values are added to an axis.
        """
        coords = self.coords(index)
        key = json.dumps([self.seed, [[name, coords[name]] for name in self.seed_axes]],
                         sort_keys=True)
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") % (2**31 - 1)

    def cell_document(self, index: Sequence[int]) -> dict[str, Any]:
        """The run file of one cell as a dict: the base with the cell's axis values set."""
        doc = copy.deepcopy(self.base)
        for axis, i in zip(self.axes, index, strict=True):
            if not axis.is_replica:
                _set_path(doc, axis.path, axis.values[i])
        init = doc.setdefault("init", {})
        if init.get("kind", "uniform") in ("uniform", "vmf") and not self._has_axis(("init", "seed")):
            init["seed"] = self.cell_seed(index)
        if self.samples is not None:
            init["batch"] = self.samples
        doc.setdefault("run", {})["save_states"] = False
        return doc

    def cell_config(self, index: Sequence[int]):
        """The validated :class:`~attnflow.config.RunConfig` of one cell."""
        where = ", ".join(f"{k} = {_show(v)}" for k, v in self.coords(index).items())
        try:
            return parse_config(self.cell_document(index), source=self.source)
        except ValueError as exc:
            raise ValueError(f"sweep cell ({where}): {exc}") from None

    def _has_axis(self, path: tuple[str, ...]) -> bool:
        return any(a.path == path for a in self.axes)

    # -- what every cell shares ---------------------------------------------------------
    def times(self) -> np.ndarray:
        """The saved times, the same for every cell."""
        return self.cell_config(next(self.cells())).run.save_times()

    def observables(self) -> tuple[str, ...]:
        return self.cell_config(next(self.cells())).run.observables

    def variables(self) -> tuple[str, ...]:
        """Names of the stored data variables (observables, with ``_std`` when samples are averaged)."""
        names = self.observables()
        if self.samples is not None and not self.keep_samples:
            return tuple(v for name in names for v in (name, f"{name}_std"))
        return names

    def fixed(self) -> dict[str, Any]:
        """Scalar parameters that are not axes (for figures and theory overlays)."""
        out: dict[str, Any] = {}
        for short, path in SHORT_AXES.items():
            value = _get_path(self.base, path)
            if value is not None and not self._has_axis(path):
                out[short] = value
        if not self._has_axis(("model", "normalization")):
            out.setdefault("normalization", "sa")
        if not self._has_axis(("run", "method")):
            out.setdefault("method", "rk4")
        out["kind"] = self.base.get("init", {}).get("kind", "uniform")
        return out

    def to_json(self) -> str:
        """Canonical JSON of everything that determines the results (stored in the sweep)."""
        return json.dumps({
            "base": self.base, "seed": self.seed, "samples": self.samples,
            "keep_samples": self.keep_samples, "seed_axes": list(self.seed_axes),
            "axes": [{"path": list(a.path), "name": a.name, "values": list(a.values)} for a in self.axes],
        }, sort_keys=True)

    def fingerprint(self) -> str:
        return hashlib.blake2b(self.to_json().encode(), digest_size=6).hexdigest()

    def __repr__(self) -> str:
        grid = " x ".join(f"{a.name}[{len(a.values)}]" for a in self.axes)
        return f"SweepSpec({grid} = {self.size} cells, samples={self.samples}, seed={self.seed})"


def _set_path(doc: dict, path: tuple[str, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _get_path(doc: Mapping, path: tuple[str, ...]) -> Any:
    node: Any = doc
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


# ---------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------
def _axis_values(where: str, raw: Any, replica: bool) -> tuple[Any, ...]:
    fix = ("write a list such as [1.0, 2.0], or a table { start = 0.1, stop = 9.0, num = 90 } "
           "(add log = true for geometric spacing)")
    if replica:
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw < 1:
                raise _error(where, raw, "must be >= 1", "give the number of replicas, e.g. replica = 4")
            return tuple(range(raw))
        if isinstance(raw, list) and raw and all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            return tuple(raw)
        raise _error(where, raw, "must be a number of replicas or a list of integers",
                     "write replica = 4 (replicas 0..3) or replica = [0, 1, 2]")
    if isinstance(raw, list):
        if not raw:
            raise _error(where, raw, "holds no values", fix)
        kinds = {type(v) for v in raw}
        if kinds <= {int, float} and float in kinds:
            raw = [float(v) for v in raw]
        elif len(kinds) > 1 or not kinds <= {int, float, str, bool}:
            raise _error(where, raw, "mixes value types or holds tables/lists", fix)
        if len(set(raw)) != len(raw):
            raise _error(where, raw, "repeats a value", "list each value once")
        return tuple(raw)
    if isinstance(raw, Mapping):
        table = dict(raw)
        _check_keys(where, table, ("start", "stop", "num", "log"), " (a range table)")
        for key in ("start", "stop", "num"):
            if key not in table:
                raise ValueError(f"config {where}: the range table has no {key!r}. Fix: {fix}.")
        start, stop, num = table["start"], table["stop"], table["num"]
        for key, v in (("start", start), ("stop", stop)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise _error(f"{where}.{key}", v, "must be a finite number", fix)
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise _error(f"{where}.num", num, "must be an integer >= 1", "e.g. num = 10")
        log = table.get("log", False)
        if not isinstance(log, bool):
            raise _error(f"{where}.log", log, "must be true or false", "write log = true or drop it")
        if log:
            if start <= 0 or stop <= 0:
                raise _error(where, raw, "log spacing needs start > 0 and stop > 0",
                             "use positive bounds or drop log = true")
            values = np.geomspace(start, stop, num)
        else:
            values = np.linspace(start, stop, num)
        return tuple(float(v) for v in values)
    raise _error(where, raw, f"has type {type(raw).__name__}", fix)


def _axis_path(key: str) -> tuple[str, ...]:
    where = f"[sweep.axes].{key}"
    if key == "replica":
        return ("replica",)
    if "." not in key:
        if key in SHORT_AXES:
            return SHORT_AXES[key]
        listed = ", ".join(sorted(SHORT_AXES))
        raise ValueError(f"config {where}: {key!r} is not a short axis name. Fix: use one of {listed}, "
                         f"'replica', or a dotted path such as \"model.A.seed\".")
    path = tuple(key.split("."))
    if path[0] not in ("model", "init", "run") or len(path) < 2 or not all(path):
        raise ValueError(f"config {where}: a dotted axis must start with model., init. or run. "
                         f"Fix: write e.g. \"model.beta\" or \"init.kappa\".")
    if path[:2] in _FIXED_KEYS:
        raise ValueError(f"config {where}: {key!r} cannot be an axis (every cell shares the saved times "
                         "and variables, and [sweep].samples sets the batch). Fix: fix it in the run "
                         "sections; for more times save more of them (save_every).")
    return path


def _dim_names(paths: list[tuple[str, ...]]) -> list[str]:
    """"model.beta" -> "beta", "model.A.seed" -> "A_seed"; a clash of last keys keeps the section."""
    names = [p[-1] if len(p) <= 2 else "_".join(p[1:]) for p in paths]
    return [name if names.count(name) == 1 else "_".join(p) for p, name in zip(paths, names, strict=True)]


def parse_sweep(data: Mapping[str, Any], source: str | None = None) -> SweepSpec:
    """Validate a parsed sweep file (a dict): a run file plus a ``[sweep]`` section.

    Every axis value is checked by building the run file of one cell per axis value (with
    the first value of the other axes), so a bad value fails here, not on a worker.

    Raises
    ------
    ValueError naming the key, the value and the fix.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"config (top level): expected a table, got {_show(data)}.")
    data = dict(data)
    if "sweep" not in data:
        raise ValueError("config (top level): no [sweep] section. Fix: add [sweep] and a [sweep.axes] "
                         "table (see docs/sweeps.md), or run a single file with `attnflow simulate`.")
    raw = data.pop("sweep")
    if not isinstance(raw, Mapping):
        raise ValueError(f"config [sweep]: expected a table, got {_show(raw)}.")
    raw = dict(raw)
    _check_keys("[sweep]", raw, _SWEEP_KEYS)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _error("[sweep].seed", seed, "must be an integer >= 0", "e.g. seed = 0")
    samples = raw.get("samples")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise _error("[sweep].samples", samples, "must be an integer >= 1",
                     "give the number of initial configurations per cell, e.g. samples = 64")
    keep = raw.get("keep_samples", True)
    if not isinstance(keep, bool):
        raise _error("[sweep].keep_samples", keep, "must be true or false",
                     "write keep_samples = false to store mean and std over samples")
    retries = raw.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _error("[sweep].retries", retries, "must be an integer >= 0", "e.g. retries = 2")
    if "batch" in data.get("init", {}):
        raise ValueError("config [init]: 'batch' is set by the sweep. Fix: remove it and write "
                         "[sweep].samples instead.")
    run = data.get("run", {})
    if isinstance(run, Mapping) and run.get("save_states", False):
        raise ValueError("config [run].save_states=true: a sweep stores observables only. Fix: drop "
                         "save_states and list what to keep in [run].observables.")
    axes_raw = raw.get("axes")
    if not isinstance(axes_raw, Mapping) or not axes_raw:
        raise ValueError("config [sweep]: no axes. Fix: add a [sweep.axes] table, e.g. "
                         "beta = [1.0, 2.0, 4.0].")
    paths = [_axis_path(str(k)) for k in axes_raw]
    if len(set(paths)) != len(paths):
        raise ValueError("config [sweep.axes]: two keys name the same parameter. Fix: keep one.")
    names = _dim_names(paths)
    for name in names:
        if name in _RESERVED_DIMS or name in META_VARIABLES:
            raise ValueError(f"config [sweep.axes]: the dim name {name!r} is reserved. Fix: use another "
                             "parameter.")
    axes = tuple(Axis(path, name, _axis_values(f"[sweep.axes].{key}", value, path == ("replica",)))
                 for (key, value), path, name in zip(axes_raw.items(), paths, names, strict=True))
    for axis in axes:
        if len(axis.path) > 2:
            parent = _get_path(data, axis.path[:-1])
            if not isinstance(parent, Mapping):
                raise ValueError(
                    f"config [sweep.axes].{'.'.join(axis.path)}: [{'.'.join(axis.path[:-1])}] is not a "
                    f"table in the run sections (got {_show(parent)}). Fix: write it as a table, e.g. "
                    f'{axis.path[-2]} = {{ ensemble = "ginibre", seed = 0 }}.')
    seed_axes = raw.get("seed_axes", [a.name for a in axes])
    if not isinstance(seed_axes, list) or any(s not in names for s in seed_axes):
        raise _error("[sweep].seed_axes", seed_axes, f"must list axis names among {names}",
                     "list the axes along which the initial configurations change, or drop the key")
    spec = SweepSpec(base=data, axes=axes, seed=seed, samples=samples, keep_samples=keep,
                     seed_axes=tuple(seed_axes), retries=retries, source=source)
    first = next(spec.cells())
    for k, axis in enumerate(spec.axes):           # every axis value against the others' first
        for i in range(len(axis.values)):
            spec.cell_config((*first[:k], i, *first[k + 1:]))
    if samples is None and not keep:
        raise _error("[sweep].keep_samples", keep, "needs [sweep].samples",
                     "set samples or drop keep_samples")
    return spec


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep file (TOML)."""
    return parse_sweep(read_toml(path), source=str(path))


# ---------------------------------------------------------------------------------------
# one cell (runs on a worker)
# ---------------------------------------------------------------------------------------
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


_MALLOC_TUNED = False


def _prepare_worker() -> str:
    """On a Dask worker: Numba threads = the worker's threads (BLAS is set to 1 by the nanny),
    and glibc's malloc thresholds raised once per process.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes
    glibc's mmap threshold at 128 KiB: every large NumPy temporary is then a fresh mmap whose
    pages fault in again, and a GLPR Fig. 3 cell (2048 x 32 tokens) ran 2.1x slower (6.4 s vs
    3.1 s, measured). ``mallopt`` restores heap reuse (trim at 256 MiB, mmap above 64 MiB).
    Returns the worker's address ("local" outside a worker).
    """
    global _MALLOC_TUNED
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return "local"
    import numba

    numba.set_num_threads(max(1, min(worker.state.nthreads, numba.config.NUMBA_NUM_THREADS)))
    if not _MALLOC_TUNED and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(-1, 256 << 20)                   # M_TRIM_THRESHOLD
            libc.mallopt(-3, 64 << 20)                    # M_MMAP_THRESHOLD
        except (OSError, AttributeError):                 # not glibc: nothing to tune
            pass
        _MALLOC_TUNED = True
    return str(worker.address)


def run_cell(spec: SweepSpec, index: tuple[int, ...]) -> CellResult:
    """Simulate one cell and return its stored values.

    A run that blows up (``FloatingPointError``: a non-finite state or an overflowing USA
    field) and a cell whose combination of axis values does not validate (``ValueError``, e.g.
    an ``init.mu`` of the wrong length for one of the ``d``) are *failed* cells (status -1, NaN
    values, the message kept), not a crashed sweep: retrying them would fail the same way.
    """
    where = _prepare_worker()
    start = time.perf_counter()
    try:
        cfg = spec.cell_config(index)
    except ValueError as exc:
        return CellResult(tuple(index), None, -1, spec.cell_seed(index), 0.0, where, str(exc))
    seed = cfg.init.seed if cfg.init.seed is not None else -1
    try:
        sol = cfg.simulate(progress=False)
    except FloatingPointError as exc:
        return CellResult(tuple(index), None, -1, seed, time.perf_counter() - start, where, str(exc))
    values: dict[str, np.ndarray] = {}
    for name, v in sol.observables.items():
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 2:                                   # (time, sample) -> (sample, time)
            v = v.T
            if not spec.keep_samples:
                values[name] = v.mean(axis=0)
                values[f"{name}_std"] = v.std(axis=0)
                continue
        values[name] = v
    return CellResult(tuple(index), values, 1, seed, time.perf_counter() - start, where)


# ---------------------------------------------------------------------------------------
# the store
# ---------------------------------------------------------------------------------------
def _coord(values: tuple[Any, ...]) -> np.ndarray:
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)         # variable-length strings (a Zarr v3 spec type)
    return np.array(values)


def _create_store(spec: SweepSpec, path: Path) -> None:
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
    ds.to_zarr(path, mode="w", compute=False, consolidated=False)


def open_sweep(path: str | os.PathLike):
    """The sweep store as a lazy ``xarray.Dataset`` (dims ``(*axes, [sample], time)``)."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"store={str(path)!r} does not exist. Fix: check the path or run "
                                "`attnflow sweep CONFIG.toml --store PATH` first.")
    ds = xr.open_zarr(path, consolidated=False)
    if ds.attrs.get("kind") != "attnflow sweep":
        raise ValueError(f"store={str(path)!r} is not an attnflow sweep store (no 'kind' attribute). "
                         "Fix: pass a store written by `attnflow sweep`.")
    return ds


class _Writer:
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


# ---------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """What a call of :func:`run_sweep` did."""

    store: Path
    total: int
    already_done: int
    computed: int
    failed: int
    lost: int
    seconds: float
    workers: int
    cells_per_worker: dict[str, int] = field(default_factory=dict)
    failures: dict[tuple[int, ...], str] = field(default_factory=dict)
    lost_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        """Cells still without a result (lost tasks); a rerun with resume computes them."""
        return self.total - self.already_done - self.computed - self.failed

    @property
    def rate(self) -> float:
        """Cells computed per second of wall time."""
        return (self.computed + self.failed) / self.seconds if self.seconds > 0 else math.inf

    def __str__(self) -> str:
        text = (f"sweep {self.store}: {self.total} cells; {self.already_done} already done, "
                f"{self.computed} computed, {self.failed} failed, {self.missing} missing; "
                f"{self.seconds:.1f} s on {self.workers} worker(s) ({self.rate:.3g} cells/s)")
        return text


def run_sweep(spec: SweepSpec, store: str | os.PathLike, *, scheduler: str | None = None,
              workers: int | None = None, client: Any = None, resume: bool = False,
              overwrite: bool = False, retry_failed: bool = False, progress: bool | None = None,
              max_cells: int | None = None,
              callback: Callable[[CellResult], None] | None = None) -> SweepSummary:
    """Compute every missing cell of a sweep and write it into the Zarr store ``store``.

    Parameters
    ----------
    spec : SweepSpec from :func:`load_sweep` / :func:`parse_sweep`.
    store : path of the Zarr store (created; with ``resume`` reused).
    scheduler : None (a ``LocalCluster`` of ``workers`` single-threaded processes), ``"serial"``
        (in this process, no Dask: a reference and a debugging aid), or the address of a running
        Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (``workers`` is then ignored).
    workers : worker processes of the local cluster (default: the CPU count).
    client : an existing ``distributed.Client`` to use instead (overrides ``scheduler``).
    resume : reuse an existing store made by the same sweep and compute only its missing cells.
    overwrite : replace an existing store.
    retry_failed : with ``resume``, also recompute failed cells (status -1).
    progress : rich progress bar (None: only when stderr is a terminal).
    max_cells : compute at most this many of the missing cells (then stop, as if interrupted).
    callback : called with each :class:`CellResult` after it is written (live monitoring); an
        exception it raises stops the sweep (the cells written so far are kept).

    Returns
    -------
    SweepSummary (counts of cells already done, computed, failed, lost; wall time; workers).

    Raises
    ------
    FileExistsError when ``store`` exists without ``resume`` or ``overwrite``; ValueError when
    resuming a store made by a different sweep. KeyboardInterrupt passes through after the
    finished cells are written.
    """
    path = Path(store)
    with _store_lock(path):
        return _run_locked(spec, path, scheduler, workers, client, resume, overwrite, retry_failed,
                           progress, max_cells, callback)


@contextlib.contextmanager
def _store_lock(path: Path) -> Iterator[None]:
    """Hold ``STORE.lock`` (pid and host) so that two sweeps never write one store at once.

    A lock left by a process that no longer runs on this host is taken over.
    """
    import socket

    lock = path.with_name(path.name + ".lock")
    host_here = socket.gethostname()
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            pid_text, host = "?", "?"
            try:
                pid_text, host = [*lock.read_text().split(maxsplit=1), "?", "?"][:2]
                pid = int(pid_text)
            except (OSError, ValueError):
                pid = -1
            if attempt == 0 and host.strip() == host_here and not _alive(pid):
                lock.unlink(missing_ok=True)                  # stale: its process is gone
                continue
            raise FileExistsError(
                f"store={str(path)!r} is being written by another sweep (process {pid_text} on "
                f"{host.strip()}, lock file {str(lock)!r}). Fix: wait for it to finish, or delete "
                "the lock file if that process is gone.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{os.getpid()} {host_here}")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                                   # exists, owned by someone else
        return True
    return True


def _run_locked(spec: SweepSpec, path: Path, scheduler: str | None, workers: int | None, client: Any,
                resume: bool, overwrite: bool, retry_failed: bool, progress: bool | None,
                max_cells: int | None, callback: Callable[[CellResult], None] | None) -> SweepSummary:
    reuse = resume and path.exists()
    if path.exists() and not resume and not overwrite:
        raise FileExistsError(f"store={str(path)!r} exists. Fix: pass resume=True (--resume) to "
                              "compute its missing cells, or overwrite=True (--overwrite).")
    if path.exists() and not reuse:
        from .io import check_overwritable

        check_overwritable(path, "sweep", name="store")      # before anything starts
    if reuse:
        _check_same_sweep(spec, path)
        status = np.asarray(open_sweep(path)["status"].values)
    else:
        status = np.zeros(spec.shape, dtype=np.int8)
    todo_mask = (status == 0) | ((status == -1) if retry_failed else False)
    todo = [tuple(int(i) for i in idx) for idx in np.argwhere(todo_mask)]
    already = spec.size - len(todo)
    if max_cells is not None:
        todo = todo[:max_cells]
    serial = client is None and scheduler == "serial"
    summary = SweepSummary(path, spec.size, already, 0, 0, 0, 0.0, 1 if serial else 0)
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # connect first: an unreachable scheduler leaves an existing store untouched
        active = None if serial or not todo else stack.enter_context(_connect(client, scheduler, workers))
        if not reuse:
            if path.exists():
                from .io import remove_store

                remove_store(path, "sweep", name="store")
            _create_store(spec, path)
        writer = _Writer(spec, path)
        bar = stack.enter_context(_Progress(spec.size, already, progress))

        def deliver(res: CellResult) -> None:
            writer.write(res)
            summary.cells_per_worker[res.worker] = summary.cells_per_worker.get(res.worker, 0) + 1
            if res.status == 1:
                summary.computed += 1
            else:
                summary.failed += 1
                summary.failures[res.index] = res.message
            bar.advance()
            if callback is not None:
                callback(res)

        if serial:
            for idx in todo:
                deliver(run_cell(spec, idx))
        elif active is not None:
            summary.workers, summary.lost = _run_dask(spec, todo, deliver, active, summary.lost_reasons)
    summary.seconds = time.perf_counter() - start
    return summary


def _check_same_sweep(spec: SweepSpec, path: Path) -> None:
    ds = open_sweep(path)
    stored = ds.attrs.get("sweep")
    if stored != spec.to_json():
        old = json.loads(stored) if stored else {}
        new = json.loads(spec.to_json())
        diff = [k for k in new if old.get(k) != new.get(k)]
        raise ValueError(f"store={str(path)!r} holds a different sweep (differs in: {', '.join(diff)}). "
                         "Fix: resume with the sweep file that made it, or pass overwrite=True "
                         "(--overwrite) to start over.")


@contextlib.contextmanager
def _connect(client: Any, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The Dask client to use: ``client``, one connected to ``scheduler``, or a new LocalCluster's."""
    if client is not None:
        yield client
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ImportError("sweeps need dask.distributed: pip install 'dask[distributed]'") from exc
    if scheduler is None:
        n = workers or os.cpu_count() or 1
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                          host="127.0.0.1") as cluster, Client(cluster) as own:
            yield own
    else:
        with Client(scheduler) as own:
            yield own


def _run_dask(spec: SweepSpec, todo: list[tuple[int, ...]], deliver, client: Any,
              reasons: dict[str, int]) -> tuple[int, int]:
    """Submit one task per cell and deliver results as they complete; returns (workers, lost).

    ``reasons`` collects the distinct errors of lost tasks.
    """
    from distributed import as_completed

    lost = 0
    futures = []
    try:
        n_workers = len(client.scheduler_info().get("workers", {}))
        tag = spec.fingerprint()
        spec_future = client.scatter(spec, broadcast=True, hash=False)
        futures = [client.submit(run_cell, spec_future, idx, key=f"attnflow-cell-{tag}-"
                                 + "-".join(map(str, idx)), retries=spec.retries, pure=False)
                   for idx in todo]
        done: set[tuple[int, ...]] = set()
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:               # KilledWorker, a bug: the cell stays missing
                lost += 1
                key = f"{type(exc).__name__}: {exc}"[:300]
                reasons[key] = reasons.get(key, 0) + 1
                continue
            finally:
                fut.release()
            if res.index in done:                  # never write a cell twice
                continue
            done.add(res.index)
            deliver(res)
        return n_workers, lost
    finally:
        for fut in futures:
            fut.cancel()


class _Progress:
    """A rich progress bar of cells (done / total, rate, ETA), or nothing."""

    def __init__(self, total: int, done: int, enabled: bool | None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self.total, self.done = total, done

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task("cells", total=self.total, completed=self.done, rate="")
            self._start, self._new = time.perf_counter(), 0
        return self

    def advance(self) -> None:
        if self.enabled:
            self._new += 1
            rate = self._new / max(time.perf_counter() - self._start, 1e-9)
            self._bar.update(self._task, advance=1, rate=f"{rate:.3g} cells/s")

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._bar.stop()
