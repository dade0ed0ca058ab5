"""The grid of a sweep: its axes, the run file of each cell, and the cell seeds.

A sweep file is a run file plus a ``[sweep]`` table (:mod:`~attnflow.sweep.models`). :func:`parse_sweep`
validates it into a :class:`SweepSpec`: every axis value is built into the run file of one cell
(with the first value of the other axes), so a bad value fails before any task starts.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from ..config import parse_config, read_toml
from ..config.errors import file_error, from_validation_error, prefix, show
from .models import SweepSection
from .store import META_VARIABLES

__all__ = ["SHORT_AXES", "Axis", "SweepSpec", "load_sweep", "parse_sweep"]

#: bare axis names and the run-file key they stand for
SHORT_AXES: dict[str, tuple[str, str]] = {
    "d": ("model", "d"), "beta": ("model", "beta"), "normalization": ("model", "normalization"),
    "n": ("init", "n"), "kappa": ("init", "kappa"), "offset": ("init", "offset"),
    "dt": ("run", "dt"), "method": ("run", "method"), "backend": ("run", "backend"),
}
#: keys that cannot be axes: the time dim and the stored variables are shared by all cells
_FIXED_KEYS = {("run", "t0"), ("run", "t1"), ("run", "save_every"), ("run", "save_at"),
               ("run", "observables"), ("run", "save_states"), ("init", "batch")}
_RESERVED_DIMS = ("time", "sample")


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
        where = ", ".join(f"{k} = {show(v)}" for k, v in self.coords(index).items())
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
class _SweepTable(BaseModel):
    """The ``[sweep]`` table of a sweep file (the run tables are validated per cell)."""

    model_config = ConfigDict(extra="ignore")
    sweep: SweepSection


def _axis_path(key: str, source: str | None) -> tuple[str, ...]:
    where = f"{prefix(source)} [sweep.axes].{key}"
    if key == "replica":
        return ("replica",)
    if "." not in key:
        if key in SHORT_AXES:
            return SHORT_AXES[key]
        listed = ", ".join(sorted(SHORT_AXES))
        raise ValueError(f"{where}: {key!r} is not a short axis name. Fix: use one of {listed}, "
                         f"'replica', or a dotted path such as \"model.A.seed\".")
    path = tuple(key.split("."))
    if path[0] not in ("model", "init", "run") or len(path) < 2 or not all(path):
        raise ValueError(f"{where}: a dotted axis must start with model., init. or run. "
                         f"Fix: write e.g. \"model.beta\" or \"init.kappa\".")
    if path[:2] in _FIXED_KEYS:
        raise ValueError(f"{where}: {key!r} cannot be an axis (every cell shares the saved times "
                         "and variables, and [sweep].samples sets the batch). Fix: fix it in the run "
                         "sections; for more times save more of them (save_every).")
    return path


def _dim_names(paths: list[tuple[str, ...]]) -> list[str]:
    """"model.beta" -> "beta", "model.A.seed" -> "A_seed"; a clash of last keys keeps the section."""
    names = [p[-1] if len(p) <= 2 else "_".join(p[1:]) for p in paths]
    return [name if names.count(name) == 1 else "_".join(p) for p, name in zip(paths, names, strict=True)]


def parse_sweep(data: Mapping[str, Any], source: str | None = None) -> SweepSpec:
    """Validate a parsed sweep file (a dict): a run file plus a ``[sweep]`` table.

    Every axis value is checked by building the run file of one cell per axis value (with
    the first value of the other axes), so a bad value fails here, not on a worker.

    Raises
    ------
    ValueError naming the file, the table, the key, the value and the fix.
    """
    where = prefix(source)
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} (top level): expected a table, got {show(data)}. Fix: pass the parsed "
                         "TOML document (a dict).")
    data = dict(data)
    if "sweep" not in data:
        raise ValueError(f"{where} (top level): no [sweep] section. Fix: add [sweep] and a [sweep.axes] "
                         "table (see docs/sweeps.md), or run a single file with `attnflow simulate`.")
    try:
        table = _SweepTable.model_validate(data).sweep
    except ValidationError as exc:
        raise from_validation_error(exc, _SweepTable, source) from None
    data.pop("sweep")
    if isinstance(data.get("init"), Mapping) and "batch" in data["init"]:
        raise ValueError(f"{where} [init]: 'batch' is set by the sweep. Fix: remove it and write "
                         "[sweep].samples instead.")
    run = data.get("run", {})
    if isinstance(run, Mapping) and run.get("save_states", False):
        raise file_error(source, "[run].save_states", run["save_states"], "a sweep stores observables only",
                         "drop save_states and list what to keep in [run].observables")
    paths = [_axis_path(str(k), source) for k in table.axes]
    if len(set(paths)) != len(paths):
        raise ValueError(f"{where} [sweep.axes]: two keys name the same parameter. Fix: keep one.")
    names = _dim_names(paths)
    for name in names:
        if name in _RESERVED_DIMS or name in META_VARIABLES:
            raise ValueError(f"{where} [sweep.axes]: the dim name {name!r} is reserved. Fix: use another "
                             "parameter.")
    axes = tuple(Axis(path, name, table.axis_values(key))
                 for key, path, name in zip(table.axes, paths, names, strict=True))
    for axis in axes:
        if len(axis.path) > 2:
            parent = _get_path(data, axis.path[:-1])
            if not isinstance(parent, Mapping):
                raise ValueError(
                    f"{where} [sweep.axes].{'.'.join(axis.path)}: [{'.'.join(axis.path[:-1])}] is not a "
                    f"table in the run sections (got {show(parent)}). Fix: write it as a table, e.g. "
                    f'{axis.path[-2]} = {{ ensemble = "ginibre", seed = 0 }}.')
    seed_axes = table.seed_axes if table.seed_axes is not None else tuple(names)
    if any(s not in names for s in seed_axes):
        raise file_error(source, "[sweep].seed_axes", list(seed_axes), f"must list axis names among {names}",
                         "list the axes along which the initial configurations change, or drop the key")
    spec = SweepSpec(base=data, axes=axes, seed=table.seed, samples=table.samples,
                     keep_samples=table.keep_samples, seed_axes=tuple(seed_axes), retries=table.retries,
                     source=source)
    first = next(spec.cells())
    for k, axis in enumerate(spec.axes):           # every axis value against the others' first
        for i in range(len(axis.values)):
            spec.cell_config((*first[:k], i, *first[k + 1:]))
    return spec


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep file (TOML)."""
    return parse_sweep(read_toml(path), source=str(path))
