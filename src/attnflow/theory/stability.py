"""Linear instability of the uniform measure [B]: growth rates, k_max and the time scales.

- :func:`growth_rates`: the rates gamma_k of degree-k perturbations of the uniform measure;
- :func:`k_max`, :func:`predicted_cluster_count`: the most unstable degree;
- :func:`linear_phase_end`, :func:`time_scales`: when the linear phase ends, and the other
  time scales of a run from iid uniform tokens.

This is the one implementation of the growth rates: the mean-field solvers
(:meth:`attnflow.meanfield.CircleSolver.growth_rates`,
:meth:`attnflow.meanfield.ZonalSolver.growth_rates`), the analysis, the CLI and the
experiments call it.

[B] Bruno, Pasqualotto, Agazzi, "Emergence of meta-stable clustering in mean-field
    transformer models", arXiv 2410.23228 (ICLR 2025).
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import fail, finite_float, integer
from ..validation import normalization as check_normalization
from ._args import Normalization, degree, dimension, inverse_temperature
from .kernels import scaled_eigenvalues, unscale

__all__ = ["GROWTH_OVERFLOW_FIX", "growth_rates", "k_max", "linear_phase_end", "predicted_cluster_count",
           "time_scales"]

#: the fix named by the overflow error of the USA rates
GROWTH_OVERFLOW_FIX = ('pass scaled=True to attnflow.theory.growth_rates for the rates times e^{-|beta|}, '
                       'use normalization="sa", or lower |beta|')


def growth_rates(beta: float, d: int, K: int, normalization: Normalization = "usa", *,
                 scaled: bool = False, kappa: float | None = None) -> np.ndarray:
    """Growth rates gamma_k of degree-k perturbations of the uniform measure, k = 0..K.

    Linearizing the mean-field equation (A = V = I) at rho = sigma + f gives
    d_t f = -Laplacian(W * f) with W(t) = e^{beta t}/beta (USA), so with
    Laplacian Y_k = -k (k + d - 2) Y_k:

        USA: gamma_k = k (k + d - 2) lambda_k / beta,
        SA:  gamma_k = gamma_k^USA / Z0,   Z0 = lambda_0 = int e^{beta <x,y>} dsigma(y),

    lambda_k from :func:`attnflow.theory.kernel_coefficients`. d = 2: gamma_k = k^2 I_k(beta)/beta; d = 3:
    gamma_k = k (k + 1) sqrt(pi/(2 beta)) I_{k+1/2}(beta)/beta. gamma_0 = 0 (mass is
    conserved). [B] (the linearization; their code plots k^2 I_k/(pi beta), a different time
    unit with the same argmax); rates and SA factor derived here
    (docs/theory/linear-stability.md#growth-rates,
    docs/theory/linear-stability.md#growth-rates), checked against particle runs in the tests.

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
    kappa : None, or the noise parameter of the Fokker-Planck equation d_t mu = kappa^{-1} Delta mu
        - div(mu X[mu]): the diffusion adds -k(k + d - 2)/kappa to each rate,

            gamma_k(kappa) = gamma_k - k (k + d - 2) / kappa,

        (docs/theory/noise.md#linear-stability-of-the-uniform-state); not with ``scaled``.

    Returns
    -------
    (K + 1,) float64 array with gamma_0 = 0.
    """
    beta = inverse_temperature(beta)
    d = dimension(d)
    K = degree(K)
    normalization = check_normalization(normalization)
    if kappa is not None:
        kappa = finite_float("kappa", kappa, fix="pass a positive noise parameter, or None", positive=True)
        if scaled:
            raise fail("scaled", scaled, "cannot be combined with kappa (the diffusion term is not "
                       "scaled by e^{-|beta|})", "drop scaled, or kappa")
        return growth_rates(beta, d, K, normalization) - np.arange(K + 1) * (np.arange(K + 1) + d - 2) / kappa
    k = np.arange(K + 1, dtype=np.float64)
    lap = k * (k + d - 2)
    if beta == 0:
        out = np.zeros(K + 1)
        if K >= 1:
            out[1] = (d - 1) / d
        return out
    values, logs, sign = scaled_eigenvalues(beta, d, K)
    if normalization == "sa":
        rel = logs - logs[0]                       # log(lambda_k / lambda_0), no e^beta
        with np.errstate(under="ignore"):
            return lap * sign * np.exp(rel) / beta + 0.0
    b = abs(beta)
    rates = lap * values / b                       # |gamma_k| e^{-|beta|}
    if not scaled:
        with np.errstate(divide="ignore"):         # log(0) = -inf at k = 0
            log_rates = logs + np.log(lap) - math.log(b)
        rates = unscale(rates, log_rates, beta, "growth_rates (USA)", GROWTH_OVERFLOW_FIX)
    sign = sign if beta > 0 else -sign
    return sign * rates + 0.0                      # + 0.0: gamma_0 = +0.0, not -0.0, for beta < 0


def _auto_K(beta: float) -> int:
    return math.ceil(2.0 * math.sqrt(2.0 * abs(beta))) + 10


def k_max(beta: float, d: int, K: int | None = None) -> int:
    """The most unstable degree k_max = argmax_{k >= 1} gamma_k (same for SA and USA).

    [B]; table of docs/theory/linear-stability.md#the-most-unstable-degree (d = 2: beta = 5 -> 3, 7 -> 4,
    12 -> 5; k_max ~
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
    beta = inverse_temperature(beta)
    d = dimension(d)
    if K is not None:
        K = degree(K, 1, "pass K >= 1, or None to choose it automatically")
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
    tokens gather into k_max equally spaced clusters
    (docs/theory/linear-stability.md#phases-from-a-uniform-start; [B] support it
    numerically under their Assumption 3, it is not proved). For d >= 3 the returned value
    is still k_max, but it is the degree of the dominant spherical harmonic, **not** a count
    of clusters (there is no "equally spaced" statement on S^{d-1}, d >= 3). It is a
    typical outcome, not a certainty: mode competition lets a neighbouring mode win in a
    sizeable fraction of runs (docs/theory/linear-stability.md#mode-competition: k_max wins ~ 58-82 % at
    beta = 5).

    Returns
    -------
    int >= 1
    """
    return k_max(beta, d)



def linear_phase_end(N: int, beta: float, d: int, normalization: Normalization = "usa",
                     amplitude: float = 1.0) -> float:
    """End of the linear phase from N iid uniform tokens: t_lin = (ln N / 2 + ln a) / gamma_max.

    The degree-k content of the empirical measure has size N^{-1/2} at t = 0 (E|mu_hat_k|^2
    = 1/N on S^1) and grows like e^{gamma_k t}; the k_max mode reaches amplitude a at t_lin.
    docs/theory/linear-stability.md#phases-from-a-uniform-start (derived there; e.g. beta = 5, USA, N =
    2e4: 0.266).

    Parameters
    ----------
    N : int >= 1, number of tokens.
    beta, d, normalization : as in :func:`growth_rates`.
    amplitude : float > N^{-1/2}, the amplitude a at which the phase is declared over.

    Returns
    -------
    float > 0
    """
    N = integer("N", N, 1, fix="pass the number of tokens, e.g. N=2000")
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
        e^beta (USA: d theta/dt ~ -e^beta theta) or 1 (SA).
        docs/theory/energy-landscape.md#clustering-rates [D].
    dobrushin_constant : float or None, C = sup|h_beta''| = e^{|beta|} (USA), the Lipschitz
        constant in Dobrushin's estimate W_1(mu^N_t, mu_t) <= e^{C t} W_1(mu^N_0, mu_0)
        ([B]; the value e^beta on S^1 is docs/theory/mean-field.md#propagation-of-chaos [D]; that the same
        sup bounds the
        kernel's derivative for d >= 3 is derived here). None for SA (not derived).
    chaos_horizon : float or None, ln N / C: the time up to which propagation of chaos is
        guaranteed by that estimate (None for SA).
    """
    beta = inverse_temperature(beta)
    d = dimension(d)
    N = integer("N", N, 1, fix="pass the number of tokens, e.g. N=2000")
    normalization = check_normalization(normalization)
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
