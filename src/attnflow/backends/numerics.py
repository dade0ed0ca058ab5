"""The numerics every exact evaluator shares: shifted weights, exact-row fallback, USA scaling.

Token i's attention output is, with scores s_ij = beta <A x_i, x_j> [GLPR, eqs. (SA), (USA)],

    SA:  y_i = sum_j e^{s_ij} V x_j / sum_k e^{s_ik},      USA: y_i = (1/N) sum_j e^{s_ij} V x_j.

Variants of the model (docs/theory/numerics.md#heads-and-the-causal-mask), the same in every
evaluator:

- **heads** (:func:`head_matrices`): with H heads (A_h, V_h), y_i = sum_h y_i^(h), each head's
  y^(h) the formula above with its own A_h, V_h (its own shift, fallback and USA scaling), the
  heads added in the order h = 0..H-1. One head is the single-head model, bit for bit;
- **causal mask**: row i sums over j <= i only (SA: normalized over j <= i, so the first token
  attends only to itself; USA: the masked sum still divided by N, the total token count, our
  convention). The fallback below takes the row maximum over j <= i (``upto``).

Evaluators sum shifted weights w_ij = e^{s_ij - m_i}, num_i = sum_j w_ij V x_j, den_i = sum_j w_ij:

- **bound shift** (:func:`row_shift`): since |x_j| = 1, Cauchy-Schwarz gives s_ij <= m_i :=
  |beta| |A x_i|, so no shifted weight overflows and no pass over the row maximum is needed;
- **exact-row fallback** (:func:`exact_weights`, :func:`exact_sums`): a row whose shifted
  weights all underflow, den_i < tiny / eps (:func:`underflow_threshold`; a very large beta
  and no token near A x_i), is summed again with its exact maximum m_i = max_j s_ij;
- **normalization** (:func:`combine`): SA is num_i / den_i (the shift cancels); USA is
  (num_i / N) e^{m_i} (:func:`scale_usa`), multiplied as two half factors e^{m_i / 2} so that
  the result is finite whenever it fits the output dtype; when it does not, a
  ``FloatingPointError`` names beta and the fix (:func:`usa_overflow`).

Array namespace. The functions take NumPy arrays with ``xp = numpy`` (the default) or torch
tensors with ``xp = torch``; they use only operations the two spell alike (``@``, ``xp.exp``,
``xp.amax(a, -1)``, ``xp.linalg.norm(a, None, -1)``, ``a.sum(-1)``), so the NumPy, Numba and
torch evaluators run the same formulas.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["checked_usa", "combine", "exact_sums", "exact_weights", "head_matrices", "row_shift", "scale_usa",
           "underflow_threshold", "usa_overflow"]


def head_matrices(model: Any, dtype: Any) -> tuple[tuple[np.ndarray | None, np.ndarray | None], ...]:
    """(A_h, V_h) of every head h = 0..H-1 of an AttentionModel, cast to ``dtype`` (None: identity)."""
    def cast(m: np.ndarray | None) -> np.ndarray | None:
        return None if m is None else m.astype(dtype)

    if model.heads == 1:
        return ((cast(model.A), cast(model.V)),)
    return tuple((cast(head.A), cast(head.V)) for head in map(model.head, range(model.heads)))


def row_shift(xa: Any, beta: float, xp: ModuleType = np) -> Any:
    """The bound shift m_i = |beta| |A x_i| >= every score of row i.

    Parameters
    ----------
    xa : (..., n, d) rows A x_i.
    beta : the inverse temperature (rounded to the working dtype by the caller, if it wants).

    Returns
    -------
    (..., n) array of shifts.
    """
    return abs(beta) * xp.linalg.norm(xa, None, -1)


def underflow_threshold(dtype: Any) -> float:
    """tiny / eps of ``dtype``: a row whose shifted weights sum below this has underflowed."""
    info = np.finfo(dtype)
    return float(info.tiny / info.eps)


def exact_weights(xa: Any, xt: Any, beta: float, xp: ModuleType = np, upto: Any = None
                  ) -> tuple[Any, Any]:
    """Weights shifted by the exact row maximum: w_ij = e^{s_ij - max_k s_ik}, and the maxima.

    Parameters
    ----------
    xa : (r, d) rows A x_i of the rows to recompute.
    xt : (d, n) the tokens x_j as columns.
    upto : None (full attention) or (r,) integer array (tensor for torch) of the rows' token
        indices i under the causal mask: then w_ij = 0 for j > i and the maximum is over j <= i
        (every row must have i < n).

    Returns
    -------
    w : (r, n), every row with a weight 1 (so den_i >= 1, no underflow).
    m : (r,) the exact row maxima of beta <A x_i, x_j> (over j <= i under the mask).
    """
    s = beta * (xa @ xt)
    if upto is not None:
        cols = xp.arange(s.shape[-1])
        if xp is not np:
            cols = cols.to(s.device)
        s = xp.where(cols[None, :] > upto[:, None], -math.inf, s)
    m = xp.amax(s, -1)
    return xp.exp(s - m[..., None]), m


def exact_sums(xa: np.ndarray, xt: np.ndarray, xv: np.ndarray, beta: float, upto: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """num (r, d), den (r,) and the shift m (r,) of rows ``xa`` summed with their exact maxima.

    NumPy only; rows are taken in chunks of about 2^20 weights, so memory stays O(n) per row.
    ``xv`` (n, d) holds the rows V x_j; ``upto`` as in :func:`exact_weights` (causal mask).
    """
    r, n = xa.shape[0], xt.shape[1]
    num = np.empty((r, xv.shape[1]), dtype=xv.dtype)
    den = np.empty(r, dtype=xv.dtype)
    m = np.empty(r, dtype=xv.dtype)
    chunk = max(1, (1 << 20) // max(n, 1))
    for i0 in range(0, r, chunk):
        i1 = min(r, i0 + chunk)
        w, m[i0:i1] = exact_weights(xa[i0:i1], xt, beta, np, None if upto is None else upto[i0:i1])
        num[i0:i1] = w @ xv
        den[i0:i1] = w.sum(-1)
    return num, den, m


def usa_overflow(beta: float, exponent: float, dtype: Any) -> FloatingPointError:
    """The error raised when the USA output e^{m_i} num_i / N leaves the range of ``dtype``."""
    name = np.dtype(dtype).name
    limit = math.log(float(np.finfo(dtype).max))
    return FloatingPointError(
        f"USA attention output overflows {name} at beta={beta:g}: the weights "
        f"e^(beta <A x, y>) reach e^{exponent:.4g}. Fix: use normalization='sa' "
        f"(bounded field), lower beta, or rescale A; {name} holds values up to ~e^{limit:.0f}"
    )


def scale_usa(num: Any, m: Any, n: int, beta: float, dtype: Any, xp: ModuleType = np) -> Any:
    """USA output (num / n) e^{m} row-wise, in ``dtype``; FloatingPointError if it leaves its range.

    Parameters
    ----------
    num : (..., r, d) shifted sums; m : (..., r) their shifts; n : the token count N (pass 1 if
    ``num`` is already divided by N).
    dtype : the output dtype (NumPy arrays are cast to it, so a float64 computation that does
    not fit a float32 output is reported too; torch tensors are already in it).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        half = xp.exp(m / 2)[..., None]
        y = (num / n) * half * half
    return checked_usa(y, m, beta, dtype, xp)


def checked_usa(y: Any, m: Any, beta: float, dtype: Any, xp: ModuleType = np) -> Any:
    """A USA output ``y`` in ``dtype`` (NumPy arrays cast), or FloatingPointError if it is not finite.

    ``m`` holds the shifts that entered it (their maximum is the exponent the error names).
    Also the check of a sum over heads, each of them finite, and of a float64 result cast to
    a float32 output.
    """
    if xp is np:
        with np.errstate(over="ignore", invalid="ignore"):
            y = y.astype(dtype, copy=False)
    if not bool(xp.isfinite(y).all()):
        raise usa_overflow(beta, float(xp.amax(m)), dtype)
    return y


def combine(num: Any, den: Any, m: Any, n: int, beta: float, normalization: str, dtype: Any,
            xp: ModuleType = np) -> Any:
    """The attention output from shifted sums: num / den (SA) or (num / n) e^{m} (USA), in ``dtype``."""
    if normalization == "sa":
        y = num / den[..., None]
        return y.astype(dtype, copy=False) if xp is np else y
    return scale_usa(num, m, n, beta, dtype, xp)
