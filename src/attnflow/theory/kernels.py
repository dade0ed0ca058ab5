"""Spectra of the attention kernel e^{beta <x, y>} on S^{d-1} and the zonal harmonics.

- :func:`kernel_coefficients`: the Funk-Hecke eigenvalues lambda_k of e^{beta <x, y>};
- :func:`gegenbauer_coefficients`: the expansion of e^{beta t} in Gegenbauer / Chebyshev
  polynomials;
- :func:`zonal_harmonics`, :func:`zonal_harmonics_and_derivatives`,
  :func:`iter_zonal_harmonics`: the normalized zonal harmonics P_k = C_k^nu / C_k^nu(1);
- :func:`harmonic_norms`: h_k = int P_k^2 dsigma = 1 / dim H_k.

Conventions: sigma is the *normalized* uniform measure on S^{d-1}; nu = (d - 2)/2; I_mu is the
modified Bessel function of the first kind. This module is the one place where these
formulas live; the mean-field solvers (:mod:`attnflow.meanfield`), the growth rates
(:mod:`attnflow.theory.stability`) and the experiments import them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, ive

from ..validation import real_array
from ._args import degree, dimension, inverse_temperature

__all__ = [
    "LOG_MAX",
    "gegenbauer_coefficients",
    "harmonic_norms",
    "iter_zonal_harmonics",
    "kernel_coefficients",
    "overflow_error",
    "scaled_eigenvalues",
    "unscale",
    "zonal_harmonics",
    "zonal_harmonics_and_derivatives",
]

#: log of the largest float64; e^x overflows beyond it
LOG_MAX = math.log(np.finfo(np.float64).max)
#: below this |beta| the Bessel values come from their power series
_SERIES_BETA = 1.0
#: ive values below this are treated as underflowed and recomputed from the series
_IVE_FLOOR = 1e-280
_LOG_FLOOR = math.log(_IVE_FLOOR)
#: the prefactor Gamma(nu + 1) (2/b)^nu is applied as a product while |log| stays below this
_LOG_SAFE = 700.0


def overflow_error(what: str, beta: float, log_value: float, fix: str) -> FloatingPointError:
    """The one overflow error of the package: names the quantity, beta, the size and the fix."""
    return FloatingPointError(f"{what} overflows float64 at beta={beta:g} (values ~ e^{log_value:.1f}). "
                              f"Fix: {fix}")


# -- Bessel values -----------------------------------------------------------------------------
def _log_series(b: float, nu: float, K: int) -> np.ndarray:
    """log[(2/b)^nu I_{k+nu}(b)] for k = 0..K and b > 0 from the power series.

    (2/b)^nu I_{k+nu}(b) = (b/2)^k sum_{m>=0} (b^2/4)^m / (m! Gamma(m + k + nu + 1)),
    a sum of positive terms (no cancellation), evaluated as a log-sum-exp. The term ratio
    (b^2/4)/((m+1)(m+1+k+nu)) falls below 1/2 after m0 terms; 60 more make the tail < 2^-60.
    """
    k = np.arange(K + 1, dtype=np.float64)[:, None]
    m0 = math.ceil(0.5 * (-nu + math.sqrt(nu * nu + 2.0 * b * b))) + 1
    m = np.arange(m0 + 60, dtype=np.float64)[None, :]
    logh = math.log(b / 2.0)
    terms = 2.0 * m * logh - gammaln(m + 1.0) - gammaln(m + k + nu + 1.0)
    top = terms.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1))
    return k[:, 0] * logh + lse


def _bessel_values(b: float, nu: float, K: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, logs) of Gamma(nu + 1) (2/b)^nu I_{k+nu}(b) e^{-b}, k = 0..K, b > 0.

    b > 1: ``scipy.special.ive`` times the prefactor Gamma(nu + 1) (2/b)^nu (applied in
    logarithms when it is huge or tiny, e.g. large d); b <= 1, and orders where ive
    underflows, the power series of :func:`_log_series`. ``values`` may underflow to 0 where
    ``logs`` is still exact.
    """
    g = float(gammaln(nu + 1.0))
    with np.errstate(under="ignore"):
        if b <= _SERIES_BETA:
            logs = g + _log_series(b, nu, K) - b
            return np.exp(logs), logs
        vals = ive(np.arange(K + 1, dtype=np.float64) + nu, b)
        ok = vals > _IVE_FLOOR
        pre = g + nu * math.log(2.0 / b)
        logs = np.empty(K + 1)
        logs[ok] = pre + np.log(vals[ok])
        if not ok.all():              # orders far above b: the series converges fast there
            logs[~ok] = (g + _log_series(b, nu, K) - b)[~ok]
        out = np.exp(logs)
        if abs(pre) < _LOG_SAFE:      # a product keeps full relative accuracy (no exp(log(.)))
            out[ok] = math.exp(pre) * vals[ok]
    return out, logs


