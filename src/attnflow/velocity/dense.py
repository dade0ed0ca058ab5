"""Reference evaluator: the exact attention output, summed in row blocks.

For particles x_1..x_N (rows of ``x``), the unprojected attention output of token i is

    SA:  y_i = sum_j e^{beta <A x_i, x_j>} V x_j / sum_k e^{beta <A x_i, x_k>}
    USA: y_i = (1/N) sum_j e^{beta <A x_i, x_j>} V x_j

and the velocity is its tangent part P_{x_i} y_i [GLPR, eqs. (SA), (USA)].

Memory is O(N * block): rows are processed ``block`` at a time and the N x N score matrix is
never formed. Stability: since |x_j| = 1, every score obeys beta <A x_i, x_j> <= m_i :=
|beta| |A x_i|, so exp(score - m_i) <= 1 never overflows and no separate max pass is needed.
Rows whose shifted weights all underflow (a very large beta with no token near A x_i) are
recomputed with the exact row maximum. For USA the factor e^{m_i} is applied at the end; if
the result exceeds the floating-point range a ``FloatingPointError`` says so.
"""

from __future__ import annotations

import numpy as np

from ..model import AttentionModel

__all__ = ["attention_output", "default_block"]

#: target size of one block of weights, in entries (2^19 float64 = 4 MiB, stays in L2/L3)
_BLOCK_ENTRIES = 1 << 19


#: systems with n * n up to this many entries are evaluated together (batched matmul)
_SMALL_ROWS = 1 << 14


def default_block(n: int) -> int:
    """Rows per block so that one block of weights holds about 2^19 entries."""
    return int(max(8, min(n, _BLOCK_ENTRIES // max(n, 1))))


def attention_output(model: AttentionModel, x: np.ndarray, *, block: int | None = None
                     ) -> np.ndarray:
    """Unprojected attention output y for points ``x`` of shape (n, d) or (B, n, d).

    The computation runs in the dtype of ``x`` (float64 or float32). Returns an array of the
    same shape and dtype.
    """
    if x.ndim == 3:
        n = x.shape[1]
        if block is None and n * n <= _SMALL_ROWS:       # many small systems: one batched product
            step = max(1, _BLOCK_ENTRIES // (n * n))
            return np.concatenate([_small_batch(model, x[k:k + step]) for k in range(0, len(x), step)])
        return np.stack([attention_output(model, xb, block=block) for xb in x])
    n = x.shape[0]
    dtype = x.dtype
    A = None if model.A is None else model.A.astype(dtype)
    V = None if model.V is None else model.V.astype(dtype)
    beta = dtype.type(model.beta)
    xa = x if A is None else x @ A.T            # rows A x_i
    xv = x if V is None else x @ V.T            # rows V x_j
    shift = abs(beta) * np.linalg.norm(xa, axis=1)          # m_i >= every score of row i
    b = default_block(n) if block is None else int(block)
    out = np.empty_like(x)
    tiny = np.finfo(dtype).tiny / np.finfo(dtype).eps
    xt = np.ascontiguousarray(x.T)
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        s = xa[i0:i1] @ xt                        # (b, n) inner products <A x_i, x_j>
        s *= beta
        m = shift[i0:i1]
        s -= m[:, None]
        np.exp(s, out=s)
        den = s.sum(axis=1)
        low = den < tiny
        if np.any(low):                           # exact max for rows that underflowed
            rows = np.flatnonzero(low)
            r = beta * (xa[i0 + rows] @ xt)
            m = m.copy()
            m[rows] = r.max(axis=1)
            s[rows] = np.exp(r - m[rows, None])
            den[rows] = s[rows].sum(axis=1)
        num = s @ xv                               # (b, d)
        if model.normalization == "sa":
            out[i0:i1] = num / den[:, None]
        else:
            out[i0:i1] = _scale_usa(num, m, n, model)
    return out


def _small_batch(model: AttentionModel, x: np.ndarray) -> np.ndarray:
    """attention_output of a batch (b, n, d) of small systems with stacked (b, n, n) products.

    The same operations as the row-block path with one block per system, so each member
    equals its own evaluation; a member with an underflowing row goes through that path.
    """
    dtype = x.dtype
    A = None if model.A is None else model.A.astype(dtype)
    V = None if model.V is None else model.V.astype(dtype)
    beta = dtype.type(model.beta)
    xa = x if A is None else x @ A.T
    xv = x if V is None else x @ V.T
    shift = abs(beta) * np.linalg.norm(xa, axis=-1)                  # (b, n)
    s = xa @ np.ascontiguousarray(x.transpose(0, 2, 1))               # (b, n, n)
    s *= beta
    s -= shift[..., None]
    np.exp(s, out=s)
    den = s.sum(axis=-1)
    num = s @ xv
    n = x.shape[1]
    if model.normalization == "sa":
        out = num / den[..., None]
    else:
        out = _scale_usa(num.reshape(-1, x.shape[2]), shift.reshape(-1), n, model).reshape(x.shape)
    tiny = np.finfo(dtype).tiny / np.finfo(dtype).eps
    for k in np.flatnonzero((den < tiny).any(axis=1)):                # rare: exact row maxima
        out[k] = attention_output(model, x[k])
    return out


def _scale_usa(num: np.ndarray, m: np.ndarray, n: int, model: AttentionModel) -> np.ndarray:
    """num * e^{m} / n, raising a clear error when the result leaves the float range."""
    with np.errstate(over="ignore", invalid="ignore"):
        half = np.exp(m / 2)[:, None]
        y = (num / n) * half * half
    if not np.all(np.isfinite(y)):
        i = int(np.argmax(m))
        raise FloatingPointError(
            f"USA attention output overflows {num.dtype} at beta={model.beta:g}: the weights "
            f"e^(beta <A x, y>) reach e^{float(m[i]):.4g}. Fix: use normalization='sa' "
            "(bounded field), lower beta, or rescale A; float64 holds values up to ~e^709"
        )
    return y
