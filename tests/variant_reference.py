"""The plain O(N^2) reference of the attention output with heads and the causal mask (for the tests).

Semantics (docs/theory/numerics.md#heads-and-the-causal-mask): y_i = sum_h y_i^(h), each head the
single-head formula with its own A_h, V_h; under the causal mask row i sums over j <= i (SA
normalized over j <= i, USA divided by N).
"""

from __future__ import annotations

import numpy as np

__all__ = ["naive_heads", "naive_output"]


def naive_heads(model, x):
    """The O(N^2) reference: per head the full (n, n) score matrix, the lower triangle j <= i under
    the causal mask, the exact row maximum; float64. Returns the sum over heads and its size
    max_i sum_h max_k |y_ik^(h)| (the scale of the rounding errors, as heads may cancel)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    beta = model.for_tokens(n).beta
    keep = np.tril(np.ones((n, n), dtype=bool)) if model.mask == "causal" else np.ones((n, n), dtype=bool)
    total, size = np.zeros_like(x), np.zeros(n)
    for h in range(model.heads):
        A = np.eye(model.d) if model.head(h).A is None else model.head(h).A
        V = np.eye(model.d) if model.head(h).V is None else model.head(h).V
        s = np.where(keep, beta * (x @ A.T) @ x.T, -np.inf)
        m = s.max(axis=1, keepdims=True)
        w = np.exp(s - m)
        num = w @ (x @ V.T)
        if model.normalization == "sa":
            y = num / w.sum(axis=1, keepdims=True)
        else:
            with np.errstate(over="ignore"):
                y = num / n * np.exp(m)
        total += y
        size += np.abs(y).max(axis=1)
    if not np.all(np.isfinite(total)):
        raise FloatingPointError("the exact USA output overflows float64")
    return total, float(size.max())


def naive_output(model, x):
    """naive_heads for (n, d) or (B, n, d) states: the output alone."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 3:
        return np.stack([naive_heads(model, xb)[0] for xb in x])
    return naive_heads(model, x)[0]
