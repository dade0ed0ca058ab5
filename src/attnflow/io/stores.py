"""What is an attnflow store, and the guard of every ``overwrite``: nothing else is ever deleted."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_overwritable", "consolidated", "has_consolidated_metadata", "is_netcdf", "remove_store",
           "store_kind"]

#: what Zarr says when consolidated metadata is written in format 3, where it is an extension that
#: Zarr itself and xarray read (attnflow's stores are read by them)
_V3_CONSOLIDATED = "Consolidated metadata is currently not part in the Zarr format 3 specification"


@contextlib.contextmanager
def consolidated() -> Iterator[None]:
    """Write consolidated metadata (one read opens a store) without Zarr's format-3 notice."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_V3_CONSOLIDATED)
        yield


def has_consolidated_metadata(path: str | os.PathLike) -> bool:
    """Whether the Zarr store at ``path`` carries consolidated metadata (format 3 or 2)."""
    path = Path(path)
    try:
        if (path / "zarr.json").is_file():
            return bool(json.loads((path / "zarr.json").read_text()).get("consolidated_metadata"))
    except (OSError, ValueError):
        return False
    return (path / ".zmetadata").is_file()

_ZARR_META = frozenset({"zarr.json", ".zgroup", ".zattrs", ".zmetadata", ".zarray"})


def is_netcdf(path: Path) -> bool:
    """Whether ``path`` names a NetCDF file (by its suffix)."""
    return Path(path).suffix.lower() in (".nc", ".nc4", ".netcdf")


def zarr_root_attrs(path: Path) -> dict | None:
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
    """The first entry of a Zarr directory that is neither Zarr metadata (or a half-written copy
    of it, ``*.partial``, left by a killed writer) nor an array or group."""
    for entry in sorted(path.iterdir()):
        if entry.name in _ZARR_META or (entry.name.startswith("zarr.json.") and entry.suffix == ".partial"):
            continue
        if entry.is_dir() and not entry.is_symlink() and any(
                (entry / m).is_file() for m in ("zarr.json", ".zarray", ".zgroup")):
            continue
        return entry
    return None


def store_kind(path: str | os.PathLike) -> str | None:
    """``"run"`` or ``"sweep"`` when ``path`` is recognisably an attnflow store, else None.

    A run store is a Zarr group (or NetCDF file) whose root attributes carry
    ``attnflow_metadata``, or an older run store in progress (it holds ``checkpoint_x``); a sweep
    store is a Zarr group with ``kind = "attnflow sweep"``. A Zarr directory that also holds
    files of another kind is not recognised (they might be the user's).
    """
    path = Path(path)
    if path.is_symlink() or not path.exists():
        return None
    if path.is_file():
        if not is_netcdf(path):
            return None
        try:
            import xarray as xr

            with xr.open_dataset(path, engine="scipy") as ds:
                return "run" if "attnflow_metadata" in ds.attrs else None
        except Exception:                                  # not a NetCDF file we can read
            return None
    attrs = zarr_root_attrs(path)
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
        if found is None and path.is_dir() and zarr_root_attrs(path) is not None:
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
