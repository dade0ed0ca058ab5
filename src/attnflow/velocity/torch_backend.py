"""Optional PyTorch backend: the blocked dense evaluator on torch tensors (CUDA when present).

This is :mod:`attnflow.velocity.dense` written with torch: the same formula, the same row
blocks (memory O(N * block)), the same shift m_i = |beta| |A x_i| (every score obeys
beta <A x_i, x_j> <= m_i because |x_j| = 1), the same exact-row-max fallback for rows whose
shifted weights all underflow, and the same ``FloatingPointError`` when the USA output leaves
the floating-point range. It agrees with the NumPy reference to rounding (~1e-15 relative in
float64). Batched inputs (B, n, d) are summed with batched matrix products, one row block of
every batch member at a time. Per block: one fused product beta <A x_i, x_j> - m_i, an
in-place exp, and one product with [V x_j, 1] that yields the weighted sum and the row sum.

Installation. PyTorch is an optional dependency and nothing in the core imports it (this
module imports torch only when a function here is called)::

    pip install 'attnflow[gpu]'                 # torch from PyPI (CUDA build on Linux)
    pip install torch==2.13.0                   # or a CPU wheel (e.g. from a local index)

Use. ``af.velocity(model, x, backend="torch")`` runs it on CUDA when
``torch.cuda.is_available()`` and on the CPU otherwise; ``attention_output(model, x,
device="cpu")`` picks the device explicitly. ``backend="auto"`` chooses it only when a CUDA
device is present: on the CPU the NumPy/Numba evaluators are as fast or faster, so there the
torch backend serves agreement tests and development of GPU runs. On a CPU shared with other
busy processes, torch's OpenMP threads can slow down by 10x or more (every block is a parallel
region that waits for all threads); ``torch.set_num_threads(1)`` avoids it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import fail

__all__ = ["attention_output", "available", "cuda_available", "default_device"]

#: weights per block: 2^19 on the CPU (4 MiB in float64, as in :mod:`.dense`); 2^24 on CUDA
#: (128 MiB in float64), where fewer, larger kernels pay off
_BLOCK_ENTRIES = 1 << 19
_BLOCK_ENTRIES_CUDA = 1 << 24


def available(model: AttentionModel | None = None, x: np.ndarray | None = None) -> bool:
    """Whether torch can be imported (checked without importing it). Any model applies."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def _cuda_available() -> bool:
    spec = importlib.util.find_spec("torch")
    if spec is None:
        return False
    # A CPU-only wheel says so in torch/version.py: answer without the ~1 s import of torch.
    for loc in spec.submodule_search_locations or ():
        try:
            text = (Path(loc) / "version.py").read_text()
        except OSError:
            continue
        builds = re.findall(r"^(cuda|hip)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", text, flags=re.MULTILINE)
        if len(builds) == 2 and all(value == "None" for _, value in builds):
            return False
    import torch

    return bool(torch.cuda.is_available())


def cuda_available(model: AttentionModel | None = None, x: np.ndarray | None = None) -> bool:
    """Whether torch is importable and sees a CUDA device (the registry's ``faster`` test).

    Cached for the process. Does not import torch when the installed build is CPU-only.
    """
    return available() and _cuda_available()


