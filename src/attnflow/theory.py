"""Closed-form predictions of the mean-field theory, to compare with simulations.

Everything here is a formula of THEORY.md / THEORY-DETAILS.md (in the repository's
``shared/`` notes) turned into a function with its shapes, its domain and its source:

- kernel spectra: :func:`kernel_coefficients` (Funk-Hecke eigenvalues of e^{beta t}),
  :func:`gegenbauer_coefficients` (expansion of e^{beta t} in Gegenbauer / Chebyshev
  polynomials);
- linear instability of the uniform measure [B]: :func:`growth_rates`, :func:`k_max`,
  :func:`predicted_cluster_count`, :func:`predicted_cluster_angles`,
  :func:`linear_phase_end`, :func:`time_scales`;
- the equiangular reduction [GLPR]: :func:`equiangular_rhs`, :func:`equiangular_solution`,
  :func:`equiangular_clustering_time`;
- the interaction energy on (S^{d-1})^N: :func:`energy_gradient`, :func:`energy_hessian`,
  :func:`hessian_top_eigenvalue`;
- quantitative clustering at small beta [C]: :func:`clustering_rate_bounds`;
- the zero-temperature limit [L]: :func:`zero_temperature_map`, :class:`ZeroTemperatureMap`,
  :func:`push_forward`, :func:`zero_temperature_rate`, :func:`wasserstein_bound`,
  :func:`optimal_time`.

References
----------
[B]    Bruno, Pasqualotto, Agazzi, "Emergence of meta-stable clustering in mean-field
       transformer models", arXiv 2410.23228 (ICLR 2025).
[C]    Chen, Lin, Polyanskiy, Rigollet, "Quantitative clustering in mean-field transformer
       models", arXiv 2504.14697.
[L]    Alcalde, Bungert, Riedl, Roith, "Quantifying concentration phenomena of mean-field
       transformers in the low-temperature regime", arXiv 2605.10931.
[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on
       transformers", arXiv 2312.10794.

"Derived here" marks statements that THEORY.md derives rather than reads in a paper; the
tests in ``tests/test_theory.py`` check each of them numerically (quadrature, finite
differences, particle runs with :func:`attnflow.simulate`).

Conventions. sigma is the *normalized* uniform measure on S^{d-1}; nu = (d - 2)/2; I_mu is
the modified Bessel function of the first kind; the model's logit is beta <A x_i, x_j> with
A = ``AttentionModel.A_matrix``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad, solve_ivp
from scipy.sparse.linalg import eigsh
from scipy.special import gammaln, ive

from .model import AttentionModel
from .validation import fail, finite_float

__all__ = [
    "ZeroTemperatureMap",
    "clustering_rate_bounds",
    "energy_gradient",
    "energy_hessian",
    "equiangular_clustering_time",
    "equiangular_rhs",
    "equiangular_solution",
    "gegenbauer_coefficients",
    "growth_rates",
    "hessian_top_eigenvalue",
    "k_max",
    "kernel_coefficients",
    "linear_phase_end",
    "optimal_time",
    "predicted_cluster_angles",
    "predicted_cluster_count",
    "push_forward",
    "time_scales",
    "wasserstein_bound",
    "zero_temperature_map",
    "zero_temperature_rate",
]

Normalization = Literal["sa", "usa"]

#: largest n * d for which the dense (n d, n d) Hessian is formed (128 MiB of float64)
HESSIAN_MAX_SIZE = 4000
#: below this |beta| the Bessel values come from their power series
_SERIES_BETA = 1.0
#: ive values below this are treated as underflowed and recomputed from the series
_IVE_FLOOR = 1e-280
_LOG_MAX = math.log(np.finfo(np.float64).max)


# -- validation --------------------------------------------------------------------------------
def _beta(beta: Any, *, positive: bool = False) -> float:
    fix = "pass a finite inverse temperature, e.g. beta=5.0"
    return finite_float("beta", beta, fix=fix, positive=positive)


def _int(name: str, value: Any, minimum: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise fail(name, value, f"must be an integer >= {minimum}", fix)
    return int(value)


def _dim(d: Any) -> int:
    return _int("d", d, 2, "pass the ambient dimension d >= 2 (d=2 is the circle S^1)")


def _order(K: Any) -> int:
    return _int("K", K, 0, "pass the largest harmonic degree, e.g. K=20")


def _normalization(normalization: Any) -> str:
    if normalization not in ("sa", "usa"):
        raise fail("normalization", normalization, "is not a known normalization",
                   'use "usa" (unnormalized, divided by N) or "sa" (softmax)')
    return str(normalization)


def _model(model: Any) -> AttentionModel:
    if not isinstance(model, AttentionModel):
        raise fail("model", model, "is not an AttentionModel",
                   "build one with attnflow.AttentionModel(d=..., beta=...)")
    return model


def _points(x: Any, d: int, name: str = "x", atol: float = 1e-8) -> np.ndarray:
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, x, "is not a numeric array", f"pass an (n, {d}) array of unit vectors") from None
    if arr.ndim != 2 or arr.shape[1] != d or arr.shape[0] == 0:
        raise fail(name, arr, f"has shape {arr.shape}, expected (n, {d}) with n >= 1",
                   f"pass one point of S^{d - 1} per row")
    if not np.all(np.isfinite(arr)):
        raise fail(name, arr, "has NaN or inf entries", "pass finite points")
    norms = np.linalg.norm(arr, axis=1)
    off = np.abs(norms - 1.0)
    if np.any(off > atol):
        i = int(np.argmax(off))
        raise fail(name, arr, f"is not on the unit sphere (row {i} has norm {norms[i]:.6g})",
                   "normalize the rows, e.g. attnflow.sphere.retract(x)")
    return arr


# -- Bessel kernels ----------------------------------------------------------------------------
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


def _log_bessel_factor(b: float, nu: float, K: int) -> np.ndarray:
    """log[(2/b)^nu I_{k+nu}(b) e^{-b}] for k = 0..K and b > 0 (exponentially scaled)."""
    if b <= _SERIES_BETA:
        return _log_series(b, nu, K) - b
    orders = np.arange(K + 1, dtype=np.float64) + nu
    vals = ive(orders, b)
    out = np.full(K + 1, -np.inf)
    ok = vals > _IVE_FLOOR
    with np.errstate(divide="ignore"):
        out[ok] = nu * math.log(2.0 / b) + np.log(vals[ok])
    if not ok.all():                  # orders far above b: the series converges fast there
        out[~ok] = (_log_series(b, nu, K) - b)[~ok]
    return out


def _log_kernel(beta: float, d: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    """(log |lambda_k| - |beta|, sign lambda_k) for k = 0..K; beta != 0."""
    nu = 0.5 * (d - 2)
    b = abs(beta)
    loglam = gammaln(nu + 1.0) + _log_bessel_factor(b, nu, K)
    sign = np.ones(K + 1)
    if beta < 0:
        sign[1::2] = -1.0
    return loglam, sign


def _finish(logs: np.ndarray, sign: np.ndarray, beta: float, scaled: bool, what: str) -> np.ndarray:
    """exp(logs) (+ |beta| unless scaled) with signs, raising on overflow."""
    if not scaled:
        logs = logs + abs(beta)
        if np.any(logs > _LOG_MAX):
            raise FloatingPointError(
                f"{what} overflows float64 at beta={beta:g} (values ~ e^{float(logs.max()):.1f}). "
                "Fix: pass scaled=True to get the values times e^{-|beta|}")
    with np.errstate(under="ignore"):
        return sign * np.exp(logs)


def kernel_coefficients(beta: float, d: int, K: int, *, scaled: bool = False) -> np.ndarray:
    """Funk-Hecke eigenvalues of the kernel e^{beta <x, y>} on S^{d-1}, degrees k = 0..K.

    For a spherical harmonic Y_k of degree k and sigma the normalized uniform measure,

        int e^{beta <x, y>} Y_k(y) dsigma(y) = lambda_k Y_k(x),
        lambda_k = Gamma(d/2) (2/beta)^{d/2 - 1} I_{k + d/2 - 1}(beta)
                 = (omega_{d-2}/omega_{d-1}) int_{-1}^{1} e^{beta t} P_k(t) (1 - t^2)^{(d-3)/2} dt,

    with P_k = C_k^nu / C_k^nu(1) (nu = (d - 2)/2) and omega_{d-2}/omega_{d-1} =
    Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)). d = 2: lambda_k = I_k(beta); d = 3: lambda_0 =
    sinh(beta)/beta. THEORY.md §3 states the same eigenvalue for the unnormalized surface
    measure (times |S^{d-1}|). Derived here (THEORY.md §3, THEORY-DETAILS §1.4); checked
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
    Numerics: |beta| > 1 uses ``scipy.special.ive`` in logarithms (with Gamma(d/2) as
    ``gammaln``, so large d is fine); |beta| <= 1, and orders where ive underflows, use the
    power series (2/b)^nu I_{k+nu}(b) = (b/2)^k sum_m (b^2/4)^m / (m! Gamma(m+k+nu+1)), which
    has no 0/0 as beta -> 0 and tends to lambda_0 = 1, lambda_k = O(beta^k).

    Raises
    ------
    FloatingPointError
        If ``scaled`` is False and a value exceeds the float64 range.
    """
    beta = _beta(beta)
    d = _dim(d)
    K = _order(K)
    if beta == 0:
        out = np.zeros(K + 1)
        out[0] = 1.0
        return out
    logs, sign = _log_kernel(beta, d, K)
    return _finish(logs, sign, beta, scaled, "kernel_coefficients")


def gegenbauer_coefficients(beta: float, d: int, K: int, *, scaled: bool = False) -> np.ndarray:
    """Coefficients a_k of e^{beta t} = sum_{k>=0} a_k C_k^nu(t) on [-1, 1], k = 0..K.

    - d >= 3, nu = (d - 2)/2 (Gegenbauer polynomials C_k^nu, ``scipy.special.eval_gegenbauer``):
      a_k = Gamma(nu) (beta/2)^{-nu} (k + nu) I_{k+nu}(beta)    (THEORY.md §3; derived here).
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
    beta = _beta(beta)
    d = _dim(d)
    K = _order(K)
    if beta == 0:
        out = np.zeros(K + 1)
        out[0] = 1.0
        return out
    logs, sign = _log_kernel(beta, d, K)
    nu = 0.5 * (d - 2)
    k = np.arange(K + 1, dtype=np.float64)
    if d == 2:
        logs = logs + np.where(k > 0, math.log(2.0), 0.0)
    else:
        logs = logs + np.log((k + nu) / nu)
    return _finish(logs, sign, beta, scaled, "gegenbauer_coefficients")


