"""Runs as labelled data: Solution <-> xarray.Dataset <-> Zarr (default) or NetCDF (``.nc``).

Layout of a dataset: coordinates ``time`` (T,), ``batch`` (B,) when batched, ``particle``
(n,), ``dim`` (d,); the state ``x`` (time, [batch,] particle, dim) when states were saved;
one variable per observable (time[, batch]); ``A`` and ``V`` (row, col) when not the
identity. Attributes carry the model (d, beta, normalization), the method, dt, the seed, the
package version, and the full provenance as JSON under ``attnflow_metadata``.

A run with ``store=PATH`` writes through :class:`RunStore`: saves are buffered and appended
along ``time``; with each flush a checkpoint (the latest state, its grid index and time) is
written, so an interrupted run resumes from it and nothing written is lost.
"""

from __future__ import annotations

import json
import os
import shutil
import time as _time
from pathlib import Path

import numpy as np
import xarray as xr

from ._version import __version__
from .model import AttentionModel
from .solution import Solution
from .validation import fail

__all__ = ["RunStore", "check_overwritable", "from_dataset", "load", "remove_store", "save",
           "save_dataset", "store_kind", "to_dataset"]

_CHECKPOINT = ("checkpoint_x", "checkpoint_t", "checkpoint_index", "checkpoint_h")


def _state_dims(shape: tuple[int, ...]) -> tuple[str, ...]:
    return ("batch", "particle", "dim") if len(shape) == 3 else ("particle", "dim")


