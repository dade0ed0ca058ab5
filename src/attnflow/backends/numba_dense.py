"""The exact dense attention output as one fused Numba kernel per dimension d.

Same quantity as :mod:`attnflow.backends.dense` (the reference evaluator), computed
without any N x N or row-block matrix: for every row i (rows spread over threads with
``numba.prange``), with a_i = beta A x_i and the bound shift m_i = |beta| |A x_i| (every score
<a_i, x_j> <= m_i since |x_j| = 1), one pass over the tokens j accumulates

    w_ij = exp(<a_i, x_j> - m_i),   den_i = sum_j w_ij,   num_i = sum_j w_ij V x_j,

in registers: the score (d fused multiply-adds), the exponential and the d + 1 accumulations are
one loop that LLVM vectorizes (4 tokens per instruction with AVX2, 8 with AVX-512). Tokens are
stored as structure of arrays (x and V x as (d, N) C-contiguous), so the loop reads 2 d
contiguous streams and writes nothing; memory is O(N d) whatever N (measured: +12 MB at
N = 65536, d = 3). The loop source is generated per d (one scalar accumulator per coordinate) and
compiled by :func:`prepare` on first use per d (about 1 s), then kept in memory (no disk cache:
installs may be read-only, and Numba cannot cache generated code). For d > ``FUSED_MAX_D``
those registers would spill, and one compiled kernel for any d works in chunks of 512 tokens
instead: scores into an L1-resident buffer (one pass per coordinate), exp in place, then the
d + 1 sums.

The exponential. llvmlite ships without SVML, so ``math.exp`` inside Numba is a scalar libm
call that blocks vectorization. :func:`exp_nonpositive` is a branch-free polynomial exp:
k = rint(x / ln 2) by adding a 2^52 shifter, r = x - k ln 2 in two FMA steps (Cody-Waite,
|r| <= ln 2 / 2), e^r = 1 + r q(r) with q the degree-10 Chebyshev (near-minimax) fit of
(e^r - 1) / r (truncation error 6e-18), and the scale 2^k built from the exponent bits of the
shifted sum (an LLVM bitcast and shift, which vectorize). For subnormal results to be right the
polynomial is evaluated times 2^-54 (coefficients prescaled, exactly) and multiplied by
2^(k + 54): one product, rounded once. 17 vector instructions per 4 or 8 values; measured
error at most 1 ulp against ``np.exp`` on [-746, 0], subnormal range included, and exactly 0
below the underflow limit (x < -745.13); domain x <= 670 (the kernel only feeds it x <= 0 up
to rounding). Its instructions carry only the "contract" fast-math flag. The kernels' sums
carry "reassoc" (needed to vectorize them), which reorders the additions over j (a rounding
difference of O(sqrt(N) eps) from the reference) but does not reach the inlined exp, whose
instructions keep their own flags (tested: still 1 ulp inside a reassociating loop).

Underflow and overflow, as in the reference and with the same code
(:mod:`attnflow.backends.numerics`): a row whose den_i < tiny / eps (every weight underflowed:
very large beta and no token near a_i) is recomputed in NumPy with the exact row maximum as the
shift; USA multiplies by e^{m_i} / N at the end and raises ``FloatingPointError`` when the
result leaves the range of the output dtype.

dtype: the computation always runs in float64; float32 input gives float32 output (rounded at
the end, so it is more accurate than the reference's float32 evaluation). Batched input
(B, n, d) is evaluated member by member.

Threads: ``numba.prange`` over rows, on ``numba.get_num_threads()`` threads (default all
cores; set with ``numba.set_num_threads`` or the ``NUMBA_NUM_THREADS`` environment variable).
Calls are serialized by a lock, since some Numba threading layers (workqueue) abort on
concurrent use and the kernel already uses every thread it is given.

Speed (benchmarks/bench_dense.py, 2-core AMD EPYC (Zen 4), np.exp at 9.3e8/s on one core):
d = 3, N = 16384, general A and V: 0.12 s with 2 threads (1.2 times the all-core exp bound
N^2 / (2 x rate), i.e. faster than np.exp alone), 0.23 s with one; NumPy row blocks 1.2 s.

Automatic selection (``faster``): for d <= ``AUTO_MAX_D`` and n >= ``AUTO_MIN_N``. The cost per
pair grows like 2 d + 17 vector instructions, while BLAS row blocks do the d-wide products
near peak: at N = 16384 with 2 threads this backend was 1.25x faster than the NumPy reference at
d = 8, 0.9-1.3x at d = 16 (chunked kernel; varies between runs), 0.9-1.4x at d = 32, 2.5x slower
at d = 64 and 6-8x slower at d = 128. Below n = 64 both take under 30 us. ``applies`` accepts
any d: an explicit ``backend="numba"`` is exact at any d.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ..model import AttentionModel
from .numerics import combine, exact_sums, row_shift, underflow_threshold

__all__ = ["AUTO_MAX_D", "AUTO_MIN_N", "FUSED_MAX_D", "applies", "exp_nonpositive", "faster", "kernel",
           "prepare"]

#: ``backend="auto"`` prefers this backend for d <= AUTO_MAX_D (measured: parity near d = 12-16)
AUTO_MAX_D = 8
#: ... and for n >= AUTO_MIN_N (below, both take under 30 us and call overheads dominate)
AUTO_MIN_N = 64

# -- the exponential ------------------------------------------------------------------------
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238             # ln 2 = _LN2_HI + _LN2_LO; _LN2_HI has 32 bits, k * _LN2_HI exact
_LN2_LO = 1.9082149292705877e-10
_SHIFTER = 4503599627370496.0 + 1023.0 + 54.0   # 2^52 + bias + 54: adding it rounds to an integer k,
#                                                 and its low bits are then the biased exponent of 2^(k + 54)
_UNDER = -746.0                          # below log(2^-1075) the result is 0; the clamp keeps k in range
_TINY = 2.0**-54                         # p 2^-54 2^(k + 54): the last product rounds once, also if subnormal
# Chebyshev fit of (e^r - 1) / r on [-ln2/2, ln2/2], degree 10 (mpmath, 50 digits; |error| * |r| < 6.3e-18),
# each coefficient scaled by 2^-54 (exactly: the Horner steps are the unscaled ones times 2^-54)
_Q0, _Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8, _Q9, _Q10 = (_TINY * c for c in (
    1.0, 0.5000000000000006, 0.1666666666666667, 0.04166666666657314, 0.008333333333326141,
    0.0013888888932488599, 0.00019841269874800493, 2.4801504346997686e-05, 2.7557255425746435e-06,
    2.7626357241447223e-07, 2.510520637395701e-08))


@intrinsic
def _exponent_bits(typingctx, t):
    """The float64 whose bits are those of ``t`` shifted left by 52 (2^(low bits of t - bias))."""
    if t != types.float64:
        return None

    def codegen(context, builder, signature, args):
        bits = builder.bitcast(args[0], ir.IntType(64))
        bits = builder.shl(bits, ir.Constant(ir.IntType(64), 52))
        return builder.bitcast(bits, ir.DoubleType())

    return types.float64(types.float64), codegen


@njit(fastmath={"contract"}, error_model="numpy")
def _exp(x):
    x = max(x, _UNDER)
    t = x * _LOG2E + _SHIFTER            # one rounding (FMA): rint(x / ln 2) + _SHIFTER, exactly
    k = t - _SHIFTER
    r = x - k * _LN2_HI                  # exact
    r = r - k * _LN2_LO                  # |r| <= ln 2 / 2 (+ rounding)
    q = _Q10 * r + _Q9
    q = q * r + _Q8
    q = q * r + _Q7
    q = q * r + _Q6
    q = q * r + _Q5
    q = q * r + _Q4
    q = q * r + _Q3
    q = q * r + _Q2
    q = q * r + _Q1
    q = q * r + _Q0
    p = q * r + _TINY                    # e^r 2^-54
    return p * _exponent_bits(t)         # times 2^(k + 54)


@njit(fastmath={"contract"}, error_model="numpy")
def _exp_array(x, out):
    for i in range(x.size):
        out[i] = _exp(x[i])


def exp_nonpositive(x) -> np.ndarray:
    """The kernel's vectorizable exp, elementwise on a float64 array (for tests and checks).

    Valid for x <= 700 (the kernel uses x <= 0): within 1 ulp of ``np.exp`` including the
    subnormal range, exactly 0 below the underflow limit -745.13.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _exp_array(x.reshape(-1), out.reshape(-1))
    return out