# -- linear instability of the uniform measure [B] ------------------------------------------------
def growth_rates(beta: float, d: int, K: int, normalization: Normalization = "usa", *,
                 scaled: bool = False) -> np.ndarray:
    """Growth rates gamma_k of degree-k perturbations of the uniform measure, k = 0..K.

    Linearizing the mean-field equation (A = V = I) at rho = sigma + f gives
    d_t f = -Laplacian(W * f) with W(t) = e^{beta t}/beta (USA), so with
    Laplacian Y_k = -k (k + d - 2) Y_k:

        USA: gamma_k = k (k + d - 2) lambda_k / beta,
        SA:  gamma_k = gamma_k^USA / Z0,   Z0 = lambda_0 = int e^{beta <x,y>} dsigma(y),

    lambda_k from :func:`kernel_coefficients`. d = 2: gamma_k = k^2 I_k(beta)/beta; d = 3:
    gamma_k = k (k + 1) sqrt(pi/(2 beta)) I_{k+1/2}(beta)/beta. gamma_0 = 0 (mass is
    conserved). [B] (the linearization; their code plots k^2 I_k/(pi beta), a different time
    unit with the same argmax); rates and SA factor derived here (THEORY.md §4,
    THEORY-DETAILS §2.2), checked against particle runs in the tests.

    beta <= 0 (decision): the formula stays valid. beta = 0 is its limit (Kuramoto):
    gamma_1 = (d - 1)/d, gamma_k = 0 for k >= 2. For beta < 0, lambda_k(beta) =
    (-1)^k lambda_k(|beta|) gives gamma_k(beta) = (-1)^{k+1} gamma_k(|beta|): odd degrees
    grow, even degrees decay, so the uniform measure is still linearly unstable and k_max
    is odd.

    Parameters
    ----------
    beta : float, any finite value.
    d : int >= 2.
    K : int >= 0.
    normalization : "usa" or "sa".
    scaled : USA only: return gamma_k e^{-|beta|} (finite for huge beta). Ignored for SA,
        whose rates are O(1) (they tend to k^2 e^{-k^2/(2 beta)}/beta for large beta, d = 2).

    Returns
    -------
    (K + 1,) float64 array with gamma_0 = 0.
    """
    beta = _beta(beta)
    d = _dim(d)
    K = _order(K)
    normalization = _normalization(normalization)
    k = np.arange(K + 1, dtype=np.float64)
    lap = k * (k + d - 2)
    if beta == 0:
        out = np.zeros(K + 1)
        if K >= 1:
            out[1] = (d - 1) / d
        return out
    logs, sign = _log_kernel(beta, d, K)
    if normalization == "sa":
        rel = logs - logs[0]                       # log(lambda_k / lambda_0), no e^beta
        with np.errstate(under="ignore"):
            return lap * sign * np.exp(rel) / beta + 0.0
    lam = _finish(logs, sign, beta, scaled, "growth_rates (USA)")
    return lap * lam / beta + 0.0                  # + 0.0: gamma_0 = +0.0, not -0.0, for beta < 0


