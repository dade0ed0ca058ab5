"""The interaction energy of a configuration, E = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>}.

- :func:`energy`: E in row blocks (O(n * block) memory), overflow reported;
- :func:`log_energy`: log |E|, finite where E overflows (huge beta).

On S^1 with A = I and many unit points, both use the Fourier form
(1/N^2) sum_{ij} e^{beta cos(theta_i - theta_j)} = sum_k I_|k|(beta) |mu_hat_k|^2, O(N K).
"""

from __future__ import annotations

import math

import numpy as np

from ..model import AttentionModel
from ..validation import fail
from ._common import EPS, block_rows, default_rows, model_arg, per_item, points
from .fourier import fourier_modes

__all__ = ["energy", "log_energy"]

#: log of the largest float64, ~709.78
_LOG_MAX = math.log(np.finfo(np.float64).max)
#: shifted row sums below this have lost digits to underflow and are recomputed exactly
_TINY = np.finfo(np.float64).tiny / EPS
#: the Fourier form is used from this many points on (S^1, A = I, beta > 0, unit points)
_SPECTRAL_MIN_N = 2000
#: Fourier terms with I_k(beta) / I_0(beta) below this are dropped
_SPECTRAL_CUT = 1e-18


def energy(model: AttentionModel, x, *, block: int | None = None) -> float | np.ndarray:
    """Interaction energy of a configuration, summed in row blocks.

        E = (1 / (2 beta N^2)) sum_{i,j=1..N} exp(beta <A x_i, x_j>),
        <A x_i, x_j> = (x_i A^T) . x_j,

    with A = ``model.A_matrix`` (any real (d, d) matrix) [GLPR]. With A = V = I the
    unnormalized ("usa") flow is the gradient ascent of E on (S^{d-1})^N for every beta != 0:
    the Euclidean gradient is dE/dx_i = y_i / N (y_i the usa attention output), whose tangent
    part is the velocity / N, so E increases along the flow.

    - beta > 0: E > 0.
    - beta < 0: the formula as written, so E < 0 (the flow still increases it).
    - beta == 0: the limit form E_0 = (1/(2 N^2)) sum_{i,j} <A x_i, x_j> = <A m, m> / 2 with
      m = (1/N) sum_i x_i. It differs from the beta -> 0 limit of the formula by the constant
      1/(2 beta), E_beta = 1/(2 beta) + E_0 + O(beta), which does not change the dynamics.

    Memory is O(n * block): no n x n matrix is formed. Stability: by Cauchy-Schwarz every
    score of row i obeys beta <A x_i, x_j> <= m_i := |beta| |A x_i| max_j |x_j|, so each row
    sum is accumulated as e^{m_i} sum_j e^{score - m_i} (terms <= 1, rows that underflow are
    recomputed with the exact row maximum) and rows are combined by a log-sum-exp; E
    overflows only when its true value exceeds the float64 range.

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) or (B, n, d) array with d = ``model.d``, finite (not required to be unit).
    block : rows per block (default: about 2^19 entries per block).

    Returns
    -------
    float for (n, d) input, (B,) float64 array for (B, n, d) input. Values below the float64
    range underflow to 0.0 (use :func:`log_energy`).

    Raises
    ------
    FloatingPointError
        If |E| exceeds the float64 range (about e^709.78); :func:`log_energy` returns log E.
    ValueError
        For a model with several heads or a causal mask: E is defined for one head with full
        attention (evaluate it per head, ``model.head(h)``, without the mask).
    """
    model = _one_head_full_attention(model_arg(model))
    x = points(x, model.d)
    block = block_rows(block)
    return per_item(lambda xb: _energy_one(model, xb, block), x)


def log_energy(model: AttentionModel, x, *, block: int | None = None) -> float | np.ndarray:
    """Logarithm of the interaction energy, finite even when E overflows (huge beta).

        log E = logsumexp_{i,j}(beta <A x_i, x_j>) - log(2 beta) - 2 log N     (beta > 0).

    For beta < 0, E < 0 and this returns log |E| = log(-E) (the sign of E is the sign of
    beta). Same blocking and shapes as :func:`energy`.

    Raises
    ------
    ValueError
        For beta == 0, where E is the limit form E_0 (of any sign): use :func:`energy`; for
        several heads or a causal mask, as :func:`energy`.
    """
    model = _one_head_full_attention(model_arg(model))
    x = points(x, model.d)
    block = block_rows(block)
    if model.beta == 0:
        raise fail("model", model, "has beta=0, where the energy is the limit form "
                   "<A m, m>/2 (any sign) and has no logarithm in general",
                   "use energy(model, x), which is finite at beta=0")
    return per_item(lambda xb: _log_abs_energy(model, xb, block), x)


