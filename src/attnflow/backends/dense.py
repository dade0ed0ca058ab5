"""Reference evaluator: the exact attention output in NumPy, summed in row blocks.

For particles x_1..x_N (rows of ``x``), the unprojected attention output of token i is

    SA:  y_i = sum_j e^{beta <A x_i, x_j>} V x_j / sum_k e^{beta <A x_i, x_k>}
    USA: y_i = (1/N) sum_j e^{beta <A x_i, x_j>} V x_j

and the velocity is its tangent part P_{x_i} y_i [GLPR, eqs. (SA), (USA)].

Memory is O(N * block): rows are processed ``block`` at a time and the N x N score matrix is
never formed. Stability (:mod:`attnflow.backends.numerics`): the weights are shifted by the
bound m_i = |beta| |A x_i| >= every score of row i, rows whose shifted weights all underflow
are recomputed with the exact row maximum, and the USA factor e^{m_i} / N is applied at the
end with a ``FloatingPointError`` if the result leaves the floating-point range.

The computation runs in the working dtype (float64, or float32 to trade digits for speed):
:func:`prepare` casts A and V to it once. Options: ``block`` (rows per block; default about
2^19 weights per block). Many small systems (B, n, d) with n^2 <= 2^14 are evaluated together
with stacked (b, n, n) products, with the same operations per member as a single system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model import AttentionModel
from ..validation import integer
from .numerics import combine, exact_weights, row_shift, underflow_threshold

__all__ = ["default_block", "prepare"]

#: target size of one block of weights, in entries (2^19 float64 = 4 MiB, stays in L2/L3)
_BLOCK_ENTRIES = 1 << 19


#: systems with n * n up to this many entries are evaluated together (batched matmul)
_SMALL_ROWS = 1 << 14


def default_block(n: int) -> int:
    """Rows per block so that one block of weights holds about 2^19 entries."""
    return int(max(8, min(n, _BLOCK_ENTRIES // max(n, 1))))


def prepare(model: AttentionModel, dtype: np.dtype, *, block: int | None = None
            ) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy row-block evaluator of ``model`` in ``dtype``: a function x -> y.

    Parameters
    ----------
    model : AttentionModel
    dtype : float64 or float32, the working and output dtype.
    block : rows per block (any positive integer; the result does not depend on it beyond
        rounding); default :func:`default_block`.
    """
    if block is not None:
        block = integer("block", block, 1, fix="pass a positive number of rows per block, or omit it")
    dtype = np.dtype(dtype)
    return _Dense(model=model, dtype=dtype, block=block,
                  A=None if model.A is None else model.A.astype(dtype),
                  V=None if model.V is None else model.V.astype(dtype),
                  beta=dtype.type(model.beta), tiny=underflow_threshold(dtype))


@dataclass(frozen=True, eq=False)
class _Dense:
    model: AttentionModel
    dtype: np.dtype
    block: int | None
    A: np.ndarray | None
    V: np.ndarray | None
    beta: np.floating
    tiny: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of ``x`` (n, d) or (B, n, d), in the prepared dtype."""
        if x.ndim == 3:
            n = x.shape[1]
            if self.block is None and n * n <= _SMALL_ROWS:  # many small systems: one batched product
                step = max(1, _BLOCK_ENTRIES // (n * n))
                return np.concatenate([self._small_batch(x[k:k + step]) for k in range(0, len(x), step)])
            return np.stack([self._single(xb, self.block) for xb in x])
        return self._single(x, self.block)

    def _rows(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xa = x if self.A is None else x @ self.A.T           # rows A x_i
        xv = x if self.V is None else x @ self.V.T           # rows V x_j
        return xa, xv

    def _single(self, x: np.ndarray, block: int | None) -> np.ndarray:
        n = x.shape[0]
        beta, model = self.beta, self.model
        xa, xv = self._rows(x)
        shift = row_shift(xa, beta)                           # m_i >= every score of row i
        b = default_block(n) if block is None else block
        out = np.empty_like(x)
        xt = np.ascontiguousarray(x.T)
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            s = xa[i0:i1] @ xt                                # (b, n) inner products <A x_i, x_j>
            s *= beta
            m = shift[i0:i1]
            s -= m[:, None]
            np.exp(s, out=s)
            den = s.sum(axis=1)
            low = den < self.tiny
            if np.any(low):                                   # exact max for rows that underflowed
                rows = np.flatnonzero(low)
                m = m.copy()
                s[rows], m[rows] = exact_weights(xa[i0 + rows], xt, beta)
                den[rows] = s[rows].sum(axis=1)
            num = s @ xv                                      # (b, d)
            out[i0:i1] = combine(num, den, m, n, model.beta, model.normalization, self.dtype)
        return out

    def _small_batch(self, x: np.ndarray) -> np.ndarray:
        """A batch (b, n, d) of small systems with stacked (b, n, n) products.

        The same operations as the row-block path with one block per system, so each member
        equals its own evaluation; a member with an underflowing row goes through that path.
        """
        beta, model = self.beta, self.model
        xa, xv = self._rows(x)
        shift = row_shift(xa, beta)                                       # (b, n)
        s = xa @ np.ascontiguousarray(x.transpose(0, 2, 1))               # (b, n, n)
        s *= beta
        s -= shift[..., None]
        np.exp(s, out=s)
        den = s.sum(axis=-1)
        num = s @ xv
        n, d = x.shape[1], x.shape[2]
        low = np.flatnonzero((den < self.tiny).any(axis=1))              # rare: exact row maxima
        if low.size:                       # neutral values here; those members are redone below
            num[low], den[low], shift[low] = 0.0, 1.0, 0.0
        out = combine(num.reshape(-1, d), den.reshape(-1), shift.reshape(-1), n, model.beta,
                      model.normalization, self.dtype).reshape(x.shape)
        for k in low:
            out[k] = self._single(x[k], None)
        return out