def _auto_K(beta: float) -> int:
    return math.ceil(2.0 * math.sqrt(2.0 * abs(beta))) + 10


def k_max(beta: float, d: int, K: int | None = None) -> int:
    """The most unstable degree k_max = argmax_{k >= 1} gamma_k (same for SA and USA).

    [B]; table of THEORY-DETAILS §2.2 (d = 2: beta = 5 -> 3, 7 -> 4, 12 -> 5; k_max ~
    sqrt(2 beta) for large beta). Computed from the exponentially scaled rates, so any beta
    works (e.g. beta = 1e4).

    Parameters
    ----------
    beta : float, any finite value (beta <= 0: see :func:`growth_rates`; beta = 0 gives 1).
    d : int >= 2.
    K : int >= 1 or None. None: start from K = ceil(2 sqrt(2 |beta|)) + 10 and double K until
        the argmax lies strictly inside (the rates decay like e^{-k^2/(2 beta)} past k_max).

    Returns
    -------
    int >= 1 (ties go to the smaller k).
    """
    beta = _beta(beta)
    d = _dim(d)
    if K is not None:
        K = _int("K", K, 1, "pass K >= 1, or None to choose it automatically")
        g = growth_rates(beta, d, K, "usa", scaled=True)
        return int(np.argmax(g[1:])) + 1
    K = _auto_K(beta)
    while True:
        g = growth_rates(beta, d, K, "usa", scaled=True)
        k = int(np.argmax(g[1:])) + 1
        if k < K - 1:
            return k
        K *= 2


def predicted_cluster_count(beta: float, d: int) -> int:
    """Predicted number of first (meta-stable) clusters from a uniform start [B].

    On S^1 (d = 2) this is k_max: the k_max-periodic mode wins the linear phase and the
    tokens gather into k_max equally spaced clusters (THEORY.md §5; [B] support it
    numerically under their Assumption 3, it is not proved). For d >= 3 the returned value
    is still k_max, but it is the degree of the dominant spherical harmonic, **not** a count
    of clusters (there is no "equally spaced" statement on S^{d-1}, d >= 3). It is a
    typical outcome, not a certainty: mode competition lets a neighbouring mode win in a
    sizeable fraction of runs (THEORY-DETAILS §2.5: k_max wins ~ 58-82 % at beta = 5).

    Returns
    -------
    int >= 1
    """
    return k_max(beta, d)


