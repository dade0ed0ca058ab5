"""A run store written as the run goes, readable at every moment, resumable after any kill.

The commit protocol (every write of Zarr 3's local store is atomic: a temporary file, then a
rename; the store's own attribute file is replaced the same way here):

1. At creation every array is allocated at its final size: ``time`` holds all the save times,
   ``x`` and the observables are filled with NaN, ``checkpoint_x`` has two slots. No array's
   metadata changes afterwards, so the consolidated metadata written once stays true.
2. A flush writes the buffered saves into the rows after the committed ones, then the latest
   checkpoint state into the slot that is not the committed one.
3. Then one atomic replacement of the root attributes advances ``committed`` (the number of
   saves that are valid), the checkpoint (slot, time, grid index, step) and the status.

A kill at any moment leaves the last commit intact: readers (:func:`attnflow.io.load`, another
process, ``attnflow plot``) and ``resume`` trust only the first ``committed`` saves and the
committed checkpoint slot; rows written past it are rewritten on resume, so nothing is
duplicated and a resumed run equals the uninterrupted one bit for bit.
"""

from __future__ import annotations

import json
import os
import socket
import time as _time
import uuid
from pathlib import Path

import numpy as np

from ..validation import fail
from .layout import attrs as layout_attrs
from .layout import coords, json_default, matrix_dims, model_from, state_dims
from .stores import consolidated

__all__ = ["RunStore", "read_commit", "writer_alive"]

#: target bytes of one chunk of saved states
_CHUNK_BYTES = 1 << 22


def _write_root_attrs(path: Path, attrs: dict) -> None:
    """Replace the root group's attributes in one atomic rename (keeps consolidated metadata)."""
    meta_path = path / "zarr.json"
    meta = json.loads(meta_path.read_text())
    meta["attributes"] = attrs
    tmp = path / f"zarr.json.{uuid.uuid4().hex}.partial"
    tmp.write_text(json.dumps(meta, default=json_default))
    os.replace(tmp, meta_path)


def read_commit(path: Path) -> dict:
    """The root attributes of a run store (the commit record included), read from disk."""
    return json.loads((Path(path) / "zarr.json").read_text()).get("attributes", {})


