"""Exact fast summation of the attention output for A = V = I on S^1 and S^2, in O(N K).

With A = V = I the kernel e^{beta <x, y>} is zonal and has an exact expansion in harmonics,
so every sum over tokens j factorizes into a few "moments" of the empirical measure
[docs/theory/spectral-summation.md; docs/theory/linear-stability.md#funk-hecke-eigenvalues]. No N x N
matrix is ever formed.

S^1 (d = 2). Write x_j = z_j = e^{i theta_j} and S_m = (1/N) sum_j z_j^m (S_{-m} = conj S_m).
From e^{beta cos s} = sum_{k in Z} I_|k|(beta) e^{i k s} with s = theta_j - theta_i,

    USA: y_i = (1/N) sum_j e^{beta cos(theta_j - theta_i)} z_j = sum_{k=-K..K} I_|k|(beta) w_i^k S_{k+1}
    Z_i  = (1/N) sum_j e^{beta cos(theta_j - theta_i)}        = sum_{k=-K..K} I_|k|(beta) w_i^k S_k

with w_i = conj z_i, and SA is y_i / Z_i (the complex number y_i is the point (y_x, y_y)).
Since w^{-k} = conj(w^k), everything is three polynomials in w_i of degree K:
y_i = P_1(w_i) + conj P_2(w_i), Z_i = 2 Re P_3(w_i) - c_0, with coefficients c_k S_{k+1},
c_k S_{k-1} (k >= 1) and c_k S_k, c_k = I_k(beta). Powers w^k come from repeated products in
row blocks and the polynomials are one complex matrix product per block.

S^2 (d = 3). e^{beta t} = sum_l (2l + 1) i_l(beta) P_l(t), i_l(beta) = sqrt(pi/(2 beta))
I_{l+1/2}(beta) the modified spherical Bessel function, and by the addition theorem
(2l + 1) P_l(<x, y>) = sum_{m=0..l} eps_m q_lm(x) q_lm(y) Re( E_m(y) conj E_m(x) ), where
E_m(x) = (x_0 + i x_1)^m, eps_0 = 1, eps_m = 2, and q_lm(t) = sqrt((2l+1)(l-m)!/(l+m)!)
P_l^m(t) / (1 - t^2)^{m/2} (a polynomial in t = x_2, so there is no pole singularity) obeys
the standard stable recurrences of the fully normalized associated Legendre functions:
q_00 = 1, q_ll = sqrt((2l+1)/(2l)) q_{l-1,l-1},
q_lm = a_lm (t q_{l-1,m} - b_lm q_{l-2,m}), a_lm = sqrt((4l^2-1)/(l^2-m^2)),
b_lm = sqrt(((l-1)^2-m^2)/(4(l-1)^2-1)). With weights w_j in {1, x_j[0], x_j[1], x_j[2]} and
C_lm^(w) = (1/N) sum_j w_j q_lm(x_j) E_m(x_j),

    (1/N) sum_j e^{beta <x, x_j>} w_j = sum_{l <= L} i_l(beta) sum_m eps_m q_lm(x) Re( conj E_m(x) C_lm^(w) ),

which gives Z_i (w = 1) and the three numerator components at once, O(N L^2).

Truncation. The coefficients are used exponentially scaled (scipy.special.ive: I(beta) e^{-|beta|},
so sum_k c_k = 1 on S^1 and sum_l (2l+1) i_l e^{-|beta|} = 1 on S^2). The order K (resp. degree L)
is the first one where the term bound 2 c_K / c_0 (resp. (2L+1) i_L / i_0) is below 1e-18; the
tail is then far below rounding. K grows like sqrt(84 |beta|) for large beta (K = 34 at beta = 9,
9181 at beta = 1e6; L = 35, i.e. 666 functions q_lm E_m, at beta = 9). Negative beta is supported:
I_k(-beta) = (-1)^k I_k(beta), i_l(-beta) = (-1)^l i_l(beta).

Range. The backend applies while the order stays within ``MAX_ORDER``: K <= 16384 on S^1
(|beta| <= 3.18e6) and L <= 512 on S^2 (|beta| <= 2.7e3, 131 328 harmonics); measured at the
largest of these, on clustered states where the expansion (not the exact rows) does the work,
every row still agrees with the dense reference to 2e-14 (S^1, beta = 3e6, K = 15901) and
1.5e-14 (S^2, beta = 1000). Beyond it the cost per token (h harmonics) and the work arrays
(16 rows x 2 h numbers at least) grow without bound, and for |beta| >~ 2e9 ``scipy.special.ive``
returns NaN: ``supports`` then answers False at once (without evaluating a Bessel function when
the estimate sqrt(84 |beta|) is over twice the cap), ``backend="auto"`` takes a dense evaluator,
which is exact at any beta, and ``backend="spectral"`` is a clear error.

Accuracy. The scaled sums are computed with an absolute error of a few units of rounding (the
coefficients sum to 1), while the scaled Z_i = (1/N) sum_j e^{beta <x_i, x_j> - |beta|} can be
small: for beta >= 0 it is at least 1/N (the token itself), for beta < 0 it can be as small as
e^{-2|beta|}. Rows whose scaled Z_i falls below ``_Z_EXACT`` = 1e-3 (an isolated token at large
beta, or a clustered state at negative beta) are recomputed exactly by direct summation over all
tokens (O(N) each, with the exact row maximum as shift), so every row keeps a relative accuracy
of about 1e-12 whatever the state; in the worst case (every row recomputed) the cost is that of
the dense evaluator. USA multiplies by e^{|beta|} at the end and raises ``FloatingPointError``
when the result leaves the range of the output dtype (:mod:`attnflow.backends.numerics`).

Off-sphere inputs. The evaluator is applied to x / |x| (sources and targets): this is the
extension of the field to R^d used by this backend. The integrators project with P_x = I - x x^T,
for which the sphere is invariant whatever the extension (d|x|^2/dt = 2 (1 - |x|^2) <x, y>), so
RK4 keeps its order (measured: 3.9 at beta = 2, USA, S^2). The dense backend extends the field
differently (it sums e^{beta <x_i, x_j>} x_j at the raw stage points), so the two RK4
trajectories differ by O(dt^5) per step, i.e. by about the size of the RK4 error itself, not by
rounding: e.g. 3.6e-12 (SA) and 1.5e-5 (USA, |y| up to e^4) at beta = 4, d = 3, dt = 0.01, t = 1,
where each is as close to the exact flow as the other.

dtype. The computation always runs in float64; float32 input gives float32 output.
Batched input (B, n, d) is evaluated member by member. :func:`prepare` computes the
coefficients, the order and the S^2 recurrence tables once per model.

Variants. One head and full attention only: a causal mask or several heads make ``supports``
False (``reason`` says which), so ``backend="auto"`` never picks this backend for them and
``backend="spectral"`` is an error naming the cause.

Automatic selection. ``supports`` (A = V = I, d in (2, 3), order within the range) decides whether
``backend="spectral"`` may be asked for, at any n; ``faster`` decides whether ``backend="auto"``
prefers it over the dense evaluator: n >= ``_CROSSOVER[d]`` * (number of harmonics) + offset,
measured on the 2-core development machine (see benchmarks/bench_spectral.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..model import AttentionModel
from ..validation import fail, integer
from .numerics import exact_sums, scale_usa

__all__ = ["MAX_ORDER", "faster", "harmonic_count", "order", "prepare", "reason", "supports"]

#: relative size of the first omitted term of the expansion
_TRUNCATION = 1e-18
#: rows whose exponentially scaled Z_i falls below this are recomputed by direct summation
_Z_EXACT = 1e-3
#: target size of one block of work arrays, in float64 entries (2^20 = 8 MiB)
_BLOCK_ENTRIES = 1 << 20
#: auto-selection rule n >= slope * harmonics + offset, from measured crossovers (see ``faster``)
_CROSSOVER = {2: (9.0, 250), 3: (20.0, 0)}
#: largest truncation order K (S^1) or degree L (S^2) the backend accepts (see "Range" above)
MAX_ORDER = {2: 1 << 14, 3: 1 << 9}


def supports(model: AttentionModel, x: np.ndarray | None = None) -> bool:
    """Whether this backend can evaluate ``model`` exactly (any number of tokens).

    It needs one head with A = V = I, full attention (no mask), d in (2, 3) and a beta whose
    expansion fits ``MAX_ORDER`` (answered at once for any beta, however large).
    """
    return not reason(model, x)


def reason(model: AttentionModel, x: np.ndarray | None = None) -> str:
    """Why this backend does not apply to ``model`` ("" when it applies), for the registry's error.

    The expansion sums the zonal kernel e^{beta <x_i, x_j>} over all tokens: a causal mask
    (a different set of tokens per row) or several heads (several kernels) break it.
    """
    if model.mask is not None:
        return f"the model has the mask {model.mask!r}, and the expansion sums over all tokens"
    if model.heads != 1:
        return f"the model has {model.heads} heads"
    if not model.identity:
        return "A and V are not both the identity"
    if model.d not in (2, 3):
        return f"d={model.d} is not 2 or 3"
    if not (math.isfinite(model.beta) and _coefficients(model.d, float(model.beta)) is not None):
        return (f"beta={model.beta:g} needs an expansion beyond MAX_ORDER={MAX_ORDER[model.d]} "
                f"on S^{model.d - 1}")
    return ""


def faster(model: AttentionModel, x: np.ndarray) -> bool:
    """Whether the spectral evaluation is expected to beat the dense one for ``x``.

    The spectral cost grows like n * h, h = ``harmonic_count(d, beta)``, the dense one like n^2.
    Crossovers against the fused Numba kernel (the dense evaluator "auto" uses for d <= 8; 2
    threads, best of 7, first n of two consecutive wins on a sqrt(2)-spaced grid, the 2-core
    development machine): on S^1 n ~ 300 (h = 12, 19; beta = 0.1, 1), 340 (h = 29, beta = 5),
    400 (h = 36, beta = 9), 900 (h = 57, 97; beta = 30, 100); on S^2 n ~ 900 (h = 66,
    beta = 0.1), 2500 (h = 171, beta = 1), 10^4 (h = 435, beta = 5), 2 10^4 (h = 666,
    beta = 9), 3 10^4 (h = 1711, beta = 30). The rule n >= 9 h + 250 (S^1), n >= 20 h (S^2)
    stays within a factor 2 of the faster choice at every measured point. (The first rule,
    4 h + 80 and 4.5 h, was measured against the NumPy row blocks, 3-10x slower than Numba.)
    States whose rows are mostly recomputed exactly (clustered tokens at strongly negative
    beta, see the module notes) cost about one dense evaluation more than predicted here.
    """
    if not supports(model, x):
        return False
    slope, offset = _CROSSOVER[model.d]
    return x.shape[-2] >= slope * harmonic_count(model.d, model.beta) + offset


@lru_cache(maxsize=256)
def _coefficients(d: int, beta: float) -> np.ndarray | None:
    """Exponentially scaled expansion coefficients c_0..c_K (S^1) or i_0..i_L (S^2).

    None when the truncation order would exceed ``MAX_ORDER[d]`` or the Bessel functions are
    not finite (``ive`` returns NaN for |beta| >~ 2e9): decided from the large-beta estimate
    K ~ sqrt(84 |beta|) without any evaluation when it is far beyond the cap, else by
    evaluating the orders in chunks that double, up to the cap.
    """
    if beta == 0.0:
        return np.ones(1)
    b = abs(beta)
    cap = MAX_ORDER[d]
    if math.sqrt(84.0 * b) > 2 * cap:                  # far beyond the cap: no Bessel evaluation
        return None
    # imported here: scipy.special is slow to import
    from scipy.special import ive

    sign = 1.0 if beta > 0 else -1.0
    parts: list[np.ndarray] = []
    k0, k1 = 0, 64
    while k0 <= cap:
        k = np.arange(k0, min(k1, cap + 1), dtype=np.float64)
        if d == 2:
            c = ive(k, b)
            bound = 2.0 * c
        else:
            c = ive(k + 0.5, b) * math.sqrt(math.pi / (2.0 * b))
            bound = (2 * k + 1) * c
        if not np.all(np.isfinite(c)):
            return None
        parts.append(c * sign**k)
        c0 = parts[0][0]
        done = np.flatnonzero((bound < _TRUNCATION * abs(c0)) & (k > 0))
        if done.size:
            parts[-1] = parts[-1][: done[0] + 1]
            coef = np.concatenate(parts)
            coef.setflags(write=False)
            return coef
        k0, k1 = k1, 2 * k1
    return None


def _checked_coefficients(d: int, beta: float) -> np.ndarray:
    coef = _coefficients(int(d), float(beta))
    if coef is None:
        raise fail("beta", beta, f"needs a spectral expansion beyond order {MAX_ORDER[int(d)]} on "
                   f"S^{int(d) - 1}", "use a dense evaluator (backend='numba', 'dense' or 'auto')")
    return coef


def order(d: int, beta: float) -> int:
    """The truncation order K (S^1, d = 2) or degree L (S^2, d = 3) used at ``beta``."""
    return _checked_coefficients(d, beta).size - 1


def harmonic_count(d: int, beta: float) -> int:
    """Number of harmonics evaluated per token: K + 2 powers on S^1, (L+1)(L+2)/2 on S^2."""
    k = order(d, beta)
    return k + 2 if d == 2 else (k + 1) * (k + 2) // 2


def prepare(model: AttentionModel, dtype: np.dtype, *, block: int | None = None
            ) -> Callable[[np.ndarray], np.ndarray]:
    """The spectral evaluator of ``model``: a function x -> y, y in ``dtype`` (float64 or float32).

    The expansion coefficients, the truncation order and (S^2) the recurrence tables and the
    scaled weights of the harmonics are computed here, once. The sums always run in float64.

    Parameters
    ----------
    model : AttentionModel with A = V = I, d in (2, 3) (see :func:`supports`).
    dtype : the output dtype.
    block : rows per block of the work arrays (the result does not depend on it beyond
        rounding); default about 2^20 float64 numbers per work array.
    """
    why = reason(model)
    if why:
        raise fail("model", model, f"is not supported by the spectral backend: {why}; it needs one head "
                   f"with A = V = I, no mask, d in (2, 3) and a truncation order <= "
                   f"{MAX_ORDER.get(model.d, 0)}", "use backend='dense' (or 'auto')")
    if block is not None:
        block = integer("block", block, 1, fix="pass a positive number of rows per block, or omit it")
    coef = _checked_coefficients(model.d, model.beta)
    if model.d == 2:
        sums = _CircleSums(coef)
    else:
        sums = _SphereSums.build(coef)
    return _Spectral(model=model, dtype=np.dtype(dtype), sums=sums, block=block)


@dataclass(frozen=True, eq=False)
class _Spectral:
    model: AttentionModel
    dtype: np.dtype
    sums: Callable[[np.ndarray, int | None], tuple[np.ndarray, np.ndarray]]
    block: int | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of ``x`` (n, d) or (B, n, d), evaluated at x / |x|, member by member."""
        if x.ndim == 3:
            return np.stack([self(xb) for xb in x])
        model = self.model
        beta = float(model.beta)
        u = np.asarray(x, dtype=np.float64)
        u = u / np.linalg.norm(u, axis=1, keepdims=True)
        n = u.shape[0]
        num, den = self.sums(u, self.block)
        low = np.flatnonzero(~(den >= _Z_EXACT))          # also catches NaN
        if low.size:                                      # rows summed exactly, exact row maximum
            num_low, den_low, m_low = exact_sums(u[low], u.T, u, beta)
        y = num
        if model.normalization == "sa":
            y /= np.where(den > 0, den, 1.0)[:, None]
            if low.size:
                y[low] = num_low / den_low[:, None]
            return y.astype(self.dtype, copy=False)
        shift = np.full(n, abs(beta))
        if low.size:
            y[low] = num_low / n
            shift[low] = m_low
        return scale_usa(y, shift, 1, beta, self.dtype)


