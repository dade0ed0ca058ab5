"""The on-disk layout of a run, shared by whole-run files and run stores written as they go.

Coordinates ``time`` (T,), ``batch`` (B,) when batched, ``particle`` (n,), ``dim`` (d,); the
state ``x`` (time, [batch,] particle, dim) when states were saved; one variable per observable
(time[, batch]); ``A`` and ``V`` (row, col) when not the identity. Root attributes carry the model
(d, beta, normalization), the method, dt, the seed, the package version and the full provenance
as JSON under ``attnflow_metadata``.
"""

from __future__ import annotations

import json

import numpy as np

from .._version import __version__

__all__ = ["attrs", "coords", "json_default", "state_dims", "static_vars"]


def state_dims(shape: tuple[int, ...]) -> tuple[str, ...]:
    """Dimension names of a state of ``shape`` ((n, d) or (B, n, d))."""
    return ("batch", "particle", "dim") if len(shape) == 3 else ("particle", "dim")


def coords(state_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The index coordinates of a state's dimensions."""
    out = {"particle": np.arange(state_shape[-2]), "dim": np.arange(state_shape[-1])}
    if len(state_shape) == 3:
        out["batch"] = np.arange(state_shape[0])
    return out


def json_default(obj):
    """JSON encoding of NumPy scalars and arrays (everything else as its str)."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def attrs(model, method: str, dt: float, metadata: dict) -> dict:
    """Flat, NetCDF-safe attributes plus the full provenance as JSON."""
    meta = {k: v for k, v in metadata.items() if k not in ("A", "V")}
    meta.setdefault("attnflow_version", __version__)
    out = {
        "d": model.d, "beta": model.beta, "normalization": model.normalization,
        "identity_A": int(model.A is None), "identity_V": int(model.V is None),
        "method": method, "dt": float(dt), "attnflow_version": meta["attnflow_version"],
        "attnflow_metadata": json.dumps(meta, default=json_default),
    }
    for key in ("seed", "backend", "status", "t0", "t1"):
        if meta.get(key) is not None:
            out[key] = meta[key] if not isinstance(meta[key], bool) else int(meta[key])
    return out


def static_vars(model) -> dict[str, tuple]:
    """``A`` and ``V`` as (row, col) variables when they are not the identity."""
    out = {}
    if model.A is not None:
        out["A"] = (("row", "col"), model.A)
    if model.V is not None:
        out["V"] = (("row", "col"), model.V)
    return out