def predicted_cluster_angles(theta0: ArrayLike, beta: float, k: int | None = None) -> np.ndarray:
    """Angles on S^1 where the first clusters are predicted to form, from the initial state.

    With mu_hat_k = (1/N) sum_j e^{-i k theta_j} (the convention of
    :func:`attnflow.observables.fourier_modes`), the degree-k part of the density is
    (1/pi) Re(mu_hat_k e^{i k theta}) = (1/pi) |mu_hat_k| cos(k theta + arg mu_hat_k). The
    linear phase multiplies it by the real factor e^{gamma_k t} and keeps its phase, so the
    clusters form at the maxima of cos(k theta + arg mu_hat_k):

        theta_m = (2 pi m - arg mu_hat_k) / k  (mod 2 pi),   m = 0..k - 1,   k = k_max(beta, 2).

    [B] (their experiment code; THEORY.md §5, THEORY-DETAILS §2.3). The sign was checked with
    particle runs (USA, beta = 5): a lattice with a small mode-3 displacement of random phase
    clusters within 0.005 rad of these angles, and 0.5 rad away from the mirrored ones
    (tests/test_theory.py). For iid uniform starts (N = 2000, seeds 0-5, rk4 dt = 0.005) the
    phase of mu_hat_3 drifted < 0.1 rad while |mu_hat_3| < 0.1 in 5 of 6 seeds, but by
    t = 0.4 mode competition and nonlinear coupling (modes 2 and 4) decide the outcome: the
    3-cluster state won in 4 of 6 seeds and sat at the predicted angles in 2 of them (64 % and
    99.6 % of the tokens within 0.2 rad). Treat the angles as a linear-phase prediction.

    Parameters
    ----------
    theta0 : (N,) array of angles, or (N, 2) array of points (cos theta, sin theta).
    beta : float, used to choose k = k_max(beta, 2) when ``k`` is None.
    k : int >= 1 or None, the mode to use instead of k_max.

    Returns
    -------
    (k,) float64 array of angles in [0, 2 pi), increasing.
    """
    arr = np.asarray(theta0, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 2:
        theta = np.arctan2(arr[:, 1], arr[:, 0])
    elif arr.ndim == 1:
        theta = arr
    else:
        raise fail("theta0", arr, f"has shape {arr.shape}", "pass N angles (N,) or N points (N, 2) on S^1")
    if theta.size == 0 or not np.all(np.isfinite(theta)):
        raise fail("theta0", arr, "is empty or not finite", "pass finite angles")
    beta = _beta(beta)
    k = k_max(beta, 2) if k is None else _int("k", k, 1, "pass a mode k >= 1, or None for k_max")
    mu = np.mean(np.exp(-1j * k * theta))
    if abs(mu) < 1e-14:
        raise fail("theta0", arr, f"has mu_hat_{k} = 0 to rounding, so its phase is undefined",
                   "the configuration is k-symmetric; perturb it")
    out = np.mod((2.0 * np.pi * np.arange(k) - np.angle(mu)) / k, 2.0 * np.pi)
    return np.sort(out)


def linear_phase_end(N: int, beta: float, d: int, normalization: Normalization = "usa",
                     amplitude: float = 1.0) -> float:
    """End of the linear phase from N iid uniform tokens: t_lin = (ln N / 2 + ln a) / gamma_max.

    The degree-k content of the empirical measure has size N^{-1/2} at t = 0 (E|mu_hat_k|^2
    = 1/N on S^1) and grows like e^{gamma_k t}; the k_max mode reaches amplitude a at t_lin.
    THEORY-DETAILS §2.3 (derived there; e.g. beta = 5, USA, N = 2e4: 0.266).

    Parameters
    ----------
    N : int >= 1, number of tokens.
    beta, d, normalization : as in :func:`growth_rates`.
    amplitude : float > N^{-1/2}, the amplitude a at which the phase is declared over.

    Returns
    -------
    float > 0
    """
    N = _int("N", N, 1, "pass the number of tokens, e.g. N=2000")
    a = finite_float("amplitude", amplitude, fix="pass an amplitude in (N^-1/2, 1], e.g. 1.0",
                     positive=True)
    num = 0.5 * math.log(N) + math.log(a)
    if num <= 0:
        raise fail("amplitude", amplitude, f"is not above the initial amplitude N^(-1/2) = "
                   f"{N ** -0.5:.3g}, so the linear phase has no positive duration",
                   "pass a larger amplitude or more tokens")
    return num / _gamma_max(beta, d, normalization)


def _gamma_max(beta: float, d: int, normalization: str) -> float:
    k = k_max(beta, d)
    return float(growth_rates(beta, d, k, normalization)[k])


def time_scales(beta: float, d: int, N: int, normalization: Normalization = "usa") -> dict:
    """The time scales of a run from N iid uniform tokens (A = V = I), in one dict.

    Keys
    ----
    k_max : int, :func:`k_max`.
    gamma_max : float, gamma_{k_max} (:func:`growth_rates`).
    t_linear : float, (ln N)/(2 gamma_max), :func:`linear_phase_end` with amplitude 1.
    contraction_rate : float, the rate of W_2(mu_t, delta) -> 0 near a single cluster:
        e^beta (USA: d theta/dt ~ -e^beta theta) or 1 (SA). THEORY-DETAILS §3.2 [D].
    dobrushin_constant : float or None, C = sup|h_beta''| = e^{|beta|} (USA), the Lipschitz
        constant in Dobrushin's estimate W_1(mu^N_t, mu_t) <= e^{C t} W_1(mu^N_0, mu_0)
        ([B]; the value e^beta on S^1 is THEORY-DETAILS §2.1 [D]; that the same sup bounds the
        kernel's derivative for d >= 3 is derived here). None for SA (not derived).
    chaos_horizon : float or None, ln N / C: the time up to which propagation of chaos is
        guaranteed by that estimate (None for SA).
    """
    beta = _beta(beta)
    d = _dim(d)
    N = _int("N", N, 1, "pass the number of tokens, e.g. N=2000")
    normalization = _normalization(normalization)
    k = k_max(beta, d)
    gmax = float(growth_rates(beta, d, k, normalization)[k])
    usa = normalization == "usa"
    C = math.exp(abs(beta)) if usa else None
    return {
        "k_max": k,
        "gamma_max": gmax,
        "t_linear": 0.5 * math.log(N) / gmax,
        "contraction_rate": math.exp(beta) if usa else 1.0,
        "dobrushin_constant": C,
        "chaos_horizon": math.log(N) / C if C is not None else None,
    }


# -- equiangular reduction [GLPR] ----------------------------------------------------------------
def _eps_rate(eps: np.ndarray, beta: float, n: int, usa: bool) -> np.ndarray:
    """d eps/dt for eps = 1 - g, written without cancellation near g = 1."""
    core = eps * (n - (n - 1) * eps)               # (1 - g)((n - 1) g + 1)
    with np.errstate(over="ignore"):
        if usa:
            return -(2.0 / n) * np.exp(beta * (1.0 - eps)) * core
        return -2.0 * core / (np.exp(beta * eps) + (n - 1))


def _equi_args(beta: Any, n: Any, normalization: Any) -> tuple[float, int, bool]:
    beta = _beta(beta)
    n = _int("n", n, 2, "pass the number of tokens n >= 2")
    return beta, n, _normalization(normalization) == "usa"


def equiangular_rhs(g: ArrayLike, beta: float, n: int, normalization: Normalization = "sa") -> np.ndarray:
    """Right-hand side of the equiangular ODE: g = <x_i, x_j> for all i != j.

    If the n tokens are equiangular, they stay so, and [GLPR] (THEORY-DETAILS §1.3):

        SA:  dg/dt = 2 e^{beta g} (1 - g) ((n - 1) g + 1) / (e^beta + (n - 1) e^{beta g})
                   = 2 (1 - g) ((n - 1) g + 1) / (e^{beta (1 - g)} + n - 1),
        USA: dg/dt = (2/n) e^{beta g} (1 - g) ((n - 1) g + 1)     (derived here).

    Near g = 1, eps = 1 - g decays at rate 2 (SA) and 2 e^beta (USA).

    Parameters
    ----------
    g : float or array in [-1/(n-1), 1] (not checked, the formula is evaluated as is).
    beta : float; n : int >= 2; normalization : "sa" or "usa".

    Returns
    -------
    float64 array of the shape of ``g``.
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g = np.asarray(g, dtype=np.float64)
    return -_eps_rate(1.0 - g, beta, n, usa)


def _g0(g0: Any, n: int) -> float:
    g0 = finite_float("g0", g0, fix="pass an initial inner product in [-1/(n-1), 1], e.g. 0.0")
    lo = -1.0 / (n - 1)
    if not lo - 1e-15 <= g0 <= 1.0:
        raise fail("g0", g0, f"is outside [-1/(n-1), 1] = [{lo:.6g}, 1], where equiangular "
                   "configurations of n unit vectors exist", "pass e.g. g0=0.0 (orthonormal tokens)")
    return max(g0, lo)


def _solve_log_eps(beta: float, n: int, usa: bool, eps0: float, t_end: float, t_eval=None,
                   events=None):
    """Integrate u = ln(1 - g): du/dt = rate(eps)/eps, smooth and non-stiff (DOP853).

    In u the contraction near g = 1 is a bounded drift (-2 for SA, ~ -2 e^beta for USA)
    instead of a stiff linear decay, and an absolute tolerance on u is a relative one on
    eps = 1 - g.
    """
    def rhs(_t, y):
        e = math.exp(y[0])
        with np.errstate(over="ignore"):
            if usa:
                return [-(2.0 / n) * math.exp(beta * (1.0 - e)) * (n - (n - 1) * e)]
            return [-2.0 * (n - (n - 1) * e) / (math.exp(beta * e) + (n - 1))]

    return solve_ivp(rhs, (0.0, t_end), [math.log(eps0)], method="DOP853", rtol=1e-13,
                     atol=1e-13, t_eval=t_eval, events=events)


def equiangular_solution(t: ArrayLike, beta: float, n: int, normalization: Normalization = "sa",
                         g0: float = 0.0) -> np.ndarray:
    """Solution g(t) of the equiangular ODE (:func:`equiangular_rhs`) from g(0) = g0.

    g0 = 0 is the start x_i = e_i in R^n of [GLPR]. Solved for eps = 1 - g (no cancellation
    near g = 1), in the variable u = ln(1 - g), where the stiff decay of 1 - g (rate 2 e^beta
    for USA) becomes a bounded drift, with ``scipy.integrate.solve_ivp`` (DOP853,
    rtol = atol = 1e-13 on u): 1 - g(t) has ~1e-11 relative accuracy. g0 = -1/(n - 1)
    (regular simplex) and g0 = 1 are fixed points.

    Parameters
    ----------
    t : float or array of times >= 0 (any order).
    beta : float; n : int >= 2; normalization : "sa" or "usa".
    g0 : float in [-1/(n - 1), 1].

    Returns
    -------
    float64 array of the shape of ``t``.
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g0 = _g0(g0, n)
    t_arr = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
        raise fail("t", t, "must be finite and >= 0", "pass times t >= 0")
    flat = t_arr.ravel()
    if flat.size == 0:
        return t_arr.copy()
    order = np.unique(flat)
    t_end = float(order[-1])
    if t_end == 0 or g0 == 1.0 or g0 == -1.0 / (n - 1):
        return np.full(t_arr.shape, g0)
    sol = _solve_log_eps(beta, n, usa, 1.0 - g0, t_end, t_eval=order)
    if not sol.success:                                            # pragma: no cover
        raise FloatingPointError(f"equiangular_solution: the ODE solver failed: {sol.message}")
    eps = np.exp(sol.y[0])[np.searchsorted(order, flat)]
    return (1.0 - eps).reshape(t_arr.shape)


def equiangular_clustering_time(beta: float, n: int, normalization: Normalization = "sa",
                                threshold: float = 1e-2, g0: float = 0.0) -> float:
    """First time at which equiangular tokens are threshold-close: 1 - g(t) <= threshold.

    threshold is on 1 - g = 1 - <x_i, x_j> = |x_i - x_j|^2 / 2 (default 1e-2: chord distance
    |x_i - x_j| <= 0.14, angle ~ 8 degrees), the same closeness as
    :func:`attnflow.observables.clusters` with ``tol=threshold``. The ODE of
    :func:`equiangular_rhs` is separable, so T = int_{ln thr}^{ln(1 - g0)} du / |du/dt| with
    u = ln(1 - g), computed with ``scipy.integrate.quad`` (relative tolerance 1e-12); this
    stays accurate for metastable times far beyond any time-stepping (e.g. e^60). [GLPR].
    At beta = 0 (both normalizations) the exact solution is
    (g + 1/(n-1))/(1 - g) = e^{2t} (g0 + 1/(n-1))/(1 - g0).

    Returns
    -------
    float >= 0 (0 if already 1 - g0 <= threshold).
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g0 = _g0(g0, n)
    thr = finite_float("threshold", threshold, fix="pass a value in (0, 1), e.g. 1e-2", positive=True)
    if thr >= 1.0 + 1.0 / (n - 1):
        raise fail("threshold", threshold, "is so large that every equiangular state satisfies it",
                   "pass a value in (0, 1), e.g. 1e-2")
    eps0 = 1.0 - g0
    if eps0 <= thr:
        return 0.0
    if g0 == -1.0 / (n - 1):
        raise fail("g0", g0, "is the regular simplex, a fixed point: the tokens never cluster",
                   "start from g0 > -1/(n-1)")

    # T = int_{ln thr}^{ln eps0} du / |du/dt|, a smooth integrand (no time stepping, so
    # metastable times like e^{60} are fine)
    def inv_speed(u: float) -> float:
        e = math.exp(u)
        if usa:
            return 1.0 / ((2.0 / n) * math.exp(beta * (1.0 - e)) * (n - (n - 1) * e))
        return (math.exp(beta * e) + (n - 1)) / (2.0 * (n - (n - 1) * e))

    with np.errstate(over="ignore"):
        try:
            T, _ = quad(inv_speed, math.log(thr), math.log(eps0), epsabs=0.0, epsrel=1e-12, limit=500)
        except OverflowError:
            T = math.inf
    if not math.isfinite(T):
        raise FloatingPointError(f"equiangular_clustering_time: the time exceeds the float64 range at "
                                 f"beta={beta:g}. Fix: lower |beta|")
    return float(T)


# -- energy calculus on (S^{d-1})^N -------------------------------------------------------------
def _weights(model: AttentionModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = model.A_matrix
    xa = x @ A.T                   # rows A x_i
    xat = x @ A                    # rows A^T x_i
    with np.errstate(over="ignore"):
        W = np.exp(model.beta * (xa @ x.T))      # W_ij = e^{beta <A x_i, x_j>}
    if not np.all(np.isfinite(W)):
        raise FloatingPointError(f"energy weights e^(beta <A x_i, x_j>) overflow float64 at "
                                 f"beta={model.beta:g}. Fix: lower beta or rescale A")
    return W, xa, xat


def _egrad(model: AttentionModel, x: np.ndarray, W, xa, xat) -> np.ndarray:
    n = x.shape[0]
    return (W @ xat + W.T @ xa) / (2.0 * n * n)


def energy_gradient(model: AttentionModel, x: ArrayLike) -> np.ndarray:
    """Riemannian gradient on (S^{d-1})^N of E(x) = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>}.

    The Euclidean gradient (both orders of each pair contribute) is

        dE/dx_i = (1/(2 N^2)) sum_j [ e^{beta <A x_i, x_j>} A^T x_j + e^{beta <A x_j, x_i>} A x_j ],

    and the Riemannian gradient is its tangent part P_{x_i} dE/dx_i. The formula is
    continuous at beta = 0, where it is the gradient of the limit form <A m, m>/2 used by
    :func:`attnflow.observables.energy`. Only A and beta of the model enter (E does not
    depend on V or on the normalization). [GLPR] (energy); gradient derived here.

    Gradient-flow identity (checked in the tests): for USA with V = A symmetric (in
    particular A = V = I), the velocity of :func:`attnflow.velocity` equals N * grad E
    exactly, since P_{x_i}(1/N) sum_j e^{beta<A x_i,x_j>} A x_j = N P_{x_i} dE/dx_i.

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) array of unit vectors.

    Returns
    -------
    (n, d) float64 array (tangent: <grad_i, x_i> = 0).
    """
    model = _model(model)
    x = _points(x, model.d)
    W, xa, xat = _weights(model, x)
    g = _egrad(model, x, W, xa, xat)
    return g - np.sum(g * x, axis=1, keepdims=True) * x


def _riemannian_hessian4(model: AttentionModel, x: np.ndarray) -> np.ndarray:
    """The Riemannian Hessian as an (n, d, n, d) array (see :func:`energy_hessian`)."""
    n, d = x.shape
    A = model.A_matrix
    beta = model.beta
    W, xa, xat = _weights(model, x)
    g = _egrad(model, x, W, xa, xat)
    # H^E_{ik} = c [w_ik A^T + w_ki A + beta w_ik (A^T x_k)(A x_i)^T + beta w_ki (A x_k)(A^T x_i)^T]
    #          + delta_ik c beta sum_j [w_ij (A^T x_j)(A^T x_j)^T + w_ji (A x_j)(A x_j)^T]
    H = np.einsum("ik,ab->iakb", W, A.T)
    H += np.einsum("ki,ab->iakb", W, A)
    if beta != 0:
        H += beta * np.einsum("ik,ka,ib->iakb", W, xat, xa)
        H += beta * np.einsum("ki,ka,ib->iakb", W, xa, xat)
    idx = np.arange(n)
    diag = beta * (np.einsum("ij,ja,jb->iab", W, xat, xat) + np.einsum("ji,ja,jb->iab", W, xa, xa))
    diag -= 2.0 * n * n * np.sum(g * x, axis=1)[:, None, None] * np.eye(d)    # curvature term
    H[idx, :, idx, :] += diag
    H *= 1.0 / (2.0 * n * n)
    P = np.eye(d)[None] - x[:, :, None] * x[:, None, :]                         # (n, d, d)
    H = np.einsum("iac,ickb->iakb", P, H)
    H = np.einsum("iakc,kcb->iakb", H, P)
    return 0.5 * (H + H.transpose(2, 3, 0, 1))


def energy_hessian(model: AttentionModel, x: ArrayLike) -> np.ndarray:
    """Riemannian Hessian of E (see :func:`energy_gradient`) at x, as an (n d, n d) matrix.

    With g_i = dE/dx_i the Euclidean gradient, H^E the Euclidean Hessian (blocks (i, k) of
    size d x d) and P = diag(P_{x_1}, ..., P_{x_n}), the Riemannian Hessian of the product of
    spheres acting on tangent vectors u (u_i perp x_i) is

        Hess E(x)[u]_i = P_{x_i} ( sum_k H^E_{ik} u_k ) - <x_i, g_i> u_i,
        H = P (H^E - diag(<x_i, g_i> I_d)) P,                       (returned)

    with, writing w_ij = e^{beta <A x_i, x_j>} and c = 1/(2 N^2),

        H^E_{ik} = c [ w_ik A^T + w_ki A + beta w_ik (A^T x_k)(A x_i)^T + beta w_ki (A x_k)(A^T x_i)^T ]
                 + delta_ik c beta sum_j [ w_ij (A^T x_j)(A^T x_j)^T + w_ji (A x_j)(A x_j)^T ].

    Along a geodesic x(s) = exp_x(s u) (per particle x_i cos(s|u_i|) + u_i/|u_i| sin(s|u_i|)),
    d^2/ds^2 E(x(s)) at s = 0 equals u^T H u (checked by central differences in the tests).
    H is symmetric and vanishes on the normal directions x_i. Derived here.

    Dense: for small configurations only (n d <= 4000, i.e. a 128 MiB matrix).

    Parameters
    ----------
    model : AttentionModel (A and beta are used).
    x : (n, d) array of unit vectors.

    Returns
    -------
    (n d, n d) float64 symmetric array; row i*d + a is coordinate a of particle i.
    """
    model = _model(model)
    x = _points(x, model.d)
    n, d = x.shape
    _check_hessian_size(x)
    return _riemannian_hessian4(model, x).reshape(n * d, n * d)


def _check_hessian_size(x: np.ndarray) -> None:
    n, d = x.shape
    if n * d > HESSIAN_MAX_SIZE:
        raise fail("x", x, f"has n*d = {n * d} > {HESSIAN_MAX_SIZE}: the dense Hessian would need "
                   f"{(n * d) ** 2 * 8 / 2**20:.0f} MiB", "use fewer particles (this is for small n)")


def _tangent_basis(x: np.ndarray) -> np.ndarray:
    """(n, d, d - 1): for each x_i an orthonormal basis of its tangent space (columns)."""
    # complete QR of the column x_i: Q is orthogonal with first column +-x_i
    q, _ = np.linalg.qr(x[:, :, None], mode="complete")
    return q[:, :, 1:]


def hessian_top_eigenvalue(model: AttentionModel, x: ArrayLike) -> float:
    """Largest eigenvalue of the Riemannian Hessian of E restricted to the tangent space.

    Computes T^T H T with T an orthonormal basis of T_{x_1} S^{d-1} x ... x T_{x_n} S^{d-1}
    (the n normal directions, where H is 0, are excluded). At a critical point (grad E = 0),
    a value > 0 means the point is not a local maximum of E, so the ascent flow leaves it
    (the non-Dirac critical points of [C], Prop. 2.1 / THEORY.md §6); a local maximum (e.g.
    a single cluster, E = e^beta/(2 beta)) has value <= 0. A single cluster has an exact
    zero eigenvalue from the joint rotation of all tokens.

    Parameters
    ----------
    model : AttentionModel; x : (n, d) unit vectors with n d <= 4000.

    Returns
    -------
    float (dense ``eigvalsh`` up to n (d - 1) = 600, Lanczos ``scipy.sparse.linalg.eigsh``
    above: a few seconds at n d = 4000, dominated by forming the Hessian).
    """
    model = _model(model)
    x = _points(x, model.d)
    n, d = x.shape
    _check_hessian_size(x)
    H = _riemannian_hessian4(model, x)
    T = _tangent_basis(x)
    Ht = np.einsum("iac,iakb->ickb", T, H)
    Ht = np.einsum("ickb,kbe->icke", Ht, T).reshape(n * (d - 1), n * (d - 1))
    Ht = 0.5 * (Ht + Ht.T)
    if Ht.shape[0] <= 600:
        return float(np.linalg.eigvalsh(Ht)[-1])
    return float(eigsh(Ht, k=1, which="LA", tol=0.0)[0][0])      # Lanczos: the dense solver is O(m^3)


# -- quantitative clustering at small beta [C] ---------------------------------------------------
def clustering_rate_bounds(beta: float, normalization: Normalization = "usa") -> dict:
    """What is explicit about the speed of clustering to a single Dirac mass.

    Keys
    ----
    proven_rate : 1/100 (USA) or None (SA). [C]'s main mean-field theorem, as restated by
        Rigollet (2512.01868) [V-src]: for d >= 2, an initial density f_0 in L^2 with
        |int x dmu_0| > 0, and |beta| < beta_0 (beta_0, C_0, T_0 depend on mu_0 and are not
        explicit), W_2(mu_t, delta_{x_inf}) <= C_0 e^{-t/100} for t >= T_0. It concerns the
        USA continuity equation; no SA statement is known to these notes.
    observed_rate : e^beta (USA) or 1 (SA): the asymptotic W_2 rate near a Dirac, from the
        linearization d theta/dt ~ -e^beta theta of the relative motion (SA divides by
        Z ~ N e^beta). THEORY-DETAILS §3.2 [D]; checked with particle runs in the tests.
    pairwise_rate : 2 * observed_rate, the rate of 1 - <x_i, x_j> (equiangular: eps' ~ -2 e^beta
        eps for USA, -2 eps for SA, THEORY-DETAILS §1.3).
    proven_tag, observed_tag : the provenance tags of the notes ("[V-src]", "[D]").
    beta_small_required : True; the proven rate holds only for |beta| < beta_0 (unknown).
    """
    beta = _beta(beta)
    usa = _normalization(normalization) == "usa"
    observed = math.exp(beta) if usa else 1.0
    return {
        "proven_rate": 0.01 if usa else None,
        "proven_tag": "[V-src] Rigollet 2512.01868 restating [C] arXiv 2504.14697 (USA, mean field)",
        "observed_rate": observed,
        "observed_tag": "[D] THEORY-DETAILS §3.2 (linearization near a Dirac)",
        "pairwise_rate": 2.0 * observed,
        "beta_small_required": True,
    }


# -- zero temperature [L] ---------------------------------------------------------------------------
def _matrix(name: str, value: Any, d: int | None = None) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, value, "is not a numeric array", "pass a square real matrix") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
        raise fail(name, arr, f"has shape {arr.shape}", "pass a square (d, d) matrix with d >= 2")
    if d is not None and arr.shape[0] != d:
        raise fail(name, arr, f"has size {arr.shape[0]} but the other matrix has {d}",
                   "pass matrices of the same size")
    if not np.all(np.isfinite(arr)):
        raise fail(name, arr, "has NaN or inf entries", "pass finite matrices")
    return arr


@dataclass(frozen=True, eq=False)
class ZeroTemperatureMap:
    """The projection Pi(x) = P_E x / |P_E x| of the zero-temperature limit [L].

    Built by :func:`zero_temperature_map`. Calling the object applies Pi to points.

    Attributes
    ----------
    A, V : (d, d) the logit matrix (score beta <A x, y>) and the value matrix.
    M : (d, d) symmetric, M = V A (attnflow convention; = V B^T in the notes' convention
        with B = Q^T K and logit beta <B^T x, y>).
    eigenvalues : (d,) eigenvalues of M, decreasing.
    basis : (d, m) orthonormal basis of the top eigenspace E (m = its dimension).
    gap : lambda_1 - lambda_{m+1} (0.0 when E is the whole space).
    """

    A: np.ndarray
    V: np.ndarray
    M: np.ndarray
    eigenvalues: np.ndarray
    basis: np.ndarray
    gap: float

    @property
    def projector(self) -> np.ndarray:
        """P_E = basis basis^T, the orthogonal projector onto E."""
        return self.basis @ self.basis.T

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """Pi(x) = P_E x/|P_E x| for points x of shape (d,) or (n, d).

        Raises ValueError for points in E^perp (|P_E x| <= 1e-12 |x|), where Pi is undefined
        (a null set for measures with a density).
        """
        arr = np.asarray(x, dtype=np.float64)
        d = self.M.shape[0]
        if arr.shape[-1:] != (d,) or arr.ndim not in (1, 2) or not np.all(np.isfinite(arr)):
            raise fail("x", arr, f"has shape {arr.shape}", f"pass finite points of shape ({d},) or (n, {d})")
        p = arr @ self.projector
        norm = np.linalg.norm(p, axis=-1, keepdims=True)
        bad = norm[..., 0] <= 1e-12 * np.linalg.norm(arr, axis=-1)
        if np.any(bad):
            i = int(np.argmax(np.atleast_1d(bad)))
            raise fail("x", arr, f"has point {i} in E^perp (orthogonal to the top eigenspace of "
                       "M = V A), where Pi is undefined", "perturb the point")
        return p / norm

    def velocity(self, x: ArrayLike) -> np.ndarray:
        """Hardmax field v_inf(x) = P_x V A x / |A x| (beta -> infinity limit of the SA field).

        x : (d,) or (n, d) unit vectors with A x != 0.
        """
        arr = np.asarray(x, dtype=np.float64)
        ax = arr @ self.A.T
        nrm = np.linalg.norm(ax, axis=-1, keepdims=True)
        if np.any(nrm == 0):
            raise fail("x", arr, "has a point with A x = 0, where the hardmax target is undefined",
                       "use points outside the kernel of A")
        y = (ax / nrm) @ self.V.T
        return y - np.sum(arr * y, axis=-1, keepdims=True) * arr


def zero_temperature_map(A: ArrayLike, V: ArrayLike, *, rtol: float = 1e-10) -> ZeroTemperatureMap:
    """The zero-temperature projection Pi of [L] for attention matrices (A, V).

    Derivation (THEORY-DETAILS §4.1 [D], translated to attnflow's convention): the SA output
    of token x is the softmax mean of V y with weights e^{beta <A x, y>}. For a measure with
    full support, as beta -> infinity the Laplace principle gives
    y*(x) = argmax_{|y|=1} <A x, y> = A x/|A x|, so the hardmax field is

        v_inf(x) = P_x V A x / |A x|,

    a positive time change (ds/dt = 1/|A x|) of the normalized linear flow of M = V A. The
    notes write the logit as beta <B^T x, y> with B = Q^T K, i.e. B^T = A, and their M = V B^T
    is the same matrix. (attnflow's A is the matrix that multiplies x_i in the logit, A = K^T Q
    for <Q x_i, K x_j>; see :mod:`attnflow.model`.) For symmetric M with top eigenspace E
    (eigenvalue lambda_1 > lambda_2), the E-component keeps its direction and the rest decays,
    so x(t) -> Pi(x(0)) = P_E x(0)/|P_E x(0)|, and the limit measure is Pi # rho_0.

    Decision: M must be symmetric, ||M - M^T|| <= 1e-10 ||M|| (Frobenius). For
    non-symmetric M the relevant projection is the oblique spectral projector, and a complex
    top eigenvalue gives rotation with no limit; the [L] theorems assume V B^T symmetric
    (secondary digests [U]). We raise rather than silently symmetrize, since the symmetric
    part of M generates a different flow.

    Parameters
    ----------
    A, V : (d, d) real matrices (A = the logit matrix, ``AttentionModel.A_matrix``).
    rtol : eigenvalues within rtol * max|lambda| of lambda_1 are counted in E.

    Returns
    -------
    ZeroTemperatureMap
    """
    A = _matrix("A", A)
    V = _matrix("V", V, A.shape[0])
    rtol = finite_float("rtol", rtol, fix="pass a small positive tolerance, e.g. 1e-10", positive=True)
    M = V @ A
    scale = float(np.linalg.norm(M))
    if scale == 0:
        raise fail("V", V, "gives M = V A = 0: the hardmax field vanishes", "pass non-zero matrices")
    if np.linalg.norm(M - M.T) > 1e-10 * scale:
        raise fail("A", A, f"and V give a non-symmetric M = V A (||M - M^T|| / ||M|| = "
                   f"{np.linalg.norm(M - M.T) / scale:.3g}); the projection Pi = P_E x/|P_E x| "
                   "onto the top eigenspace is only derived for symmetric M",
                   "use V = A symmetric, commuting symmetric A and V, or V = S A^-1 with S symmetric")
    Ms = 0.5 * (M + M.T)
    vals, vecs = np.linalg.eigh(Ms)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    top = vals >= vals[0] - rtol * max(abs(vals[0]), abs(vals[-1]))
    m = int(top.sum())
    gap = float(vals[0] - vals[m]) if m < vals.size else 0.0
    basis = vecs[:, :m].copy()
    for arr in (A, V, Ms, vals, basis):
        arr.setflags(write=False)
    return ZeroTemperatureMap(A=A, V=V, M=Ms, eigenvalues=vals, basis=basis, gap=gap)


def push_forward(x: ArrayLike, Pi: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Atoms of the push-forward Pi # mu of the empirical measure mu = (1/n) sum delta_{x_i}.

    Returns Pi(x_i) for each row (equal weights 1/n): the predicted concentrated state of
    [L] when Pi is a :class:`ZeroTemperatureMap`. For a one-dimensional top eigenspace
    E = span(e) the atoms are +-e, and Pi # rho_0 = p delta_e + (1 - p) delta_{-e},
    p = rho_0{<x, e> > 0}.

    Parameters
    ----------
    x : (n, d) array of points.
    Pi : callable mapping (n, d) -> (n, d) (e.g. the result of :func:`zero_temperature_map`).

    Returns
    -------
    (n, d) float64 array.
    """
    if not callable(Pi):
        raise fail("Pi", Pi, "is not callable", "pass zero_temperature_map(A, V) or a function of x")
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise fail("x", arr, f"has shape {arr.shape}", "pass an (n, d) array of points")
    out = np.asarray(Pi(arr), dtype=np.float64)
    if out.shape != arr.shape:
        raise fail("Pi", Pi, f"returned shape {out.shape} for input {arr.shape}",
                   "pass a map from (n, d) to (n, d)")
    return out


def zero_temperature_rate(A: ArrayLike, V: ArrayLike, *, kind: Literal["local", "global"] = "local") -> float:
    """Exponential rate c of convergence x(t) -> Pi(x(0)) under the hardmax field [L].

    From tan angle(x(t), E) <= tan angle(x(0), E) exp(-(lambda_1 - lambda_2) int_0^t dt'/|A x|)
    (THEORY-DETAILS §4.1 [D]; attnflow's A is the notes' B^T):

    - ``"local"``: the rate near E, c = (lambda_1 - lambda_2) / max_{e in E, |e|=1} |A e|
      (= (lambda_1 - lambda_2)/|A e| when E = span(e)); e.g. A = diag(1, 4, 1),
      V = diag(2, 1, 0.5): (4 - 2)/4 = 0.5, matching the run of THEORY-DETAILS §4.2.
    - ``"global"``: the uniform lower bound c >= (lambda_1 - lambda_2)/||A||_2.

    Raises ValueError if M = V A has no spectral gap (E is the whole space).
    """
    Pi = zero_temperature_map(A, V)
    if kind not in ("local", "global"):
        raise fail("kind", kind, "is not known", 'use "local" or "global"')
    if Pi.gap <= 0:
        raise fail("V", V, "gives M = V A with a single eigenvalue (no spectral gap), so nothing "
                   "contracts", "pass matrices with lambda_1(VA) > lambda_2(VA)")
    if kind == "global":
        return Pi.gap / float(np.linalg.norm(Pi.A, 2))
    return Pi.gap / float(np.linalg.norm(Pi.A @ Pi.basis, 2))


def _laplace_term(beta: Any, prefactor: Any) -> Any:
    b = np.asarray(beta, dtype=np.float64)
    if not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise fail("beta", beta, "must be finite and > 0 (the low-temperature bound of [L])",
                   "pass beta > 0, e.g. beta=50")
    p = finite_float("prefactor", prefactor, fix="pass a positive constant, e.g. 1.0", positive=True)
    return p * np.sqrt(np.log1p(b) / b)


def _rate(name: str, value: Any) -> float:
    return finite_float(name, value, fix=f"pass a positive rate, e.g. {name}=1.0", positive=True)


def wasserstein_bound(beta: ArrayLike, t: ArrayLike, C: float, c: float,
                      prefactor: float = 1.0) -> float | np.ndarray:
    """The shape of [L]'s bound W(rho^beta_t, Pi # rho_0) <~ sqrt(log(beta+1)/beta) e^{C t} + e^{-c t}.

        bound = prefactor * sqrt(log(beta + 1)/beta) * e^{C t} + e^{-c t}.

    [L] (abstract, [V-src]); the constants C (a Lipschitz constant of the hardmax field,
    heuristically ~ ||V|| (1 + 2 kappa(A))) and c (:func:`zero_temperature_rate`) are not
    the paper's ([U]/[D]); ``prefactor`` is the unknown constant of the Laplace-principle
    term. Broadcasts over ``beta`` and ``t``.

    Returns
    -------
    float or float64 array (broadcast shape of beta and t).
    """
    a = _laplace_term(beta, prefactor)
    C = _rate("C", C)
    c = _rate("c", c)
    t_arr = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
        raise fail("t", t, "must be finite and >= 0", "pass times t >= 0")
    out = a * np.exp(C * t_arr) + np.exp(-c * t_arr)
    return float(out) if out.ndim == 0 else out


def optimal_time(beta: ArrayLike, C: float, c: float, prefactor: float = 1.0) -> float | np.ndarray:
    """Time minimizing :func:`wasserstein_bound`: t* = max(0, ln(c/(a C))/(C + c)).

    a = prefactor sqrt(log(beta+1)/beta); setting a C e^{C t} = c e^{-c t}. To leading order
    t* ~ ln(beta/log beta)/(2 (C + c)) and the bound there ~ (log beta/beta)^{c/(2(C+c))}
    (THEORY-DETAILS §4.1 [D]): concentration lasts up to times of order log beta.

    Returns
    -------
    float or float64 array (shape of beta).
    """
    a = _laplace_term(beta, prefactor)
    C = _rate("C", C)
    c = _rate("c", c)
    out = np.maximum(0.0, np.log(c / (a * C)) / (C + c))
    return float(out) if np.ndim(out) == 0 else out