def scaled_eigenvalues(beta: float, d: int, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|lambda_k| e^{-|beta|}, log|lambda_k| - |beta|, sign lambda_k) for k = 0..K, beta != 0.

    The building block of :func:`kernel_coefficients` and of the growth rates: the first
    array is finite for any beta (it may underflow to 0 at high degree), the second is exact
    even there, and the parity lambda_k(-b) = (-1)^k lambda_k(b) gives the signs. Arguments
    are not validated (call :func:`kernel_coefficients` for that).
    """
    values, logs = _bessel_values(abs(beta), 0.5 * (d - 2), K)
    sign = np.ones(K + 1)
    if beta < 0:
        sign[1::2] = -1.0
    return values, logs, sign


def unscale(values: np.ndarray, logs: np.ndarray, beta: float, what: str, fix: str) -> np.ndarray:
    """values e^{|beta|} (with logs = log values), raising :func:`overflow_error` past float64.

    Where ``values`` has underflowed the result comes from exp(logs + |beta|).
    """
    b = abs(beta)
    top = float(logs.max()) + b
    if top > LOG_MAX:
        raise overflow_error(what, beta, top, fix)
    with np.errstate(under="ignore"):
        if b > LOG_MAX:
            return np.exp(logs + b)
        out = values * math.exp(b)
        tiny = logs < _LOG_FLOOR
        if tiny.any():
            out[tiny] = np.exp(logs[tiny] + b)
    return out


_KERNEL_FIX = "pass scaled=True to get the values times e^{-|beta|}"


def _spectrum(beta: Any, d: Any, K: Any) -> tuple[float, int, int, tuple[np.ndarray, ...] | None]:
    """Checked (beta, d, K) and :func:`scaled_eigenvalues` (None at beta = 0, where the
    coefficients are (1, 0, ..., 0))."""
    beta, d, K = inverse_temperature(beta), dimension(d), degree(K)
    return beta, d, K, (scaled_eigenvalues(beta, d, K) if beta != 0 else None)


def _trivial(K: int) -> np.ndarray:
    """(1, 0, ..., 0): the coefficients at beta = 0."""
    out = np.zeros(K + 1)
    out[0] = 1.0
    return out


def kernel_coefficients(beta: float, d: int, K: int, *, scaled: bool = False) -> np.ndarray:
    """Funk-Hecke eigenvalues of the kernel e^{beta <x, y>} on S^{d-1}, degrees k = 0..K.

    For a spherical harmonic Y_k of degree k and sigma the normalized uniform measure,

        int e^{beta <x, y>} Y_k(y) dsigma(y) = lambda_k Y_k(x),
        lambda_k = Gamma(d/2) (2/beta)^{d/2 - 1} I_{k + d/2 - 1}(beta)
                 = (omega_{d-2}/omega_{d-1}) int_{-1}^{1} e^{beta t} P_k(t) (1 - t^2)^{(d-3)/2} dt,

    with P_k = C_k^nu / C_k^nu(1) (nu = (d - 2)/2) and omega_{d-2}/omega_{d-1} =
    Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)). d = 2: lambda_k = I_k(beta); d = 3: lambda_0 =
    sinh(beta)/beta. docs/theory/linear-stability.md#funk-hecke-eigenvalues states the same eigenvalue for
    the unnormalized surface
    measure (times |S^{d-1}|). Derived here (docs/theory/linear-stability.md#funk-hecke-eigenvalues); checked
    against quadrature in the tests.

    Parameters
    ----------
    beta : float, any finite value. beta = 0 gives lambda = (1, 0, 0, ...); beta < 0 uses
        the parity lambda_k(-b) = (-1)^k lambda_k(b) (from P_k(-t) = (-1)^k P_k(t)).
    d : int >= 2.
    K : int >= 0, the largest degree.
    scaled : return lambda_k e^{-|beta|} (= lambda_k e^{-beta} for beta >= 0), finite for
        any beta (e.g. beta = 1000) and any k; unscaled values overflow past beta ~ 700.

    Returns
    -------
    (K + 1,) float64 array.

    Notes
    -----
    Numerics: |beta| > 1 uses ``scipy.special.ive`` times Gamma(d/2) (2/beta)^{d/2-1} (in
    logarithms, with ``gammaln``, when that factor is extreme, so large d is fine); |beta| <=
    1, and orders where ive underflows, use the power series (2/b)^nu I_{k+nu}(b) =
    (b/2)^k sum_m (b^2/4)^m / (m! Gamma(m+k+nu+1)), which has no 0/0 as beta -> 0 and tends
    to lambda_0 = 1, lambda_k = O(beta^k). For d = 2 and |beta| > 1 the scaled values are
    exactly ``ive(k, beta)``.

    Raises
    ------
    FloatingPointError
        If ``scaled`` is False and a value exceeds the float64 range.
    """
    beta, d, K, parts = _spectrum(beta, d, K)
    if parts is None:
        return _trivial(K)
    values, logs, sign = parts
    if scaled:
        return sign * values
    return sign * unscale(values, logs, beta, "kernel_coefficients", _KERNEL_FIX)


def gegenbauer_coefficients(beta: float, d: int, K: int, *, scaled: bool = False) -> np.ndarray:
    """Coefficients a_k of e^{beta t} = sum_{k>=0} a_k C_k^nu(t) on [-1, 1], k = 0..K.

    - d >= 3, nu = (d - 2)/2 (Gegenbauer polynomials C_k^nu, ``scipy.special.eval_gegenbauer``):
      a_k = Gamma(nu) (beta/2)^{-nu} (k + nu) I_{k+nu}(beta)
      (docs/theory/linear-stability.md#gegenbauer-coefficients; derived here).
    - d = 2 (Chebyshev / Fourier, e^{beta cos s} = I_0 + 2 sum_k I_k cos(k s)):
      a_0 = I_0(beta), a_k = 2 I_k(beta) for k >= 1, coefficients of T_k(t).

    They are related to the Funk-Hecke eigenvalues by a_k = lambda_k (k + nu)/nu (d >= 3).

    Parameters
    ----------
    beta, d, K, scaled : as in :func:`kernel_coefficients` (beta < 0: a_k(-b) = (-1)^k a_k(b);
        beta = 0: a = (1, 0, ...)).

    Returns
    -------
    (K + 1,) float64 array.
    """
    beta, d, K, parts = _spectrum(beta, d, K)
    if parts is None:
        return _trivial(K)
    values, logs, sign = parts
    nu = 0.5 * (d - 2)
    k = np.arange(K + 1, dtype=np.float64)
    factor = np.where(k > 0, 2.0, 1.0) if d == 2 else (k + nu) / nu
    if scaled:
        return sign * values * factor
    return sign * unscale(values * factor, logs + np.log(factor), beta, "gegenbauer_coefficients",
                          _KERNEL_FIX)


# -- zonal harmonics ---------------------------------------------------------------------------
def _cosines(t: Any) -> np.ndarray:
    return real_array("t", t, fix="pass cosines t = <x, e> in [-1, 1]", copy=False)


def _step(k: int, nu: float) -> tuple[float, float]:
    """(a, b) of the recurrence P_{k+1} = a t P_k - b P_{k-1}, a = 2(k+nu)/(k+2nu), b = k/(k+2nu)."""
    return 2 * (k + nu) / (k + 2 * nu), k / (k + 2 * nu)


def iter_zonal_harmonics(t: ArrayLike, K: int, d: int) -> Iterator[np.ndarray]:
    """Yield P_0(t), P_1(t), ..., P_K(t) (arrays of the shape of ``t``), degree by degree.

    P_k = C_k^nu / C_k^nu(1), nu = (d - 2)/2 (d = 2: Chebyshev T_k), by the three-term
    recurrence P_{k+1} = (2 (k + nu) t P_k - k P_{k-1}) / (k + 2 nu), stable on [-1, 1] where
    |P_k| <= 1. Only two degrees are held at a time, so ``t`` can be a large block (e.g. the
    Gram matrix of :func:`attnflow.analysis.mode_amplitudes`). The yielded arrays must not be
    modified.

    Parameters
    ----------
    t : array of cosines in [-1, 1], any shape.
    K : int >= 0, the top degree.
    d : int >= 2, the ambient dimension (the sphere is S^{d-1}).
    """
    K = degree(K, fix="pass the top degree, e.g. K=32")
    d = dimension(d)
    t = _cosines(t)
    nu = (d - 2) / 2
    p_prev = np.ones_like(t)
    yield p_prev
    if K == 0:
        return
    p = t
    yield p
    for k in range(1, K):
        a, b = _step(k, nu)
        p_prev, p = p, a * t * p - b * p_prev
        yield p


def zonal_harmonics(t: ArrayLike, K: int, d: int) -> np.ndarray:
    """Normalized zonal harmonics P_k^{(d)}(t) = C_k^{nu}(t) / C_k^{nu}(1), k = 0..K.

    nu = (d - 2) / 2; for d = 2, P_k(cos phi) = cos(k phi) (Chebyshev T_k). Computed by the
    recurrence of :func:`iter_zonal_harmonics`.

    Parameters
    ----------
    t : (n,) array of cosines in [-1, 1] (other shapes are flattened).
    K : int >= 0, the top degree.
    d : int >= 2, the ambient dimension (the sphere is S^{d-1}).

    Returns
    -------
    (n, K + 1) float64 array, column k holding P_k.
    """
    t = _cosines(t).ravel()
    return np.stack(list(iter_zonal_harmonics(t, K, d)), axis=1)


def zonal_harmonics_and_derivatives(t: ArrayLike, K: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(P, dP/dt) of :func:`zonal_harmonics`, each (n, K + 1).

    The derivative follows from differentiating the recurrence:
    P'_{k+1} = a (P_k + t P'_k) - b P'_{k-1}, with the (a, b) of :func:`iter_zonal_harmonics`.
    """
    K = degree(K, fix="pass the top degree, e.g. K=32")
    d = dimension(d)
    t = _cosines(t).ravel()
    nu = (d - 2) / 2
    P = np.empty((t.size, K + 1))
    dP = np.empty((t.size, K + 1))
    P[:, 0], dP[:, 0] = 1.0, 0.0
    if K >= 1:
        P[:, 1], dP[:, 1] = t, 1.0
    for k in range(1, K):
        a, b = _step(k, nu)
        P[:, k + 1] = a * t * P[:, k] - b * P[:, k - 1]
        dP[:, k + 1] = a * (P[:, k] + t * dP[:, k]) - b * dP[:, k - 1]
    return P, dP


def harmonic_norms(K: int, d: int) -> np.ndarray:
    """h_k = int P_k^2 dsigma = 1 / N(d, k), k = 0..K, shape (K + 1,).

    N(d, k) = (2k + d - 2) (k + d - 3)! / (k! (d - 2)!) is the dimension of the degree-k
    spherical harmonics on S^{d-1} (N(2, k) = 2 for k >= 1; N(3, k) = 2k + 1).
    """
    K = degree(K, fix="pass the top degree, e.g. K=32")
    d = dimension(d)
    k = np.arange(K + 1, dtype=np.float64)
    if d == 2:
        n = np.where(k == 0, 1.0, 2.0)
    else:
        n = (2 * k + d - 2) / (d - 2) * np.exp(gammaln(k + d - 2) - gammaln(k + 1) - gammaln(d - 2))
    return 1.0 / n
