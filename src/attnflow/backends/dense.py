"""Reference evaluator: the exact attention output in NumPy, summed in row blocks.

For particles x_1..x_N (rows of ``x``), the unprojected attention output of token i is

    SA:  y_i = sum_j e^{beta <A x_i, x_j>} V x_j / sum_k e^{beta <A x_i, x_k>}
    USA: y_i = (1/N) sum_j e^{beta <A x_i, x_j>} V x_j

and the velocity is its tangent part P_{x_i} y_i [GLPR, eqs. (SA), (USA)].

Variants (:mod:`attnflow.backends.numerics`): with H heads (A_h, V_h) the output is the sum
over heads of each head's y^(h) (one head: the formula above, bit for bit); under the causal
mask (``model.mask == "causal"``) token i sums over j <= i only, SA normalizing over j <= i and
USA still dividing by N (our convention). Both run inside the row-block loop: every block of
rows is summed head after head, and under the mask the block of rows i0..i1 multiplies only
the columns j < i1, its trailing (b, b) triangle j > i set to zero after the exp, so the
causal evaluation costs about half of the full one (from n > 2^19 / n rows per block on,
i.e. n >~ 800) and forms no extra N x N array.

Memory is O(N * block): rows are processed ``block`` at a time and the N x N score matrix is
never formed. Stability (:mod:`attnflow.backends.numerics`): the weights are shifted by the
bound m_i = |beta| |A x_i| >= every score of row i, rows whose shifted weights all underflow
are recomputed with the exact row maximum (over j <= i under the mask), and the USA factor
e^{m_i} / N is applied at the end of each head with a ``FloatingPointError`` if the result (or
the sum of the heads) leaves the floating-point range.

The computation runs in the working dtype (float64, or float32 to trade digits for speed):
:func:`prepare` casts every A_h and V_h to it once. Options: ``block`` (rows per block; default
about 2^19 weights per block). Many small systems (B, n, d) with n^2 <= 2^14 are evaluated
together with stacked (b, n, n) products, with the same operations per member as a single system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model import AttentionModel
from ..validation import integer
from .numerics import checked_usa, combine, exact_weights, head_matrices, row_shift, underflow_threshold

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
    return _Dense(model=model, dtype=dtype, block=block, heads=head_matrices(model, dtype),
                  beta=dtype.type(model.beta), tiny=underflow_threshold(dtype), causal=model.mask == "causal")


def _upper(b: int) -> np.ndarray:
    """The strict upper triangle of a (b, b) block: the pairs j > i that the causal mask removes."""
    return np.triu(np.ones((b, b), dtype=bool), 1)


@dataclass(frozen=True, eq=False)
class _Dense:
    model: AttentionModel
    dtype: np.dtype
    block: int | None
    heads: tuple[tuple[np.ndarray | None, np.ndarray | None], ...]     # (A_h, V_h) in dtype
    beta: np.floating
    tiny: float
    causal: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of ``x`` (n, d) or (B, n, d), in the prepared dtype."""
        if x.ndim == 3:
            n = x.shape[1]
            if self.block is None and n * n <= _SMALL_ROWS:  # many small systems: one batched product
                step = max(1, _BLOCK_ENTRIES // (n * n))
                return np.concatenate([self._small_batch(x[k:k + step]) for k in range(0, len(x), step)])
            return np.stack([self._single(xb, self.block) for xb in x])
        return self._single(x, self.block)

    def _rows(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per head: the rows A_h x_i, the rows V_h x_j and the bound shifts m_i (row_shift)."""
        out = []
        for A, V in self.heads:
            xa = x if A is None else x @ A.T                  # rows A x_i
            xv = x if V is None else x @ V.T                  # rows V x_j
            out.append((xa, xv, row_shift(xa, self.beta)))    # m_i >= every score of row i
        return out

    def _single(self, x: np.ndarray, block: int | None) -> np.ndarray:
        n = x.shape[0]
        heads = self._rows(x)
        b = default_block(n) if block is None else block
        upper = _upper(min(b, n)) if self.causal else None
        out = np.empty_like(x)
        xt = np.ascontiguousarray(x.T)
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            for h, (xa, xv, shift) in enumerate(heads):
                y = self._block(xa, xv, shift, xt, i0, i1, upper)
                if h == 0:
                    out[i0:i1] = y
                else:
                    out[i0:i1] += y
        return self._summed(out, heads)

    def _block(self, xa: np.ndarray, xv: np.ndarray, shift: np.ndarray, xt: np.ndarray, i0: int, i1: int,
               upper: np.ndarray | None) -> np.ndarray:
        """One head's output for the rows i0..i1 (columns j < i1 under the causal mask)."""
        beta, model = self.beta, self.model
        n = xt.shape[1]
        cols = n if upper is None else i1
        s = xa[i0:i1] @ xt[:, :cols]                          # (b, cols) inner products <A x_i, x_j>
        s *= beta
        m = shift[i0:i1]
        s -= m[:, None]
        np.exp(s, out=s)
        if upper is not None:                                 # the block's own triangle j > i
            s[:, i0:i1][upper[:i1 - i0, :i1 - i0]] = 0.0
        den = s.sum(axis=1)
        low = den < self.tiny
        if np.any(low):                                       # exact max for rows that underflowed
            rows = np.flatnonzero(low)
            m = m.copy()
            s[rows], m[rows] = exact_weights(xa[i0 + rows], xt[:, :cols], beta, np,
                                             None if upper is None else i0 + rows)
            den[rows] = s[rows].sum(axis=1)
        num = s @ xv[:cols]                                   # (b, d)
        return combine(num, den, m, n, model.beta, model.normalization, self.dtype)

    def _summed(self, out: np.ndarray, heads: list) -> np.ndarray:
        """The sum over heads, checked: USA heads that each fit may overflow together."""
        if len(heads) > 1 and self.model.normalization == "usa":
            return checked_usa(out, np.stack([shift for _, _, shift in heads]), self.model.beta, self.dtype)
        return out

    def _small_batch(self, x: np.ndarray) -> np.ndarray:
        """A batch (b, n, d) of small systems with stacked (b, n, n) products.

        The same operations as the row-block path with one block per system, so each member
        equals its own evaluation; a member with an underflowing row (in any head) goes through
        that path.
        """
        beta, model = self.beta, self.model
        n, d = x.shape[1], x.shape[2]
        heads = self._rows(x)
        xt = np.ascontiguousarray(x.transpose(0, 2, 1))
        upper = _upper(n) if self.causal else None
        out = None
        low = np.zeros(len(x), dtype=bool)
        for xa, xv, shift in heads:
            s = xa @ xt                                                   # (b, n, n)
            s *= beta
            s -= shift[..., None]
            np.exp(s, out=s)
            if upper is not None:
                s[:, upper] = 0.0
            den = s.sum(axis=-1)
            num = s @ xv
            bad = (den < self.tiny).any(axis=1)                          # rare: exact row maxima
            if bad.any():                  # neutral values here; those members are redone below
                shift = shift.copy()
                num[bad], den[bad], shift[bad] = 0.0, 1.0, 0.0
                low |= bad
            y = combine(num.reshape(-1, d), den.reshape(-1), shift.reshape(-1), n, model.beta,
                        model.normalization, self.dtype).reshape(x.shape)
            if out is None:
                out = y
            else:
                out += y
        for k in np.flatnonzero(low):
            out[k] = self._single(x[k], None)
        return self._summed(out, heads)
