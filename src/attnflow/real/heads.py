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

__all__ = ["HeadBiases", "HeadSpectrum", "augmented_stacks", "head_biases", "head_spectra", "heads",
           "spectra_table"]


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


def _definiteness(eigenvalues: np.ndarray) -> str:
    """"psd" / "nsd" / "indefinite" from the eigenvalues of a symmetric matrix (zeros allowed)."""
    tol = 1e-9 * max(1.0, float(np.abs(eigenvalues).max()))
    if eigenvalues.min() >= -tol:
        return "psd"
    return "nsd" if eigenvalues.max() <= tol else "indefinite"


@dataclass(frozen=True)
class HeadSpectrum:
    """Spectral facts of one head (the hypotheses of the theorems depend on them).

    The fields:

    - ``a_sym``, ``v_sym``: the eigenvalues of (A + A^T)/2 and (V + V^T)/2 on their ranges
      (2 d_h each, descending; the other d - 2 d_h are 0);
    - ``v``: the eigenvalues of V on its range (d_h of them, complex, by descending real part);
    - ``m``: the eigenvalues of M = V A on its range (d_h, complex, by descending real part);
    - ``a_norm``, ``v_norm``: the spectral norms of A and V;
    - ``a_asym``, ``m_asym``: ||X - X^T||_F / ||X||_F for X = A and X = M (0: symmetric).
    """

    a_sym: np.ndarray
    v_sym: np.ndarray
    v: np.ndarray
    m: np.ndarray
    a_norm: float
    v_norm: float
    a_asym: float
    m_asym: float

    @property
    def a_definiteness(self) -> str:
        """"psd" / "nsd" / "indefinite" for the symmetric part of A."""
        return _definiteness(self.a_sym)

    @property
    def v_definiteness(self) -> str:
        """"psd" / "nsd" / "indefinite" for the symmetric part of V."""
        return _definiteness(self.v_sym)

    @property
    def m_top_real(self) -> bool:
        """True when the eigenvalue of M with the largest real part is real (a limit direction exists)."""
        top = self.m[0]
        return abs(top.imag) <= 1e-9 * max(1.0, abs(top))


def _by_real_part(z: np.ndarray) -> np.ndarray:
    return z[np.lexsort((-np.abs(z.imag), -z.real))]


def _sym_eigenvalues(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The non-zero-block eigenvalues of sym(P Q) = (P Q + Q^T P^T)/2, P (d, k), Q (k, d): with
    U = [P, Q^T] and C = [[0, I], [I, 0]] / 2, sym(P Q) = U C U^T, whose non-zero eigenvalues are
    those of C U^T U (2k x 2k, similar to a symmetric matrix: real)."""
    k = P.shape[1]
    U = np.concatenate([P, Q.T], axis=1)
    C = np.block([[np.zeros((k, k)), np.eye(k)], [np.eye(k), np.zeros((k, k))]]) / 2
    return np.sort(np.linalg.eigvals(C @ (U.T @ U)).real)[::-1]


def head_spectra(lw: LayerWeights, n_heads: int) -> list[HeadSpectrum]:
    """The :class:`HeadSpectrum` of every head of a layer (small eigenproblems, module docstring)."""
    d = lw.Wq.shape[1]
    dh = d // n_heads
    out = []
    for h in range(n_heads):
        Q, K, Wv = _rows(lw.Wq, h, dh), _rows(lw.Wk, h, dh), _rows(lw.Wv, h, dh)
        Wo = lw.Wo[:, h * dh:(h + 1) * dh]
        B = Wv @ K.T @ Q / np.sqrt(dh)                          # M = V A = Wo B
        BWo = B @ Wo
        KK, QQ, OO = K @ K.T, Q @ Q.T, Wo.T @ Wo
        QK = Q @ K.T
        out.append(HeadSpectrum(
            a_sym=_sym_eigenvalues(K.T / np.sqrt(dh), Q), v_sym=_sym_eigenvalues(Wo, Wv),
            v=_by_real_part(np.linalg.eigvals(Wv @ Wo)), m=_by_real_part(np.linalg.eigvals(BWo)),
            a_norm=float(np.sqrt(np.linalg.eigvals(KK @ QQ).real.max() / dh)),
            v_norm=float(np.sqrt(np.linalg.eigvals(OO @ Wv @ Wv.T).real.max())),
            a_asym=_asym(np.trace(KK @ QQ) / dh, np.trace(QK @ QK) / dh),          # ||A||_F^2, tr(A^2)
            m_asym=_asym(np.trace(OO @ B @ B.T), np.trace(BWo @ BWo))))            # ||M||_F^2, tr(M^2)
    return out


def _asym(fro2: float, trace_sq: float) -> float:
    """||X - X^T||_F / ||X||_F from ||X||_F^2 and tr(X^2): ||X - X^T||_F^2 = 2 ||X||_F^2 - 2 tr(X^2)."""
    return float(np.sqrt(max(2.0 * fro2 - 2.0 * trace_sq, 0.0) / fro2))


def spectra_table(spectra: list[list[HeadSpectrum]]) -> str:
    """A Markdown table with one row per head: norms, asymmetries, the extreme eigenvalues of the
    symmetric parts and their definiteness, tr V, the top eigenvalues of V and M = V A."""
    def z(c: complex) -> str:
        return f"{c.real:.3g}" if abs(c.imag) <= 1e-9 * max(1.0, abs(c)) else f"{c.real:.3g}{c.imag:+.3g}i"

    lines = ["| layer | head | \\|A\\| | asym A | sym(A) min, max | sym(A) | \\|V\\| | tr V "
             "| sym(V) min, max | sym(V) | top eig V | top eig M = VA | asym M |", "|" + "---|" * 13]
    for layer, row in enumerate(spectra):
        for h, s in enumerate(row):
            lines.append(f"| {layer} | {h} | {s.a_norm:.3g} | {s.a_asym:.3g} | {s.a_sym.min():.3g}, "
                         f"{s.a_sym.max():.3g} | {s.a_definiteness} | {s.v_norm:.3g} | "
                         f"{s.v.real.sum():.3g} | {s.v_sym.min():.3g}, {s.v_sym.max():.3g} | "
                         f"{s.v_definiteness} | {z(s.v[0])} | {z(s.m[0])} | {s.m_asym:.3g} |")
    return "\n".join(lines) + "\n"
