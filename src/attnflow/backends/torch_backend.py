"""Optional PyTorch backend: the blocked dense evaluator on torch tensors (CUDA when present).

This is :mod:`attnflow.backends.dense` written with torch: the same formula, the same row
blocks (memory O(N * block)), and the same code (:mod:`attnflow.backends.numerics`) for the
shift m_i = |beta| |A x_i| (every score obeys beta <A x_i, x_j> <= m_i because |x_j| = 1), the
exact-row-max fallback for rows whose shifted weights all underflow, and the
``FloatingPointError`` when the USA output leaves the floating-point range. It agrees with the
NumPy reference to rounding (~1e-15 relative in float64). Batched inputs (B, n, d) are summed
with batched matrix products, one row block of every batch member at a time. Per block: one
fused product beta <A x_i, x_j> - m_i, an in-place exp, and one product with [V x_j, 1] that
yields the weighted sum and the row sum.

Variants, as in :mod:`attnflow.backends.dense`: H heads are summed block by block (each head's
output as above, one head bit for bit the single-head model); under the causal mask a block of
rows i0..i1 multiplies only the columns j < i1 and its trailing (b, b) triangle j > i is zeroed
after the exp (``masked_fill_``), so the masked evaluation forms no N x N array either.

Installation. PyTorch is an optional dependency and nothing in the core imports it (this
module imports torch only when a function here is called)::

    pip install 'attnflow[gpu]'                 # torch from PyPI (CUDA build on Linux)
    pip install torch==2.13.0                   # or a CPU wheel (e.g. from a local index)

Use. ``af.velocity(model, x, backend="torch")`` runs it on CUDA when
``torch.cuda.is_available()`` and on the CPU otherwise; ``af.backends.prepare(model, x,
"torch", {"device": "cpu"})`` picks the device explicitly. ``backend="auto"`` chooses it only when a CUDA
device is present: on the CPU the NumPy/Numba evaluators are as fast or faster, so there the
torch backend serves agreement tests and development of GPU runs. On a CPU shared with other
busy processes, torch's OpenMP threads can slow down by 10x or more (every block is a parallel
region that waits for all threads); ``torch.set_num_threads(1)`` avoids it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import fail, integer
from .numerics import checked_usa, combine, exact_weights, head_matrices, row_shift, underflow_threshold

__all__ = ["available", "cuda_available", "default_device", "prepare"]

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


def prepare(model: AttentionModel, dtype: np.dtype, *, device: Any = None, block: int | None = None
            ) -> Callable[[np.ndarray], np.ndarray]:
    """The torch evaluator of ``model``: a function x -> y (NumPy arrays, y in ``dtype``).

    The device is resolved and A, V are copied to it in the working dtype here, once.

    Parameters
    ----------
    model : AttentionModel
    dtype : float64 or float32: the working dtype on the device and the output dtype.
    device : a torch device or its name ("cpu", "cuda", "cuda:1"); default CUDA when
        available, else the CPU.
    block : rows per block (per batch member); default: about 2^19 weights per block in all
        on the CPU, 2^24 on CUDA.
    """
    import torch

    if block is not None:
        block = integer("block", block, 1, fix="pass a positive number of rows per block, or omit it")
    try:
        dev = default_device() if device is None else torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise fail("device", device, f"is not a torch device ({exc})", 'pass e.g. "cpu" or "cuda"') from None
    dtype = np.dtype(dtype)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64

    def matrix(a: np.ndarray | None) -> Any:
        return None if a is None else torch.tensor(a, dtype=tdtype, device=dev)

    return _Torch(model=model, dtype=dtype, tdtype=tdtype, device=dev, block=block,
                  heads=tuple((matrix(A), matrix(V)) for A, V in head_matrices(model, dtype)),
                  beta=float(dtype.type(model.beta)), causal=model.mask == "causal")


@dataclass(frozen=True, eq=False)
class _Torch:
    model: AttentionModel
    dtype: np.dtype
    tdtype: Any
    device: Any
    block: int | None
    heads: tuple[tuple[Any, Any], ...]              # (A_h, V_h) tensors on the device, None: identity
    beta: float                                     # beta rounded to the working precision
    causal: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of the NumPy array ``x`` (n, d) or (B, n, d), same shape, ``dtype``."""
        import torch

        xt = torch.tensor(x.astype(self.dtype, copy=False), dtype=self.tdtype, device=self.device)
        if xt.ndim == 2:
            xt = xt[None]
        y = self._blocked(xt).cpu().numpy()
        return (y[0] if x.ndim == 2 else y).astype(self.dtype, copy=False)

    def _blocked(self, x: Any) -> Any:
        """The blocked sum on a (B, n, d) tensor; returns a (B, n, d) tensor."""
        import torch

        model = self.model
        B, n, _ = x.shape
        heads = []
        for A, V in self.heads:
            xa = x if A is None else x @ A.T           # rows A_h x_i
            xv = x if V is None else x @ V.T           # rows V_h x_j
            # [V x_j, 1]: one product per block gives the weighted sum and the row sum together
            xv1 = torch.cat([xv, torch.ones_like(xv[..., :1])], dim=-1)    # (B, n, d + 1)
            heads.append((xa, xv, xv1, row_shift(xa, self.beta, torch)))   # (B, n) shifts m_i
        if self.block is None:                         # weights per block, over all batch members
            entries = _BLOCK_ENTRIES_CUDA if x.device.type == "cuda" else _BLOCK_ENTRIES
            b = int(max(1, min(n, entries // (B * n))))
        else:
            b = min(n, self.block)
        upper = torch.ones((b, b), dtype=torch.bool, device=x.device).triu(1) if self.causal else None
        out = torch.empty_like(x)
        xT = x.transpose(1, 2)                         # (B, d, n)
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            for h, (xa, xv, xv1, shift) in enumerate(heads):
                y = self._block(xa, xv, xv1, shift, xT, i0, i1, upper)
                if h == 0:
                    out[:, i0:i1] = y
                else:
                    out[:, i0:i1] += y
        if len(heads) > 1 and model.normalization == "usa":
            out = checked_usa(out, torch.stack([shift for *_, shift in heads]), model.beta, self.dtype, torch)
        return out

    def _block(self, xa: Any, xv: Any, xv1: Any, shift: Any, xT: Any, i0: int, i1: int, upper: Any) -> Any:
        """One head's output for the rows i0..i1 of every member (columns j < i1 under the mask)."""
        import torch

        model, beta = self.model, self.beta
        n, d = xT.shape[2], xT.shape[1]
        cols = n if upper is None else i1
        m = shift[:, i0:i1]
        # beta <A x_i, x_j> - m_i for the block, in one fused product
        s = torch.baddbmm(-m[..., None], xa[:, i0:i1], xT[..., :cols], alpha=beta)   # (B, b, cols)
        s.exp_()
        if upper is not None:                          # the block's own triangle j > i
            s[..., i0:i1].masked_fill_(upper[:i1 - i0, :i1 - i0], 0.0)
        nd = torch.bmm(s, xv1[:, :cols])               # (B, b, d + 1)
        num, den = nd[..., :d], nd[..., d]
        low = den < underflow_threshold(self.dtype)
        if bool(low.any()):                            # exact max for rows that underflowed
            m = m.clone()
            for k in torch.nonzero(low.any(dim=-1)).flatten().tolist():    # batch members
                rows = torch.nonzero(low[k]).flatten()
                w, m[k, rows] = exact_weights(xa[k, i0 + rows], xT[k, :, :cols], beta, torch,
                                              None if upper is None else i0 + rows)
                num[k, rows] = w @ xv[k, :cols]
                den[k, rows] = w.sum(-1)
        return combine(num, den, m, n, model.beta, model.normalization, self.dtype, torch)