def writer_alive(attrs: dict) -> bool | None:
    """Whether the process that wrote the store last still runs (None: it ran on another host)."""
    writer = attrs.get("writer") or {}
    if writer.get("host") != socket.gethostname() or not writer.get("pid"):
        return None
    try:
        os.kill(int(writer["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    """An incrementally written Zarr run store (used by ``simulate(store=...)``).

    Saves are buffered in memory and committed at most every ``flush_seconds`` (and always on
    :meth:`flush`) by the protocol of the module docstring.
    """

    def __init__(self, path: Path, attrs: dict, state_shape: tuple[int, ...], save_states: bool,
                 observables: list[str], flush_seconds: float):
        import zarr

        self.path = Path(path)
        self.attrs = dict(attrs)
        self.state_shape = tuple(state_shape)
        self.save_states = save_states
        self.observables = list(observables)
        self.flush_seconds = flush_seconds
        self.committed = int(self.attrs["committed"])
        self.slot = int(self.attrs["checkpoint"]["slot"])
        self._group = zarr.open_group(str(self.path), mode="r+")
        self._buf: list[tuple[float, np.ndarray | None, dict]] = []
        self._last_flush = _time.monotonic()

    # -- creation and reopening ----------------------------------------------------------
    @classmethod
    def create(cls, path, model, method: str, dt: float, x0: np.ndarray, save_times: np.ndarray,
               save_states: bool, observables: list[str], metadata: dict,
               flush_seconds: float = 5.0) -> RunStore:
        """Allocate a new store at ``path`` (which must not exist) holding the initial checkpoint."""
        import zarr

        path = Path(path)
        if path.exists() or path.is_symlink():
            raise FileExistsError(
                f"store={str(path)!r} already exists. Fix: pass resume=True to continue that "
                "run, or remove the store / choose another path")
        shape = tuple(x0.shape)
        T = int(save_times.size)
        meta = dict(metadata, observables=list(observables), state_shape=list(shape),
                    save_states=bool(save_states), status="running")
        root_attrs = layout_attrs(model, method, dt, meta)
        root_attrs.update(committed=0, n_saves=T,
                          checkpoint={"slot": 0, "t": float(metadata.get("t0", 0.0)), "index": 0,
                                      "h": float(dt)},
                          writer={"pid": os.getpid(), "host": socket.gethostname()})
        try:
            root = zarr.open_group(str(path), mode="w-", zarr_format=3)
        except (PermissionError, FileNotFoundError) as exc:
            raise fail("store", str(path), f"cannot be created ({exc.strerror or exc})",
                       "choose a path in a writable directory that exists") from None
        dims = state_dims(shape)
        for name, values in coords(shape).items():
            root.create_array(name, data=values, dimension_names=[name])
        tchunk = max(1, min(T, 1 << 20))
        t_arr = root.create_array("time", shape=(T,), chunks=(tchunk,), dtype="float64", fill_value=np.nan,
                                  dimension_names=["time"],
                                  attributes={"long_name": "time in the units of the flow equations"})
        t_arr[:] = save_times
        if save_states:
            per = max(1, x0.nbytes)
            c = max(1, min(T, _CHUNK_BYTES // per))
            root.create_array("x", shape=(T, *shape), chunks=(c, *shape), dtype=x0.dtype,
                              fill_value=np.nan, dimension_names=["time", *dims],
                              attributes={"long_name": "token positions on the unit sphere"})
        obs_shape = (shape[0],) if len(shape) == 3 else ()
        obs_dims = ["batch"] if len(shape) == 3 else []
        for name in observables:
            root.create_array(name, shape=(T, *obs_shape), chunks=(max(1, min(T, 1 << 14)), *obs_shape),
                              dtype="float64", fill_value=np.nan, dimension_names=["time", *obs_dims])
        for name in ("A", "V"):
            mat = getattr(model, name)
            if mat is not None:
                root.create_array(name, data=np.asarray(mat), dimension_names=list(matrix_dims(mat)))
        cp = root.create_array("checkpoint_x", shape=(2, *shape), chunks=(1, *shape), dtype=x0.dtype,
                               fill_value=np.nan, dimension_names=["slot", *dims])
        cp[0] = x0
        with consolidated():
            zarr.consolidate_metadata(str(path))
        _write_root_attrs(path, root_attrs)
        return cls(path, root_attrs, shape, save_states, observables, flush_seconds)

    @classmethod
    def open(cls, path, flush_seconds: float = 5.0) -> tuple[RunStore, dict]:
        """Reopen a store to resume; returns the store and its committed checkpoint (keys ``x``,
        ``t``, ``index``, ``h``, ``saved_t`` (the committed save times) and ``metadata``)."""
        import zarr

        path = Path(path)
        attrs = read_commit(path)
        if "committed" not in attrs or "checkpoint" not in attrs or "attnflow_metadata" not in attrs:
            raise fail("store", str(path), "is not a resumable attnflow run store (no commit record: "
                       "not a run store, or one written by an attnflow older than 0.2)",
                       "resume only from stores written by simulate(store=...) of this version")
        mine = (attrs.get("writer") or {}).get("pid") == os.getpid()
        if attrs.get("status") == "running" and writer_alive(attrs) and not mine:
            raise fail("store", str(path), f"is being written by process {attrs['writer']['pid']}",
                       "wait for it to finish or stop it before resuming")
        meta = json.loads(attrs["attnflow_metadata"])
        cpr = attrs["checkpoint"]
        group = zarr.open_group(str(path), mode="r")
        committed = int(attrs["committed"])
        cp = {"x": np.asarray(group["checkpoint_x"][int(cpr["slot"])]), "t": float(cpr["t"]),
              "index": int(cpr["index"]), "h": float(cpr["h"]),
              "saved_t": np.asarray(group["time"][:committed]), "metadata": meta}
        if not np.all(np.isfinite(cp["x"])):
            raise fail("store", str(path), "has a damaged checkpoint (non-finite or missing state)",
                       "start a new run; the saves already committed can still be loaded")
        attrs["writer"] = {"pid": os.getpid(), "host": socket.gethostname()}
        store = cls(path, attrs, tuple(meta["state_shape"]), bool(meta["save_states"]),
                    list(meta["observables"]), flush_seconds)
        store.model = model_from(attrs, np.asarray(group["A"]) if "A" in group else None,
                                 np.asarray(group["V"]) if "V" in group else None)
        store.method, store.dt = str(attrs["method"]), float(attrs["dt"])
        store._commit()
        return store, cp

    # -- writing -------------------------------------------------------------------------
    @property
    def n_saved(self) -> int:
        """Number of committed saves."""
        return self.committed

    def append(self, t: float, x: np.ndarray, obs: dict[str, object]) -> None:
        """Buffer one save (the state is copied only when states are saved)."""
        self._buf.append((float(t), np.array(x, copy=True) if self.save_states else None, dict(obs)))

    def due(self) -> bool:
        """Whether the buffer should be flushed now (time since the last flush)."""
        return bool(self._buf) and _time.monotonic() - self._last_flush >= self.flush_seconds

    def flush(self, checkpoint: tuple[np.ndarray, float, int, float, int] | None = None) -> None:
        """Commit the buffered saves up to ``checkpoint = (x, t, index, h, n_saved)``.

        Saves after the checkpoint's ``n_saved`` (recorded but not yet covered by a
        checkpoint) stay in the buffer; without a checkpoint nothing is committed.
        """
        if checkpoint is None:
            return
        x, t, index, h, n_saved = checkpoint
        n_new = int(n_saved) - self.committed
        if n_new < 0 or n_new > len(self._buf):
            raise RuntimeError(f"store {self.path}: checkpoint covers {n_saved} saves, "
                               f"{self.committed} committed and {len(self._buf)} buffered")
        rows, self._buf = self._buf[:n_new], self._buf[n_new:]
        k0, k1 = self.committed, self.committed + n_new
        try:
            if rows:
                if self.save_states:
                    self._group["x"][k0:k1] = np.stack([r[1] for r in rows])
                for name in self.observables:
                    self._group[name][k0:k1] = np.asarray([r[2][name] for r in rows], dtype=np.float64)
            slot = 1 - self.slot
            self._group["checkpoint_x"][slot] = np.asarray(x)
            self.attrs["committed"] = k1
            self.attrs["checkpoint"] = {"slot": slot, "t": float(t), "index": int(index), "h": float(h)}
            self._commit()
        except BaseException:
            self._buf = rows + self._buf                  # nothing committed: keep them for a retry
            raise
        self.committed, self.slot = k1, slot
        self._last_flush = _time.monotonic()

    def _commit(self) -> None:
        _write_root_attrs(self.path, self.attrs)

    def finish(self, model, method: str, dt: float, metadata: dict) -> None:
        """Record the final status and provenance in the root attributes (one atomic write)."""
        fresh = layout_attrs(model, method, dt, metadata)
        keep = {k: self.attrs[k] for k in ("committed", "n_saves", "checkpoint") if k in self.attrs}
        self.attrs = {**fresh, **keep}
        self._commit()
