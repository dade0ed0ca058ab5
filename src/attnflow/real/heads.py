"""The heads of a BERT layer as attnflow attention matrices, their biases and their spectra.

Derivation (the weights are stored as nn.Linear, q_i = W_Q x_i + b_Q with W_Q of shape (out, in);
head h takes the rows R_h = h d_h .. (h + 1) d_h - 1, written W^h). The score of head h is

    <q^h_i, k^h_j> / sqrt(d_h) = x_i^T W_Q^h^T W_K^h x_j / sqrt(d_h) + <a_h, x_j> + (terms in i only),
    a_h = W_K^h^T b_Q^h / sqrt(d_h),

and the terms in i only (x_i^T W_Q^h^T b_K^h and <b_Q^h, b_K^h>, over sqrt(d_h)) cancel in the
softmax over j. attnflow scores <A x_i, x_j> = x_j^T A x_i, so the bilinear part is

    A_h = W_K^h^T W_Q^h / sqrt(d_h)                                  (d, d), rank <= d_h.

The weights of a softmax row sum to 1, so the value bias passes through as a constant:
attn(x)_i = sum_h sum_j a^h_ij V_h x_j + c with

    V_h = W_O^h W_V^h   (W_O^h = the columns R_h of W_O),   c = b_O + sum_h W_O^h b_V^h.

``heads`` returns the stacks (A_h), (V_h): the homogeneous part that the attention flow sees.
:func:`augmented_stacks` adds the key bias a_h and the constant c exactly, in dimension d + 1
with tokens (x, 1): A'_h = [[A_h, a_h], [0, 0]] gives <A'_h (x_i, 1), (x_j, 1)> = x_j^T A_h x_i +
<a_h, x_j>, and V'_h = [[V_h, W_O^h b_V^h], [0, 0]] (b_O is added outside), so the attnflow
attention output of the augmented model reproduces the layer's attention block.

Spectra (:func:`head_spectra`) are computed from small matrices: the non-zero eigenvalues of
W_O^h W_V^h are those of W_V^h W_O^h (d_h x d_h), those of M_h = V_h A_h = W_O^h B_h (B_h =
W_V^h W_K^h^T W_Q^h / sqrt(d_h)) those of B_h W_O^h, and those of the symmetric part
(A_h + A_h^T)/2 = U C U^T (U = [W_K^h^T, W_Q^h^T], C = [[0, I], [I, 0]] / (2 sqrt(d_h))) those
of C U^T U (2 d_h x 2 d_h); the rest are zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .weights import LayerWeights

__all__ = ["HeadBiases", "HeadSpectrum", "augmented_stacks", "head_biases", "head_spectra", "heads"]


def _rows(W: np.ndarray, h: int, dh: int) -> np.ndarray:
    return W[h * dh:(h + 1) * dh]


def heads(lw: LayerWeights, n_heads: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, V) stacks (H, d, d): A_h = W_K^h^T W_Q^h / sqrt(d_h), V_h = W_O^h W_V^h (module docstring)."""
    d = lw.Wq.shape[1]
    dh = d // n_heads
    A = np.stack([_rows(lw.Wk, h, dh).T @ _rows(lw.Wq, h, dh) for h in range(n_heads)]) / np.sqrt(dh)
    V = np.stack([lw.Wo[:, h * dh:(h + 1) * dh] @ _rows(lw.Wv, h, dh) for h in range(n_heads)])
    return A, V


@dataclass(frozen=True)
class HeadBiases:
    """The affine parts of a layer's attention block beyond (A_h, V_h).

    key : (H, d), a_h = W_K^h^T b_Q^h / sqrt(d_h): the score of head h gains <a_h, x_j>.
    value : (H, d), W_O^h b_V^h: the constant head h adds to every token's output.
    out : (d,), b_O.
    """

    key: np.ndarray
    value: np.ndarray
    out: np.ndarray

    @property
    def constant(self) -> np.ndarray:
        """c = b_O + sum_h W_O^h b_V^h, the constant added to every token's attention output."""
        return self.out + self.value.sum(axis=0)


def head_biases(lw: LayerWeights, n_heads: int) -> HeadBiases:
    """The key biases a_h, the value constants W_O^h b_V^h and b_O of a layer."""
    d = lw.Wq.shape[1]
    dh = d // n_heads
    key = np.stack([_rows(lw.Wk, h, dh).T @ _rows(lw.bq[:, None], h, dh)[:, 0] for h in range(n_heads)])
    value = np.stack([lw.Wo[:, h * dh:(h + 1) * dh] @ _rows(lw.bv, h, dh) for h in range(n_heads)])
    return HeadBiases(key / np.sqrt(dh), value, lw.bo.copy())


