"""The on-disk layout of a run, shared by whole-run files and run stores written as they go.

Coordinates ``time`` (T,), ``batch`` (B,) when batched, ``particle`` (n,), ``dim`` (d,); the
state ``x`` (time, [batch,] particle, dim) when states were saved; one variable per observable
(time[, batch]); ``A`` and ``V`` (row, col) when not the identity. Root attributes carry the model
(d, beta, normalization; the variants and the noise ``kappa`` when set), the method, dt, the seed
of the initial state, the noise seed of a noisy run (``noise_seed``), the package version and the
full provenance as JSON under ``attnflow_metadata``.
"""

from __future__ import annotations

import json

import numpy as np

from .._version import __version__

__all__ = ["attrs", "coords", "json_default", "matrix_dims", "model_from", "state_dims", "static_vars"]

#: the model's variant options, stored as attributes when they are not the defaults
_VARIANTS = ("layernorm", "mask", "t_switch", "alpha", "kappa")


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
    for key in ("seed", "noise_seed", "backend", "status", "t0", "t1"):
        if meta.get(key) is not None:
            out[key] = meta[key] if not isinstance(meta[key], bool) else int(meta[key])
    for key in _VARIANTS:
        value = getattr(model, key)
        if value is not None and (key, value) != ("layernorm", "post") and not (key == "alpha" and
                                                                               model.layernorm != "ngpt"):
            out[key] = value
    return out


def matrix_dims(mat: np.ndarray) -> tuple[str, ...]:
    """Dimension names of A or V: (row, col), or (head, row, col) for a stack of heads."""
    return ("head", "row", "col") if np.ndim(mat) == 3 else ("row", "col")


def model_from(attrs: dict, A, V):
    """The AttentionModel described by a store's attributes and its A, V arrays (or None)."""
    from ..model import AttentionModel

    variants = {k: (str(attrs[k]) if k in ("layernorm", "mask") else float(attrs[k]))
                for k in _VARIANTS if attrs.get(k) is not None}
    return AttentionModel(d=int(attrs["d"]), beta=float(attrs["beta"]), A=A, V=V,
                          normalization=str(attrs["normalization"]), **variants)


def static_vars(model) -> dict[str, tuple]:
    """``A`` and ``V`` as (row, col) variables when they are not the identity."""
    out = {}
    if model.A is not None:
        out["A"] = (matrix_dims(model.A), model.A)
    if model.V is not None:
        out["V"] = (matrix_dims(model.V), model.V)
    return out
