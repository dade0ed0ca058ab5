"""Runs on disk: whole runs (Zarr or NetCDF), run stores written as they go, the overwrite guard.

- :mod:`.layout`: the variables, dimensions and attributes of a stored run;
- :mod:`.dataset`: Solution <-> xarray Dataset, :func:`save`, :func:`load` (also of running,
  killed or damaged stores, with a clear error for data that cannot be read back);
- :mod:`.runstore`: :class:`RunStore`, the incrementally written store with its commit protocol;
- :mod:`.stores`: :func:`store_kind`, :func:`check_overwritable`, :func:`remove_store`.
"""

from .dataset import DamagedStoreError, from_dataset, load, save, save_dataset, to_dataset
from .runstore import RunStore
from .stores import check_overwritable, remove_store, store_kind

__all__ = ["DamagedStoreError", "RunStore", "check_overwritable", "from_dataset", "load", "remove_store",
           "save", "save_dataset", "store_kind", "to_dataset"]