# -- S^1 -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _CircleSums:
    """The S^1 sums for the coefficients c_0..c_K of one beta."""

    c: np.ndarray

    def __call__(self, u: np.ndarray, block: int | None) -> tuple[np.ndarray, np.ndarray]:
        return _circle_sums(u, self.c, block)


def _circle_sums(u: np.ndarray, c: np.ndarray, block: int | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Scaled (1/N) sum_j e^{beta cos - |beta|} x_j and the scaled Z_i on S^1."""
    n = u.shape[0]
    K = c.size - 1
    b = _block(n, 2 * (K + 2), block)                     # complex entries count twice
    powers = np.empty((K + 2, b), dtype=np.complex128)

    def fill(i0: int, i1: int) -> np.ndarray:
        p = powers[:, : i1 - i0]
        p[0] = 1.0
        p[1].real = u[i0:i1, 0]
        p[1].imag = u[i0:i1, 1]
        for k in range(2, K + 2):
            np.multiply(p[k - 1], p[1], out=p[k])
        return p

    S = np.zeros(K + 2, dtype=np.complex128)               # S_0 .. S_{K+1}
    for i0 in range(0, n, b):
        S += fill(i0, min(n, i0 + b)).sum(axis=1)
    S /= n
    # coefficients of P_1, P_2, P_3 in powers of w = conj z: evaluate conj(conj(coef) @ z^k)
    coef = np.zeros((3, K + 1), dtype=np.complex128)
    coef[0] = c * S[1:]
    coef[1, 1:] = c[1:] * S[:K]
    coef[2] = c * S[: K + 1]
    coef = np.conj(coef)
    num = np.empty((n, 2))
    den = np.empty(n)
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        p = fill(i0, i1) if n > b else powers[:, :n]        # one block: powers still there
        r = coef @ p[: K + 1]                               # conj of P_1, P_2, P_3 at w
        y = np.conj(r[0]) + r[1]                            # P_1 + conj P_2
        num[i0:i1, 0] = y.real
        num[i0:i1, 1] = y.imag
        den[i0:i1] = 2.0 * r[2].real - c[0]
    return num, den


# -- S^2 -----------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _legendre_tables(L: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Recurrence constants a_lm (m < l), b_lm (m < l - 1) and the diagonal ratios, degrees 1..L."""
    a_list: list[np.ndarray] = [np.empty(0)]
    b_list: list[np.ndarray] = [np.empty(0)]
    for l in range(1, L + 1):
        m = np.arange(l, dtype=np.float64)
        a = np.sqrt((4.0 * l * l - 1.0) / (l * l - m * m))
        bb = np.zeros(l)
        if l >= 2:
            mm = m[: l - 1]
            bb[: l - 1] = np.sqrt(((l - 1.0) ** 2 - mm * mm) / (4.0 * (l - 1.0) ** 2 - 1.0))
        a_list.append(a[:, None])
        b_list.append(bb[: max(l - 1, 0), None])
    diag = np.sqrt((2.0 * np.arange(1, L + 1) + 1.0) / (2.0 * np.arange(1, L + 1)))
    return a_list, b_list, diag


def _harmonics(u: np.ndarray, L: int, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (2 H, b) with q_lm(t) Re E_m and q_lm(t) Im E_m, (l, m) in l-major order."""
    b = u.shape[0]
    nh = (L + 1) * (L + 2) // 2
    t = u[:, 2]
    E = np.empty((L + 1, b), dtype=np.complex128)
    E[0] = 1.0
    if L >= 1:
        E[1] = u[:, 0] + 1j * u[:, 1]
        for m in range(2, L + 1):
            np.multiply(E[m - 1], E[1], out=E[m])
    ER = np.ascontiguousarray(E.real)
    EI = np.ascontiguousarray(E.imag)
    a_list, b_list, diag = _legendre_tables(L)
    prev2 = np.empty((L + 1, b))
    prev1 = np.empty((L + 1, b))
    cur = np.empty((L + 1, b))
    tmp = np.empty((L + 1, b))
    prev1[0] = 1.0
    out[0] = 1.0                                            # q_00 Re E_0
    out[nh] = 0.0
    off = 1
    for l in range(1, L + 1):
        q = cur[: l + 1]
        np.multiply(prev1[:l], t, out=q[:l])
        if l >= 2:
            np.multiply(b_list[l], prev2[: l - 1], out=tmp[: l - 1])
            q[: l - 1] -= tmp[: l - 1]
        q[:l] *= a_list[l]
        np.multiply(prev1[l - 1], diag[l - 1], out=q[l])
        np.multiply(q, ER[: l + 1], out=out[off: off + l + 1])
        np.multiply(q, EI[: l + 1], out=out[nh + off: nh + off + l + 1])
        off += l + 1
        prev2, prev1, cur = prev1, cur, prev2
    return out


@dataclass(frozen=True, eq=False)
class _SphereSums:
    """The S^2 sums for the degrees 0..L of one beta, with the harmonic weights precomputed.

    ``scale`` (2 H,) holds i_l eps_m for the real and the imaginary halves of the table
    (l-major order, as :func:`_harmonics` writes it): D_lm = i_l eps_m C_lm.
    """

    L: int
    scale: np.ndarray

    @classmethod
    def build(cls, il: np.ndarray) -> _SphereSums:
        L = il.size - 1
        nh = (L + 1) * (L + 2) // 2
        l_of = np.repeat(np.arange(L + 1), np.arange(1, L + 2))
        m_of = np.arange(nh) - l_of * (l_of + 1) // 2
        scale = il[l_of] * np.where(m_of == 0, 1.0, 2.0)
        _legendre_tables(L)                                # the recurrence constants, now
        return cls(L=L, scale=np.concatenate([scale, scale])[:, None])

    def __call__(self, u: np.ndarray, block: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Scaled (1/N) sum_j e^{beta <x, x_j> - |beta|} x_j and the scaled Z_i on S^2."""
        n = u.shape[0]
        L = self.L
        nh = (L + 1) * (L + 2) // 2
        b = _block(n, 2 * nh, block)
        H = np.empty((2 * nh, b))
        W = np.empty((n, 4))                                   # weights 1, x, y, z
        W[:, 0] = 1.0
        W[:, 1:] = u
        C = np.zeros((2 * nh, 4))
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            h = _harmonics(u[i0:i1], L, H[:, : i1 - i0])
            C += h @ W[i0:i1]
        C /= n
        C *= self.scale
        out = np.empty((n, 4))
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            h = _harmonics(u[i0:i1], L, H[:, : i1 - i0]) if n > b else H[:, :n]
            out[i0:i1] = h.T @ C
        return out[:, 1:], out[:, 0]


# -- shared --------------------------------------------------------------------------------
def _block(n: int, width: int, block: int | None) -> int:
    if block is not None:
        return max(1, min(n, int(block)))
    return int(max(16, min(n, _BLOCK_ENTRIES // max(width, 1))))