def augmented_stacks(lw: LayerWeights, n_heads: int) -> tuple[np.ndarray, np.ndarray]:
    """(A', V') stacks (H, d + 1, d + 1) for tokens (x, 1) (module docstring): with these, the
    attnflow SA output at beta = 1 plus b_O is the layer's attention block attn(x) exactly."""
    A, V = heads(lw, n_heads)
    b = head_biases(lw, n_heads)
    H, d, _ = A.shape
    Ap = np.zeros((H, d + 1, d + 1))
    Vp = np.zeros((H, d + 1, d + 1))
    Ap[:, :d, :d], Ap[:, :d, d] = A, b.key
    Vp[:, :d, :d], Vp[:, :d, d] = V, b.value
    return Ap, Vp


@dataclass(frozen=True)
class HeadSpectrum:
    """Spectral facts of one head (the hypotheses of the theorems depend on them).

    a_sym : the non-zero-block eigenvalues of (A + A^T)/2 (2 d_h of them, descending).
    v : the eigenvalues of V on its range (d_h of them, complex, by descending real part).
    m : the eigenvalues of M = V A on its range (d_h, complex, by descending real part).
    a_norm, v_norm : spectral norms of A and V.
    a_asym, m_asym : ||X - X^T||_F / ||X||_F for X = A and X = M (0: symmetric).
    """

    a_sym: np.ndarray
    v: np.ndarray
    m: np.ndarray
    a_norm: float
    v_norm: float
    a_asym: float
    m_asym: float

    @property
    def a_definiteness(self) -> str:
        """"psd" / "nsd" / "indefinite" for the symmetric part of A (on its 2 d_h-dimensional range)."""
        tol = 1e-9 * max(1.0, float(np.abs(self.a_sym).max()))
        if self.a_sym.min() >= -tol:
            return "psd"
        return "nsd" if self.a_sym.max() <= tol else "indefinite"

    @property
    def m_top_real(self) -> bool:
        """True when the eigenvalue of M with the largest real part is real (a limit direction exists)."""
        top = self.m[0]
        return abs(top.imag) <= 1e-9 * max(1.0, abs(top))


def _by_real_part(z: np.ndarray) -> np.ndarray:
    return z[np.lexsort((-np.abs(z.imag), -z.real))]


def head_spectra(lw: LayerWeights, n_heads: int) -> list[HeadSpectrum]:
    """The :class:`HeadSpectrum` of every head of a layer (small eigenproblems, module docstring)."""
    d = lw.Wq.shape[1]
    dh = d // n_heads
    C = np.block([[np.zeros((dh, dh)), np.eye(dh)], [np.eye(dh), np.zeros((dh, dh))]]) / (2 * np.sqrt(dh))
    out = []
    for h in range(n_heads):
        Q, K, Wv = _rows(lw.Wq, h, dh), _rows(lw.Wk, h, dh), _rows(lw.Wv, h, dh)
        Wo = lw.Wo[:, h * dh:(h + 1) * dh]
        U = np.concatenate([K.T, Q.T], axis=1)
        a_sym = np.sort(np.linalg.eigvals(C @ (U.T @ U)).real)[::-1]
        v = _by_real_part(np.linalg.eigvals(Wv @ Wo))
        B = Wv @ K.T @ Q / np.sqrt(dh)                          # M = V A = Wo B
        BWo = B @ Wo
        m = _by_real_part(np.linalg.eigvals(BWo))
        KK, QQ, OO = K @ K.T, Q @ Q.T, Wo.T @ Wo
        QK = Q @ K.T
        a_fro2 = np.trace(KK @ QQ) / dh                         # ||A||_F^2 and tr(A^2)
        m_fro2 = np.trace(OO @ B @ B.T)                         # ||M||_F^2 and tr(M^2)
        out.append(HeadSpectrum(
            a_sym, v, m,
            a_norm=float(np.sqrt(np.linalg.eigvals(KK @ QQ).real.max() / dh)),
            v_norm=float(np.sqrt(np.linalg.eigvals(OO @ Wv @ Wv.T).real.max())),
            a_asym=_asym(a_fro2, np.trace(QK @ QK) / dh),
            m_asym=_asym(m_fro2, np.trace(BWo @ BWo))))
    return out


def _asym(fro2: float, trace_sq: float) -> float:
    """||X - X^T||_F / ||X||_F from ||X||_F^2 and tr(X^2): ||X - X^T||_F^2 = 2 ||X||_F^2 - 2 tr(X^2)."""
    return float(np.sqrt(max(2.0 * fro2 - 2.0 * trace_sq, 0.0) / fro2))