def default_device() -> Any:
    """``torch.device("cuda")`` when a CUDA device is available, else ``torch.device("cpu")``."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def attention_output(model: AttentionModel, x: np.ndarray, *, block: int | None = None,
                     device: Any = None) -> np.ndarray:
    """Unprojected attention output y for points ``x`` of shape (n, d) or (B, n, d), via torch.

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) or (B, n, d) NumPy array of points on S^{d-1}, float64 or float32 (other
        dtypes are computed in float64). Not validated here: go through
        ``af.attention_output(model, x, backend="torch")`` for the checks.
    block : rows per block (per batch member); default: about 2^19 weights per block in all
        on the CPU, 2^24 on CUDA.
    device : a torch device or its name ("cpu", "cuda", "cuda:1"); default CUDA when
        available, else the CPU.

    Returns
    -------
    y : NumPy array of the same shape and dtype as ``x`` (float64 for non-float32 input).
    """
    import torch

    x = np.asarray(x)
    dtype = np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64)
    if x.ndim not in (2, 3) or x.shape[-1] != model.d:
        raise fail("x", x, f"has shape {x.shape}, expected (n, {model.d}) or (B, n, {model.d})",
                   f"pass points in R^{model.d}, one per row")
    if x.shape[-2] == 0:
        raise fail("x", x, "holds no particles", "pass at least one point")
    dev = default_device() if device is None else torch.device(device)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    if block is not None and int(block) < 1:
        raise fail("block", block, "must be a positive integer", "pass block=None for the default")

    xt = torch.tensor(x.astype(dtype, copy=False), dtype=tdtype, device=dev)
    if xt.ndim == 2:
        xt = xt[None]
    out = _blocked(model, xt, dtype, block)
    y = out.cpu().numpy()
    return (y[0] if x.ndim == 2 else y).astype(dtype, copy=False)


def _blocked(model: AttentionModel, x: Any, dtype: np.dtype, block: int | None) -> Any:
    """The blocked sum on a (B, n, d) tensor; returns a (B, n, d) tensor."""
    import torch

    B, n, _ = x.shape
    beta = float(dtype.type(model.beta))             # beta rounded to the working precision
    xa = x if model.A is None else x @ _matrix(model.A, x).T     # rows A x_i
    xv = x if model.V is None else x @ _matrix(model.V, x).T     # rows V x_j
    shift = abs(beta) * torch.linalg.vector_norm(xa, dim=-1)   # (B, n), m_i >= every score
    if block is None:                                # weights per block, over all batch members
        entries = _BLOCK_ENTRIES_CUDA if x.device.type == "cuda" else _BLOCK_ENTRIES
        b = int(max(1, min(n, entries // (B * n))))
    else:
        b = int(min(n, int(block)))
    out = torch.empty_like(x)
    tiny = float(np.finfo(dtype).tiny / np.finfo(dtype).eps)
    xT = x.transpose(1, 2)                           # (B, d, n)
    # [V x_j, 1]: one product per block gives the weighted sum and the row sum together
    xv1 = torch.cat([xv, torch.ones_like(xv[..., :1])], dim=-1)    # (B, n, d + 1)
    d = x.shape[-1]
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        m = shift[:, i0:i1]
        # beta <A x_i, x_j> - m_i for the block, in one fused product
        s = torch.baddbmm(-m[..., None], xa[:, i0:i1], xT, alpha=beta)   # (B, b, n)
        s.exp_()
        nd = torch.bmm(s, xv1)                       # (B, b, d + 1)
        num, den = nd[..., :d], nd[..., d]
        low = den < tiny
        if bool(low.any()):                          # exact max for rows that underflowed
            m = m.clone()
            for k in torch.nonzero(low.any(dim=-1)).flatten().tolist():    # batch members
                rows = torch.nonzero(low[k]).flatten()
                r = beta * (xa[k, i0 + rows] @ xT[k])                      # (rows, n)
                m[k, rows] = r.amax(dim=-1)
                w = torch.exp(r - m[k, rows][:, None])
                num[k, rows] = w @ xv[k]
                den[k, rows] = w.sum(dim=-1)
        if model.normalization == "sa":
            out[:, i0:i1] = num / den[..., None]
        else:
            out[:, i0:i1] = _scale_usa(num, m, n, model, dtype)
    return out


def _matrix(a: np.ndarray, like: Any) -> Any:
    import torch

    return torch.tensor(np.array(a, dtype=np.float32 if like.dtype == torch.float32 else np.float64),
                        dtype=like.dtype, device=like.device)


def _scale_usa(num: Any, m: Any, n: int, model: AttentionModel, dtype: np.dtype) -> Any:
    """num * e^{m} / n, raising a clear error when the result leaves the float range."""
    import torch

    half = torch.exp(m / 2)[..., None]
    y = (num / n) * half * half
    if not bool(torch.isfinite(y).all()):
        big = float(m.max())
        raise FloatingPointError(
            f"USA attention output overflows {dtype} at beta={model.beta:g}: the weights "
            f"e^(beta <A x, y>) reach e^{big:.4g}. Fix: use normalization='sa' "
            "(bounded field), lower beta, or rescale A; float64 holds values up to ~e^709"
        )
    return y
