"""Noisy attention dynamics: the threshold of the uniform state, the pitchfork, the noisy Kuramoto limit.

With noise, tokens follow dX_i = P_{X_i}(...) dt + sqrt(2/kappa) dB_i and the mean field solves
d_t mu = kappa^{-1} Delta mu - div(mu X[mu]) (survey arXiv 2512.01868, "Noisy Transformers").
The drift is a gradient, X[mu] = grad Phi[mu], with (sigma the normalized uniform measure, A = V = I)

    USA: Phi[mu](x) = (1/beta) int e^{beta <x, y>} dmu(y),
    SA:  Phi[mu](x) = (1/beta) log int e^{beta <x, y>} dmu(y),

so the stationary states are the solutions of rho = e^{kappa Phi[rho]} / Z (zero flux;
docs/theory/noise.md#stationary-states). This module holds their closed forms:

- :func:`noise_threshold`: kappa_#, above which the uniform state is linearly unstable
  (USA: kappa_# = beta / lambda_1 = beta^{d/2} / (Gamma(d/2) 2^{d/2-1} I_{d/2}(beta)); SA:
  beta lambda_0 / lambda_1 = beta I_{d/2-1}(beta) / I_{d/2}(beta); both -> d as beta -> 0);
- :func:`pitchfork_coefficient`: C with kappa / kappa_# - 1 = C R^2 + O(R^4) on the branch that
  bifurcates there (R = |int x dmu|); C > 0 supercritical (continuous transition), C < 0
  subcritical (discontinuous, with hysteresis);
- :func:`critical_beta`: beta_*, where C changes sign; USA: lambda_2 / lambda_1 = 1/d, i.e.
  I_{d/2+1}(beta_*) / I_{d/2}(beta_*) = 1/d, the value Mun-Rosenzweig prove sharp for the global
  minimizers (arXiv 2604.16288 for d = 2, 2606.05140 for any d; their coupling K is kappa/2);
  SA: no sign change (derived here), beta_* = inf;
- :func:`kuramoto_order_parameter`: beta = 0, the noisy Kuramoto model: R = A_d(kappa R),
  A_d(s) = I_{d/2}(s) / I_{d/2-1}(s) (d = 2: R = I_1(kappa R) / I_0(kappa R), pitchfork at
  kappa = 2; Bertini-Giacomin-Pakdaman, J. Stat. Phys. 138 (2010)).

The growth rates with noise, gamma_k - k(k + d - 2)/kappa, are
:func:`attnflow.theory.growth_rates` with ``kappa`` (the one home of growth rates). All of this
is derived in docs/theory/noise.md and checked in tests/test_theory_noise.py against the
self-consistency branches of :mod:`attnflow.meanfield.stationary` and the PDE solvers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import ive

from ..validation import finite_float
from ..validation import normalization as check_normalization
from ._args import Normalization, dimension, inverse_temperature
from .kernels import scaled_eigenvalues
from .stability import growth_rates

__all__ = ["critical_beta", "kuramoto_order_parameter", "noise_threshold", "pitchfork_coefficient"]

#: the scan of :func:`critical_beta` covers beta in (0, _BETA_SCAN]
_BETA_SCAN = 700.0


def _ratios(beta: float, d: int) -> tuple[float, float]:
    """(a1, r) = (lambda_1 / lambda_0, lambda_2 / lambda_1) of the kernel e^{beta t}, beta > 0."""
    _, logs, _ = scaled_eigenvalues(beta, d, 2)
    return math.exp(logs[1] - logs[0]), math.exp(logs[2] - logs[1])


def noise_threshold(beta: float, d: int, normalization: Normalization = "usa") -> float:
    """kappa_#: the uniform measure is linearly unstable for kappa > kappa_#, stable below.

    Mode k grows at gamma_k - k(k + d - 2)/kappa (:func:`attnflow.theory.growth_rates`), and
    gamma_k / (k(k + d - 2)) = lambda_k / beta [/ lambda_0] decreases with k, so degree 1 goes
    first, at kappa_# = (d - 1) / gamma_1: USA beta / lambda_1, SA beta lambda_0 / lambda_1
    (docs/theory/noise.md#linear-stability-of-the-uniform-state). Even in beta; beta = 0 gives d
    (the noisy Kuramoto pitchfork, 2 on S^1). Mun-Rosenzweig's K_#^{(d)}(beta) (arXiv
    2606.05140) is kappa_#/2 for USA (their coupling multiplies a free energy without the 1/2).
    Computed in logarithms: the USA value ~ e^{-beta} underflows to 0 only past beta ~ 745.

    Returns
    -------
    float > 0 (0.0 after underflow).
    """
    beta = inverse_temperature(beta)
    d = dimension(d)
    normalization = check_normalization(normalization)
    if beta == 0:
        return float(d)
    if normalization == "sa":
        return (d - 1) / float(growth_rates(beta, d, 1, "sa")[1])
    g1 = float(growth_rates(beta, d, 1, "usa", scaled=True)[1])        # gamma_1 e^{-|beta|}
    return math.exp(math.log(d - 1) - math.log(g1) - abs(beta))


def pitchfork_coefficient(beta: float, d: int, normalization: Normalization = "usa") -> float:
    """C in kappa / kappa_# - 1 = C R^2 + O(R^4) on the branch born at kappa_# (R the order parameter).

    A third-order expansion of the self-consistency rho = e^{kappa Phi[rho]}/Z in the zonal
    harmonics P_1, P_2 (docs/theory/noise.md#the-pitchfork-at-kappa) gives, with
    r = lambda_2 / lambda_1 and a = lambda_1 / lambda_0,

        USA: C = d (1 - d r) / ((d + 2)(1 - r)),
        SA:  C = d (1 - a) [(1 + d a) - (d - 1) r (1 - a) / (1 - r)] / (d + 2);

    both are d / (d + 2) at beta = 0 (the noisy Kuramoto model). C > 0: supercritical, the
    clustered branch exists for kappa > kappa_# only (continuous transition); C < 0:
    subcritical, it bends back to kappa < kappa_# before turning (a fold), the transition is
    discontinuous and the uniform and clustered states coexist between the fold and kappa_#
    (hysteresis). Even in beta.
    """
    beta = abs(inverse_temperature(beta))
    d = dimension(d)
    normalization = check_normalization(normalization)
    if beta == 0:
        return d / (d + 2)
    a, r = _ratios(beta, d)
    if normalization == "usa":
        return d * (1 - d * r) / ((d + 2) * (1 - r))
    return d * (1 - a) * ((1 + d * a) - (d - 1) * r * (1 - a) / (1 - r)) / (d + 2)


def critical_beta(d: int, normalization: Normalization = "usa") -> float:
    """beta_*: the pitchfork at kappa_# is supercritical for |beta| < beta_*, subcritical above.

    USA: the root of lambda_2 / lambda_1 = I_{d/2+1}(beta) / I_{d/2}(beta) = 1/d (unique: the
    ratio increases from 0 to 1); e.g. 2.4469 on S^1, 1.8162 on S^2. Mun-Rosenzweig prove the
    same beta_* sharp for the global transition (K_c = K_# iff beta <= beta_*; arXiv 2604.16288,
    2606.05140); here it is the sign change of :func:`pitchfork_coefficient`.
    SA: ``math.inf``: C stays positive (it tends to 0+ like 1/beta; derived in
    docs/theory/noise.md#the-pitchfork-at-kappa and checked on (0, 700] here), so the SA
    transition at kappa_# is continuous for every beta (locally; derived here, no paper found).
    """
    d = dimension(d)
    normalization = check_normalization(normalization)
    grid = np.geomspace(1e-3, _BETA_SCAN, 400)
    c = np.array([pitchfork_coefficient(b, d, normalization) for b in grid])
    change = np.flatnonzero(np.sign(c[:-1]) != np.sign(c[1:]))
    if change.size == 0:
        return math.inf
    i = int(change[0])
    return float(brentq(lambda b: pitchfork_coefficient(b, d, normalization), grid[i], grid[i + 1],
                        xtol=1e-14, rtol=4 * np.finfo(float).eps))


def _mean_resultant(s: float, d: int) -> float:
    """A_d(s) = I_{d/2}(s) / I_{d/2-1}(s): the mean <x, e> of the von Mises-Fisher law e^{s <x, e>}."""
    return float(ive(0.5 * d, s) / ive(0.5 * d - 1.0, s))


def kuramoto_order_parameter(kappa: float, d: int = 2) -> float:
    """The stationary order parameter R of the noisy Kuramoto model (beta = 0, USA = SA).

    The stationary laws are von Mises-Fisher, rho = e^{kappa <x, m>}/Z with m = int x drho, so
    R = |m| solves R = A_d(kappa R). For kappa <= d the only solution is R = 0 (uniform); for
    kappa > d the clustered branch R > 0 (unique, stable; Bertini-Giacomin-Pakdaman 2010 on S^1),
    returned here. Near kappa = d: R^2 = (d + 2)(kappa/d - 1)/d + O((kappa - d)^2).

    Returns
    -------
    float in [0, 1).
    """
    kappa = finite_float("kappa", kappa, fix="pass a positive noise parameter", positive=True)
    d = dimension(d)
    if kappa <= d:
        return 0.0
    lo = 1e-12
    return float(brentq(lambda R: _mean_resultant(kappa * R, d) - R, lo, 1.0 - 1e-15, xtol=1e-15,
                        rtol=4 * np.finfo(float).eps))