def _one_head_full_attention(model: AttentionModel) -> AttentionModel:
    """``model`` if it has one head and no mask; else the ValueError naming why and the fix."""
    if model.heads != 1:
        raise fail("model", model, f"has {model.heads} heads, and the interaction energy "
                   "E = (1/(2 beta N^2)) sum_ij e^{beta <A x_i, x_j>} is defined for one head",
                   "evaluate it per head, with model.head(h) for h in range(model.heads)")
    if model.mask is not None:
        raise fail("model", model, f"has the mask {model.mask!r}, and the interaction energy is "
                   "defined for full attention (the masked flow is not its gradient flow)",
                   "evaluate the energy of the unmasked model, model.replace(mask=None)")
    return model


def _energy_one(model: AttentionModel, x: np.ndarray, block: int | None) -> float:
    beta = model.beta
    if beta == 0:
        mean = x.mean(axis=0)
        return 0.5 * float((model.A_matrix @ mean) @ mean)
    log_abs = _log_abs_energy(model, x, block)
    if log_abs > _LOG_MAX:
        sign = "" if beta > 0 else "-"
        what = "log E" if beta > 0 else "log|E| = log(-E)"
        raise FloatingPointError(
            f"energy overflows float64 at beta={beta:g}: E = {sign}e^{log_abs:.6g}, beyond the "
            f"largest float64 (~e^{_LOG_MAX:.2f}). Fix: use log_energy(model, x), which "
            f"returns {what}"
        )
    return math.copysign(math.exp(log_abs), beta)


def _log_abs_energy(model: AttentionModel, x: np.ndarray, block: int | None) -> float:
    """log |E| = logsumexp_{ij}(beta <A x_i, x_j>) - log(2 |beta|) - 2 log N, beta != 0."""
    n = x.shape[0]
    if _circle_spectral(model, x):
        return _log_energy_circle(model.beta, x)
    rows = _log_row_sums(model, x, default_rows(n) if block is None else block)
    top = float(rows.max())
    total = top + math.log(float(np.exp(rows - top).sum()))
    return total - math.log(2 * abs(model.beta)) - 2 * math.log(n)


def _circle_spectral(model: AttentionModel, x: np.ndarray) -> bool:
    """Use the O(N K) Fourier form: S^1, A = I, beta > 0, unit points, N large enough."""
    if not (model.d == 2 and model.A is None and model.beta > 0 and x.shape[0] >= _SPECTRAL_MIN_N):
        return False
    return bool(np.abs(np.einsum("ij,ij->i", x, x) - 1.0).max() < 1e-12)


def _log_energy_circle(beta: float, x: np.ndarray) -> float:
    """log E on S^1 with A = I from e^{beta cos s} = sum_k I_|k|(beta) e^{iks}:

        (1/N^2) sum_ij e^{beta cos(theta_i - theta_j)} = sum_{k in Z} I_|k|(beta) |mu_hat_k|^2,

    a sum of positive terms (beta > 0), truncated where I_k(beta)/I_0(beta) < 1e-18. The
    I_k(beta) e^{-beta} are the S^1 kernel eigenvalues of :func:`attnflow.theory.kernel_coefficients`.
    """
    from ..theory import kernel_coefficients

    c = kernel_coefficients(beta, 2, 2 * int(beta) + 63, scaled=True)     # I_k(beta) e^{-beta}
    small = c[1:] < _SPECTRAL_CUT * c[0]
    K = int(np.argmax(small)) + 1 if small.any() else c.size - 1
    c = c[:K + 1]
    modes = fourier_modes(x, K)
    total = c[0] * abs(modes[0]) ** 2 + 2.0 * float(np.dot(c[1:], np.abs(modes[1:]) ** 2))
    return beta + math.log(total) - math.log(2 * beta)


def _log_row_sums(model: AttentionModel, x: np.ndarray, block: int) -> np.ndarray:
    """L_i = log sum_j e^{beta <A x_i, x_j>}, O(n * block) memory."""
    beta = model.beta
    n = x.shape[0]
    xa = x if model.A is None else x @ model.A.T              # rows A x_i
    with np.errstate(over="ignore"):
        shift = abs(beta) * np.linalg.norm(xa, axis=1) * float(np.linalg.norm(x, axis=1).max())
    if not np.all(np.isfinite(shift)):
        raise FloatingPointError(
            f"energy: the scores beta <A x_i, x_j> overflow float64 at beta={beta:g}, so not "
            "even log E is representable. Fix: lower beta or rescale A or x"
        )
    xt = np.ascontiguousarray(x.T)
    out = np.empty(n)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        s = xa[i0:i1] @ xt                                    # (b, n) scores / beta
        s *= beta
        m = shift[i0:i1].copy()
        s -= m[:, None]
        np.exp(s, out=s)
        row = s.sum(axis=1)
        low = row < _TINY
        if np.any(low):                                       # exact maximum where underflowed
            idx = np.flatnonzero(low)
            r = beta * (xa[i0 + idx] @ xt)
            m[idx] = r.max(axis=1)
            row[idx] = np.exp(r - m[idx, None]).sum(axis=1)
        out[i0:i1] = m + np.log(row)
    return out