def _coords(state_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    coords = {"particle": np.arange(state_shape[-2]), "dim": np.arange(state_shape[-1])}
    if len(state_shape) == 3:
        coords["batch"] = np.arange(state_shape[0])
    return coords


def _attrs(model: AttentionModel, method: str, dt: float, metadata: dict) -> dict:
    """Flat, NetCDF-safe attributes plus the full provenance as JSON."""
    meta = {k: v for k, v in metadata.items() if k not in ("A", "V")}
    meta.setdefault("attnflow_version", __version__)
    attrs = {
        "d": model.d, "beta": model.beta, "normalization": model.normalization,
        "identity_A": int(model.A is None), "identity_V": int(model.V is None),
        "method": method, "dt": float(dt), "attnflow_version": meta["attnflow_version"],
        "attnflow_metadata": json.dumps(meta, default=_json_default),
    }
    for key in ("seed", "backend", "status", "t0", "t1"):
        if meta.get(key) is not None:
            attrs[key] = meta[key] if not isinstance(meta[key], bool) else int(meta[key])
    return attrs


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _static_vars(model: AttentionModel) -> dict[str, tuple]:
    out = {}
    if model.A is not None:
        out["A"] = (("row", "col"), model.A)
    if model.V is not None:
        out["V"] = (("row", "col"), model.V)
    return out


def to_dataset(sol: Solution) -> xr.Dataset:
    """The run as an ``xarray.Dataset`` (see the module docstring for the layout)."""
    shape = tuple(sol.metadata.get("state_shape") or sol.x.shape[1:])
    data = dict(_static_vars(sol.model))
    if sol.x is not None:
        data["x"] = (("time", *_state_dims(shape)), sol.x)
    for name, values in sol.observables.items():
        dims = ("time", "batch") if np.ndim(values) == 2 else ("time",)
        data[name] = (dims, np.asarray(values))
    meta = dict(sol.metadata)
    meta["observables"] = list(sol.observables)
    meta["state_shape"] = list(shape)
    ds = xr.Dataset(data, coords={"time": np.asarray(sol.t, dtype=np.float64), **_coords(shape)},
                    attrs=_attrs(sol.model, sol.method, sol.dt, meta))
    ds["time"].attrs["long_name"] = "time in the units of the flow equations"
    if "x" in ds:
        ds["x"].attrs["long_name"] = "token positions on the unit sphere"
    return ds


def from_dataset(ds: xr.Dataset) -> Solution:
    """Rebuild a :class:`Solution` from a dataset written by :func:`to_dataset`."""
    try:
        meta = json.loads(ds.attrs["attnflow_metadata"])
        model = AttentionModel(
            d=int(ds.attrs["d"]), beta=float(ds.attrs["beta"]),
            A=ds["A"].values if "A" in ds else None, V=ds["V"].values if "V" in ds else None,
            normalization=str(ds.attrs["normalization"]))
    except KeyError as err:
        raise fail("ds", "Dataset", f"lacks the attnflow attribute or variable {err}",
                   "load stores written by attnflow (io.save or simulate(store=...))") from None
    names = meta.get("observables", [])
    return Solution(
        t=ds["time"].values.astype(np.float64),
        x=ds["x"].values if "x" in ds else None,
        model=model, method=str(ds.attrs["method"]), dt=float(ds.attrs["dt"]),
        observables={k: ds[k].values for k in names},
        metadata=meta,
    )


def _is_netcdf(path: Path) -> bool:
    return path.suffix.lower() in (".nc", ".nc4", ".netcdf")


_ZARR_META = frozenset({"zarr.json", ".zgroup", ".zattrs", ".zmetadata", ".zarray"})


def _zarr_root_attrs(path: Path) -> dict | None:
    """Root attributes of a Zarr group at ``path`` (v3 or v2), or None if it is not one."""
    v3, v2 = path / "zarr.json", path / ".zgroup"
    try:
        if v3.is_file():
            meta = json.loads(v3.read_text())
            if meta.get("node_type") != "group":
                return None
            return dict(meta.get("attributes") or {})
        if v2.is_file():
            attrs = path / ".zattrs"
            return json.loads(attrs.read_text()) if attrs.is_file() else {}
    except (OSError, ValueError, AttributeError):
        return None
    return None


def _foreign_entry(path: Path) -> Path | None:
    """The first entry of a Zarr directory that is neither Zarr metadata nor an array/group."""
    for entry in sorted(path.iterdir()):
        if entry.name in _ZARR_META:
            continue
        if entry.is_dir() and not entry.is_symlink() and any(
                (entry / m).is_file() for m in ("zarr.json", ".zarray", ".zgroup")):
            continue
        return entry
    return None


def store_kind(path: str | os.PathLike) -> str | None:
    """``"run"`` or ``"sweep"`` when ``path`` is recognisably an attnflow store, else None.

    A run store is a Zarr group (or NetCDF file) whose root attributes carry
    ``attnflow_metadata``, or a run store in progress (it holds ``checkpoint_x``); a sweep
    store is a Zarr group with ``kind = "attnflow sweep"``. A Zarr directory that also holds
    files of another kind is not recognised (they might be the user's).
    """
    path = Path(path)
    if path.is_symlink() or not path.exists():
        return None
    if path.is_file():
        if not _is_netcdf(path):
            return None
        try:
            with xr.open_dataset(path, engine="scipy") as ds:
                return "run" if "attnflow_metadata" in ds.attrs else None
        except Exception:                                  # not a NetCDF file we can read
            return None
    attrs = _zarr_root_attrs(path)
    if attrs is None or _foreign_entry(path) is not None:
        return None
    if attrs.get("kind") == "attnflow sweep":
        return "sweep"
    if "attnflow_metadata" in attrs or (path / "checkpoint_x").is_dir():
        return "run"
    return None


def check_overwritable(path: str | os.PathLike, kind: str = "run", *, name: str = "path") -> None:
    """Raise ``FileExistsError`` unless ``path`` is an attnflow store of ``kind`` (or absent).

    The guard of every ``overwrite``: a directory or file that is not recognisably an attnflow
    store of that kind (see :func:`store_kind`) is never deleted.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    found = store_kind(path)
    if found != kind:
        what = (f"is an attnflow {found} store, not a {kind} store" if found else
                f"is not an attnflow {kind} store, so overwriting it could delete your files")
        if found is None and path.is_dir() and _zarr_root_attrs(path) is not None:
            extra = _foreign_entry(path)
            if extra is not None:
                what += f" (it holds {extra.name!r}, which Zarr did not write)"
        raise FileExistsError(f"{name}={str(path)!r} {what}; nothing was deleted. "
                              "Fix: choose a new path, or remove it yourself if it is yours to delete")


def remove_store(path: str | os.PathLike, kind: str = "run", *, name: str = "path") -> None:
    """Delete ``path`` if it is an attnflow store of ``kind`` ("run" or "sweep"), else refuse
    with the ``FileExistsError`` of :func:`check_overwritable` (nothing is deleted then)."""
    path = Path(path)
    check_overwritable(path, kind, name=name)
    if not path.exists():
        return
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


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
    ds = to_dataset(sol)
    if _is_netcdf(path):
        ds.to_netcdf(path, engine="scipy")
    else:
        ds.to_zarr(path, mode="w", consolidated=False)
    return path


def save_dataset(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write any dataset (e.g. a mean-field solution) to Zarr, or NetCDF for ``.nc``; never overwrites."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"path={str(path)!r} exists. Fix: choose another path or remove it")
    if _is_netcdf(path):
        ds.to_netcdf(path, engine="scipy")
    else:
        ds.to_zarr(path, mode="w", consolidated=False)
    return path


def load(path: str | os.PathLike) -> Solution:
    """Read a run written by :func:`save` or by ``simulate(store=...)``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r} does not exist. Fix: check the path")
    if _is_netcdf(path):
        with xr.open_dataset(path, engine="scipy") as ds:
            return from_dataset(ds.load())
    with xr.open_zarr(path, consolidated=False) as ds:
        ds = ds.drop_vars([v for v in _CHECKPOINT if v in ds]).load()
    return from_dataset(ds)