# -- the kernels ---------------------------------------------------------------------------
# Small d: one fused loop over j, generated per d with one scalar accumulator per coordinate (LLVM
# keeps the 2 d + 1 vectors in registers and vectorizes the loop, 8 tokens per AVX-512 instruction).
_FUSED = """
def kernel(xs, vs, a, m, num, den):
    n = xs.shape[1]
{unpack}
    for i in prange(a.shape[1]):
{load}
        mi = m[i]
        sd = 0.0
{zero}
        for j in range(n):
            w = _exp({score} - mi)
            sd += w
{accumulate}
        den[i] = sd
{store}
"""

#: the fused kernel is used for d <= FUSED_MAX_D; above, its registers spill and the chunked one wins
FUSED_MAX_D = 12
#: tokens per chunk of the chunked kernel (its score buffer stays in L1) and rows per parallel task
_CHUNK = 512
_ROWS = 16


@njit(parallel=True, fastmath={"contract", "reassoc"}, error_model="numpy", boundscheck=False)
def _chunked(xs, vs, a, m, num, den):                # pragma: no cover - compiled
    """Any d: per chunk of tokens, the scores (one pass per coordinate), exp, then the d + 1 sums."""
    d, n = xs.shape
    rows = a.shape[1]
    for task in prange((rows + _ROWS - 1) // _ROWS):
        buf = np.empty(_CHUNK)
        acc = np.empty(d)
        for i in range(task * _ROWS, min(rows, task * _ROWS + _ROWS)):
            mi = m[i]
            sd = 0.0
            acc[:] = 0.0
            for j0 in range(0, n, _CHUNK):
                nj = min(n - j0, _CHUNK)
                a0 = a[0, i]
                x0 = xs[0, j0:j0 + nj]
                for jj in range(nj):
                    buf[jj] = a0 * x0[jj] - mi
                for k in range(1, d):
                    ak = a[k, i]
                    xk = xs[k, j0:j0 + nj]
                    for jj in range(nj):
                        buf[jj] += ak * xk[jj]
                td = 0.0
                for jj in range(nj):
                    w = _exp(buf[jj])
                    buf[jj] = w
                    td += w
                sd += td
                for k in range(d):
                    vk = vs[k, j0:j0 + nj]
                    t = 0.0
                    for jj in range(nj):
                        t += buf[jj] * vk[jj]
                    acc[k] += t
            den[i] = sd
            for k in range(d):
                num[k, i] = acc[k]


_KERNELS: dict[int, object] = {}
_LOCK = threading.Lock()


def _source(d: int) -> str:
    ks = range(d)
    return _FUSED.format(
        unpack="\n".join(f"    x{k} = xs[{k}]\n    v{k} = vs[{k}]" for k in ks),
        load="\n".join(f"        a{k} = a[{k}, i]" for k in ks),
        zero="\n".join(f"        s{k} = 0.0" for k in ks),
        score=" + ".join(f"a{k} * x{k}[j]" for k in ks),
        accumulate="\n".join(f"            s{k} += w * v{k}[j]" for k in ks),
        store="\n".join(f"        num[{k}, i] = s{k}" for k in ks),
    )


def kernel(d: int):
    """The kernel for dimension d: generated and compiled on first use, then kept in memory.

    ``kernel(d)(xs, vs, a, m, num, den)`` with xs = x^T and vs = (x V^T)^T of shape (d, N),
    a = beta (x A^T)^T of shape (d, R) and the shifts m (R,) writes num (d, R) and den (R,)
    for the R rows of ``a`` against all N tokens (float64, C-contiguous arrays).
    """
    d = int(d)
    if d > FUSED_MAX_D:
        return _chunked
    fn = _KERNELS.get(d)
    if fn is None:
        with _LOCK:
            fn = _KERNELS.get(d)
            if fn is None:
                namespace = {"prange": prange, "_exp": _exp}
                exec(compile(_source(d), f"<attnflow.backends.numba_dense kernel d={d}>", "exec"), namespace)
                fn = njit(parallel=True, fastmath={"contract", "reassoc"}, error_model="numpy",
                          boundscheck=False)(namespace["kernel"])
                _KERNELS[d] = fn
    return fn


# -- the evaluator --------------------------------------------------------------------------
def applies(model: AttentionModel, x: np.ndarray | None = None) -> bool:
    """Whether this backend can evaluate ``model`` (any finite beta, any d, any n)."""
    return math.isfinite(model.beta)


def faster(model: AttentionModel, x: np.ndarray) -> bool:
    """Whether ``backend="auto"`` should prefer this backend over the NumPy reference."""
    return applies(model, x) and model.d <= AUTO_MAX_D and x.shape[-2] >= AUTO_MIN_N


def prepare(model: AttentionModel, dtype: np.dtype) -> Callable[[np.ndarray], np.ndarray]:
    """The fused-kernel evaluator of ``model``: a function x -> y, y in ``dtype`` (float64 or float32).

    Compiles the kernel for ``model.d`` now (about 1 s the first time per d in a process), so
    that the calls that follow only evaluate. The sums always run in float64.
    """
    fn = kernel(model.d)
    if not fn.signatures:                                    # compile here, not in the first call
        with _LOCK:
            z = np.zeros((model.d, 1))
            fn(z, z, z, np.zeros(1), np.empty((model.d, 1)), np.empty(1))
    return _Numba(model=model, dtype=np.dtype(dtype), fn=fn)


@dataclass(frozen=True, eq=False)
class _Numba:
    model: AttentionModel
    dtype: np.dtype
    fn: Callable

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of ``x`` (n, d) or (B, n, d), member by member."""
        if x.ndim == 3:
            return np.stack([self(xb) for xb in x])
        model = self.model
        x = np.ascontiguousarray(x, dtype=np.float64)
        n, d = x.shape
        beta = float(model.beta)
        xa = x if model.A is None else x @ model.A.T           # rows A x_i
        xv = x if model.V is None else x @ model.V.T           # rows V x_j
        shift = row_shift(xa, beta)                             # m_i >= every score of row i
        a = np.ascontiguousarray(beta * xa.T)
        xs = np.ascontiguousarray(x.T)
        vs = np.ascontiguousarray(xv.T)
        num = np.empty((d, n))
        den = np.empty(n)
        with _LOCK:
            self.fn(xs, vs, a, shift, num, den)
        num = np.ascontiguousarray(num.T)
        low = np.flatnonzero(~(den >= underflow_threshold(np.float64)))    # also catches NaN
        if low.size:                                             # exact max for rows that underflowed
            num[low], den[low], shift[low] = exact_sums(xa[low], xs, xv, beta)
        return combine(num, den, shift, n, model.beta, model.normalization, self.dtype)
