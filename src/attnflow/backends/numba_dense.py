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
from .numerics import checked_usa, combine, exact_sums, head_matrices, row_shift, underflow_threshold

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
# The heads are a loop around it (one parallel region for all of them); under the causal mask the loop
# over j stops at i, and the rows are visited in the order 0, n-1, 1, n-2, ... so that every thread's
# contiguous share of the rows holds as many long rows as short ones.
_FUSED = """
def kernel(xs, vs, a, m, num, den):
    n = xs.shape[1]
    rows = a.shape[2]
{unpack}
    for t in prange(rows):
        i = {row}
        for h in range(a.shape[0]):
{unpack_v}
{load}
            mi = m[h, i]
            sd = 0.0
{zero}
            for j in range({bound}):
                w = _exp({score} - mi)
                sd += w
{accumulate}
            den[h, i] = sd
{store}
"""

#: the fused kernel is used for d <= FUSED_MAX_D; above, its registers spill and the chunked one wins
FUSED_MAX_D = 12
#: tokens per chunk of the chunked kernel (its score buffer stays in L1) and rows per parallel task
_CHUNK = 512
_ROWS = 16


def _chunked(causal: bool):
    """The kernel for any d, compiled per mask (``causal`` is a compile-time constant of the closure):
    per chunk of tokens, the scores (one pass per coordinate), exp, then the d + 1 sums."""
    @njit(parallel=True, fastmath={"contract", "reassoc"}, error_model="numpy", boundscheck=False)
    def chunked(xs, vs, a, m, num, den):             # pragma: no cover - compiled
        d, n = xs.shape
        heads, rows = a.shape[0], a.shape[2]
        tasks = (rows + _ROWS - 1) // _ROWS
        for t in prange(tasks):
            # under the mask, tasks in the order 0, T-1, 1, T-2, ...: balanced threads
            task = (t // 2 if t % 2 == 0 else tasks - 1 - t // 2) if causal else t
            buf = np.empty(_CHUNK)
            acc = np.empty(d)
            for i in range(task * _ROWS, min(rows, task * _ROWS + _ROWS)):
                end = i + 1 if causal else n
                for h in range(heads):
                    mi = m[h, i]
                    sd = 0.0
                    acc[:] = 0.0
                    for j0 in range(0, end, _CHUNK):
                        nj = min(end - j0, _CHUNK)
                        a0 = a[h, 0, i]
                        x0 = xs[0, j0:j0 + nj]
                        for jj in range(nj):
                            buf[jj] = a0 * x0[jj] - mi
                        for k in range(1, d):
                            ak = a[h, k, i]
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
                            vk = vs[h, k, j0:j0 + nj]
                            t2 = 0.0
                            for jj in range(nj):
                                t2 += buf[jj] * vk[jj]
                            acc[k] += t2
                    den[h, i] = sd
                    for k in range(d):
                        num[h, k, i] = acc[k]

    return chunked


_KERNELS: dict[tuple[int, bool], object] = {}
_LOCK = threading.Lock()


def _source(d: int, causal: bool) -> str:
    ks = range(d)
    return _FUSED.format(
        unpack="\n".join(f"    x{k} = xs[{k}]" for k in ks),
        row="t // 2 if t % 2 == 0 else rows - 1 - t // 2" if causal else "t",
        unpack_v="\n".join(f"            v{k} = vs[h, {k}]" for k in ks),
        load="\n".join(f"            a{k} = a[h, {k}, i]" for k in ks),
        zero="\n".join(f"            s{k} = 0.0" for k in ks),
        bound="i + 1" if causal else "n",
        score=" + ".join(f"a{k} * x{k}[j]" for k in ks),
        accumulate="\n".join(f"                s{k} += w * v{k}[j]" for k in ks),
        store="\n".join(f"            num[h, {k}, i] = s{k}" for k in ks),
    )


def kernel(d: int, causal: bool = False):
    """The kernel for dimension d (and the causal mask): generated and compiled on first use, then kept.

    ``kernel(d, causal)(xs, vs, a, m, num, den)`` with xs = x^T of shape (d, N), and per head h
    vs[h] = (x V_h^T)^T (H, d, N), a[h] = beta (x A_h^T)^T (H, d, R) and the shifts m (H, R),
    writes num (H, d, R) and den (H, R) for the R rows of ``a`` against the tokens j < N (all of
    them, or j <= i under the mask, where the rows must be the N tokens); float64, C-contiguous.
    For d > ``FUSED_MAX_D`` it is the chunked kernel (one for every such d).
    """
    d, causal = int(d), bool(causal)
    key = (d if d <= FUSED_MAX_D else 0, causal)
    fn = _KERNELS.get(key)
    if fn is None:
        with _LOCK:
            fn = _KERNELS.get(key)
            if fn is None:
                if d > FUSED_MAX_D:
                    fn = _chunked(causal)
                else:
                    namespace = {"prange": prange, "_exp": _exp}
                    name = f"<attnflow.backends.numba_dense kernel d={d}{' causal' if causal else ''}>"
                    exec(compile(_source(d, causal), name, "exec"), namespace)
                    fn = njit(parallel=True, fastmath={"contract", "reassoc"}, error_model="numpy",
                              boundscheck=False)(namespace["kernel"])
                _KERNELS[key] = fn
    return fn


# -- the evaluator --------------------------------------------------------------------------
def applies(model: AttentionModel, x: np.ndarray | None = None) -> bool:
    """Whether this backend can evaluate ``model`` (any finite beta, any d, n, heads, mask)."""
    return math.isfinite(model.beta)


def faster(model: AttentionModel, x: np.ndarray) -> bool:
    """Whether ``backend="auto"`` should prefer this backend over the NumPy reference."""
    return applies(model, x) and model.d <= AUTO_MAX_D and x.shape[-2] >= AUTO_MIN_N


def prepare(model: AttentionModel, dtype: np.dtype) -> Callable[[np.ndarray], np.ndarray]:
    """The fused-kernel evaluator of ``model``: a function x -> y, y in ``dtype`` (float64 or float32).

    Picks the kernel for (``model.d``, causal mask or not) and compiles it now (about 1 s the
    first time per pair in a process), so that the calls that follow only evaluate; the heads
    are a loop inside it, so any H uses the same compiled kernel. The sums always run in float64.
    """
    causal = model.mask == "causal"
    fn = kernel(model.d, causal)
    if not fn.signatures:                                    # compile here, not in the first call
        with _LOCK:
            z = np.zeros((1, model.d, 1))
            fn(z[0], z, z, np.zeros((1, 1)), np.empty((1, model.d, 1)), np.empty((1, 1)))
    return _Numba(model=model, dtype=np.dtype(dtype), fn=fn, heads=head_matrices(model, np.float64),
                  causal=causal)


@dataclass(frozen=True, eq=False)
class _Numba:
    model: AttentionModel
    dtype: np.dtype
    fn: Callable
    heads: tuple[tuple[np.ndarray | None, np.ndarray | None], ...]     # (A_h, V_h) in float64
    causal: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Attention output of ``x`` (n, d) or (B, n, d), member by member."""
        if x.ndim == 3:
            return np.stack([self(xb) for xb in x])
        model = self.model
        x = np.ascontiguousarray(x, dtype=np.float64)
        n, d = x.shape
        H = len(self.heads)
        beta = float(model.beta)
        xa = np.empty((H, n, d))
        xv = np.empty((H, n, d))
        for h, (A, V) in enumerate(self.heads):
            xa[h] = x if A is None else x @ A.T               # rows A_h x_i
            xv[h] = x if V is None else x @ V.T               # rows V_h x_j
        shift = row_shift(xa, beta)                           # (H, n): m_i >= every score of row i
        a = np.ascontiguousarray((beta * xa).transpose(0, 2, 1))
        xs = np.ascontiguousarray(x.T)
        vs = np.ascontiguousarray(xv.transpose(0, 2, 1))
        num = np.empty((H, d, n))
        den = np.empty((H, n))
        with _LOCK:
            self.fn(xs, vs, a, shift, num, den)
        # one head: combined in the output dtype as before; several: in float64, summed, cast once
        work = self.dtype if H == 1 else np.dtype(np.float64)
        y = None
        for h in range(H):
            nh, dh, mh = np.ascontiguousarray(num[h].T), den[h], shift[h]
            low = np.flatnonzero(~(dh >= underflow_threshold(np.float64)))    # also catches NaN
            if low.size:                                      # exact max for rows that underflowed
                nh[low], dh[low], mh[low] = exact_sums(xa[h, low], xs, xv[h], beta,
                                                       low if self.causal else None)
            yh = combine(nh, dh, mh, n, model.beta, model.normalization, work)
            y = yh if y is None else y + yh
        if H == 1:
            return y
        if model.normalization == "usa":
            return checked_usa(y, shift, model.beta, self.dtype)
        return y.astype(self.dtype, copy=False)