class RunStore:
    """An appendable Zarr store for a run in progress (used by ``simulate(store=...)``).

    Saves are buffered in memory and appended along ``time`` at most every
    ``flush_seconds`` (and always on :meth:`flush`); each flush also writes a checkpoint:
    the state at a grid point, its index and time, and the adaptive step size.
    """

    def __init__(self, path: Path, model: AttentionModel, method: str, dt: float,
                 state_shape: tuple[int, ...], dtype, save_states: bool,
                 observables: list[str], attrs: dict, n_saved: int, flush_seconds: float):
        self.path = path
        self.model = model
        self.method = method
        self.dt = dt
        self.state_shape = tuple(state_shape)
        self.dtype = np.dtype(dtype)
        self.save_states = save_states
        self.observables = list(observables)
        self.attrs = attrs
        self.n_saved = n_saved
        self.flush_seconds = flush_seconds
        self._buf_t: list[float] = []
        self._buf_x: list[np.ndarray] = []
        self._buf_obs: dict[str, list] = {k: [] for k in self.observables}
        self._last_flush = _time.monotonic()

    # -- creation and reopening ----------------------------------------------------------
    @classmethod
    def create(cls, path, model: AttentionModel, method: str, dt: float, x0: np.ndarray,
               save_states: bool, observables: list[str], metadata: dict,
               flush_seconds: float = 5.0) -> RunStore:
        """Start a new store at ``path`` (which must not exist) holding the initial checkpoint."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(
                f"store={str(path)!r} already exists. Fix: pass resume=True to continue that "
                "run, or remove the store / choose another path")
        shape = tuple(x0.shape)
        meta = dict(metadata, observables=list(observables), state_shape=list(shape),
                    save_states=bool(save_states), status="running")
        attrs = _attrs(model, method, dt, meta)
        dims = _state_dims(shape)
        data = dict(_static_vars(model))
        data["checkpoint_x"] = (dims, x0)
        data["checkpoint_t"] = ((), float(metadata.get("t0", 0.0)))
        data["checkpoint_index"] = ((), np.int64(0))
        data["checkpoint_h"] = ((), float(dt))
        ds = xr.Dataset(data, coords=_coords(shape), attrs=attrs)
        ds.to_zarr(path, mode="w", consolidated=False)
        return cls(path, model, method, dt, shape, x0.dtype, save_states, observables, attrs,
                   0, flush_seconds)

    @classmethod
    def open(cls, path, flush_seconds: float = 5.0) -> tuple[RunStore, dict]:
        """Reopen a store to resume; returns the store and its checkpoint
        (keys ``x``, ``t``, ``index``, ``h``) and saved times ``saved_t``."""
        path = Path(path)
        with xr.open_zarr(path, consolidated=False) as ds:
            try:
                meta = json.loads(ds.attrs["attnflow_metadata"])
                cp = {"x": ds["checkpoint_x"].values, "t": float(ds["checkpoint_t"]),
                      "index": int(ds["checkpoint_index"]), "h": float(ds["checkpoint_h"])}
            except KeyError:
                raise fail("store", str(path), "is not a resumable attnflow run store",
                           "resume only from stores written by simulate(store=...)") from None
            saved_t = ds["time"].values if "time" in ds.coords else np.empty(0)
            sol_model = from_dataset(ds.drop_vars(list(_CHECKPOINT))).model
        shape = tuple(meta["state_shape"])
        store = cls(path, sol_model, str(ds.attrs["method"]), float(ds.attrs["dt"]), shape,
                    cp["x"].dtype, bool(meta["save_states"]), meta["observables"],
                    dict(ds.attrs), int(saved_t.size), flush_seconds)
        cp["saved_t"] = saved_t
        cp["metadata"] = meta
        return store, cp

    # -- writing -------------------------------------------------------------------------
    def append(self, t: float, x: np.ndarray, obs: dict[str, np.ndarray]) -> None:
        """Buffer one save (state ``x`` is copied only when states are saved)."""
        self._buf_t.append(float(t))
        if self.save_states:
            self._buf_x.append(np.array(x, copy=True))
        for k in self.observables:
            self._buf_obs[k].append(obs[k])

    def due(self) -> bool:
        """Whether the buffer should be flushed now (time since the last flush)."""
        return bool(self._buf_t) and _time.monotonic() - self._last_flush >= self.flush_seconds

    def flush(self, checkpoint: tuple[np.ndarray, float, int, float] | None = None) -> None:
        """Append buffered saves, then write ``checkpoint = (x, t, index, h)`` if given.

        The data is written before the checkpoint, so a crash between the two leaves a
        checkpoint that is older than the data; resuming then rewrites nothing twice
        because saves are matched by time (see ``simulate``).
        """
        if self._buf_t:
            dims = _state_dims(self.state_shape)
            data = {}
            if self.save_states:
                data["x"] = (("time", *dims), np.stack(self._buf_x))
            for k, vals in self._buf_obs.items():
                arr = np.asarray(vals)
                data[k] = (("time", "batch") if arr.ndim == 2 else ("time",), arr)
            ds = xr.Dataset(data, coords={"time": np.asarray(self._buf_t)})
            if self.n_saved == 0:
                ds.to_zarr(self.path, mode="a", consolidated=False)
            else:
                ds.to_zarr(self.path, append_dim="time", consolidated=False)
            self.n_saved += len(self._buf_t)
            self._buf_t.clear()
            self._buf_x.clear()
            for v in self._buf_obs.values():
                v.clear()
        if checkpoint is not None:
            x, t, index, h = checkpoint
            dims = _state_dims(self.state_shape)
            cp = xr.Dataset({
                "checkpoint_x": (dims, np.asarray(x)),
                "checkpoint_t": ((), float(t)),
                "checkpoint_index": ((), np.int64(index)),
                "checkpoint_h": ((), float(h)),
            }, coords=_coords(self.state_shape))
            cp.to_zarr(self.path, mode="r+", consolidated=False)
        self._last_flush = _time.monotonic()

    def finish(self, metadata: dict) -> None:
        """Record the final status and provenance in the store's attributes."""
        import zarr

        group = zarr.open_group(str(self.path), mode="r+")
        attrs = _attrs(self.model, self.method, self.dt, metadata)
        group.attrs.update(attrs)
