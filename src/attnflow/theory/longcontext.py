"""One attention layer at long context: beta_n = gamma log n on equiangular inputs.

Survey arXiv 2512.01868, Theorem "long-context phase transition" (from Chen, Lin, Polyanskiy,
Rigollet, arXiv 2510.05554): n unit inputs with <x_i, x_j> = rho (i != j), attention scale
beta_n = gamma ln n and A = V = I; the layer output ATT(x_i) = sum_j A_ij x_j (the attention
branch itself, as in the theorem, not the residual sum) has directions theta_i whose pairwise
cosine tends, as n -> infinity, to

    1                  if gamma < 1/(1 - rho)   (uniform mixing),
    4 rho/(1 + 3 rho)  if gamma = 1/(1 - rho)   (critical),
    rho                if gamma > 1/(1 - rho)   (identity-like).

- :func:`long_context_cosine`: the exact finite-n cosine (derived here);
- :func:`long_context_limit`: the theorem's limit;
- :func:`long_context_rate`: the law |cosine_n - limit| ~ C n^{-p} (derived here).

Derivation (docs/theory/long-context.md): with q = A_ii/A_ij = n^{gamma (1 - rho)},
s = 1 + (n - 1) rho and R = s (2 (q - 1) + n)/(q - 1)^2,

    1 - <theta_i, theta_j> = (1 - rho)/(1 + R).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ..validation import fail, finite_float, real_array

__all__ = ["LongContextRate", "long_context_cosine", "long_context_limit", "long_context_rate"]


class LongContextRate(NamedTuple):
    """|cosine_n - limit| ~ constant * n^{-exponent} as n -> infinity."""

    exponent: float
    constant: float


def _gamma(gamma: Any) -> float:
    return finite_float("gamma", gamma, fix="pass the scale factor gamma > 0 of beta_n = gamma log n",
                        positive=True)


def _rho(rho: Any, lo: float) -> float:
    rho = finite_float("rho", rho, fix="pass the input cosine rho in (0, 1)")
    if not lo <= rho < 1.0:
        where = "[0, 1)" if lo == 0 else "(0, 1), the theorem's range"
        raise fail("rho", rho, f"is outside {where}", "pass the input cosine rho in (0, 1)")
    return rho


def long_context_cosine(n: ArrayLike, gamma: float, rho: float) -> np.ndarray:
    """Exact cosine <theta_i, theta_j> of the outputs of one layer, beta_n = gamma ln n (derived here).

    The layer maps token i to y_i = sum_j A_ij x_j with A_ii = n^gamma/Z, A_ij = n^{gamma rho}/Z,
    Z = n^gamma + (n - 1) n^{gamma rho}. Writing y_i = (a - b) x_i + b S (a = A_ii, b = A_ij,
    S = sum_k x_k, <x_i, S> = s = 1 + (n-1) rho, |S|^2 = n s), the Gram matrix of the outputs has

        |y_i|^2 = (a-b)^2 + (2 (a-b) b + n b^2) s,   <y_i, y_j> = (a-b)^2 rho + (2 (a-b) b + n b^2) s,

    so 1 - cos = (1 - rho)/(1 + R) with R = s (2 (q-1) + n)/(q-1)^2, q = a/b = n^{gamma (1-rho)}.
    Evaluated in logs (ln(q - 1) = a + ln(1 - e^{-a}), a = gamma (1 - rho) ln n), so any n works
    (1e6, 1e300) without overflow. The theorem's cosines are those of the attention branch
    (survey arXiv 2512.01868), not of x_i + y_i.

    Parameters
    ----------
    n : float or array of sequence lengths >= 2 (need not be integers).
    gamma : float > 0; rho : float in [0, 1), the input cosine.

    Returns
    -------
    float64 array of the shape of ``n``, in [rho, 1].
    """
    gamma, rho = _gamma(gamma), _rho(rho, 0.0)
    n = real_array("n", n, fix="pass sequence lengths n >= 2")
    if np.any(n < 2):
        raise fail("n", n, "must be >= 2", "pass sequence lengths n >= 2")
    log_n = np.log(n)
    a = gamma * (1.0 - rho) * log_n                                 # ln q
    log_q1 = np.where(a > 1.0, a + np.log1p(-np.exp(-a)), np.log(np.expm1(np.minimum(a, 1.0))))
    log_s = np.log1p((n - 1.0) * rho)
    log_r = np.logaddexp(math.log(2.0) + log_s - log_q1, log_s + log_n - 2.0 * log_q1)
    return 1.0 - (1.0 - rho) * np.exp(-np.logaddexp(0.0, log_r))


def _critical(gamma: float, rho: float) -> int:
    """-1, 0, 1 as gamma (1 - rho) is below, at (to 1e-12) or above 1."""
    kappa = gamma * (1.0 - rho)
    return 0 if abs(kappa - 1.0) <= 1e-12 else (1 if kappa > 1.0 else -1)


def long_context_limit(gamma: float, rho: float) -> float:
    """lim_{n -> infinity} <theta_i, theta_j> for beta_n = gamma ln n (survey arXiv 2512.01868).

    1 if gamma < 1/(1 - rho), 4 rho/(1 + 3 rho) if gamma = 1/(1 - rho) (to a relative 1e-12),
    rho if gamma > 1/(1 - rho).

    Parameters
    ----------
    gamma : float > 0; rho : float in (0, 1).

    Returns
    -------
    float.
    """
    gamma, rho = _gamma(gamma), _rho(rho, 1e-300)
    return {-1: 1.0, 0: 4.0 * rho / (1.0 + 3.0 * rho), 1: rho}[_critical(gamma, rho)]


def long_context_rate(gamma: float, rho: float) -> LongContextRate:
    """The approach to the limit: |cosine_n - limit| ~ C n^{-p} (derived here).

    With kappa = gamma (1 - rho) and R of :func:`long_context_cosine`,
    R = 2 rho n^{1 - kappa} + rho n^{2 - 2 kappa} + lower order, so

    - kappa < 1: 1 - cos ~ ((1 - rho)/rho) n^{-2 (1 - kappa)};
    - kappa = 1: R = 3 rho + (3 + rho)/(n - 1) + 1/(n - 1)^2 exactly, so
      cos - 4 rho/(1 + 3 rho) ~ (1 - rho)(3 + rho)/(1 + 3 rho)^2 n^{-1};
    - kappa > 1: cos - rho ~ 2 rho (1 - rho) n^{-(kappa - 1)}.

    Near kappa = 1 the two terms of R are comparable up to very large n, so the power law is
    reached late (at ln n >> 1/|1 - kappa|).

    Parameters
    ----------
    gamma : float > 0; rho : float in (0, 1).

    Returns
    -------
    :class:`LongContextRate` (exponent p, constant C).
    """
    gamma, rho = _gamma(gamma), _rho(rho, 1e-300)
    kappa = gamma * (1.0 - rho)
    side = _critical(gamma, rho)
    if side < 0:
        return LongContextRate(2.0 * (1.0 - kappa), (1.0 - rho) / rho)
    if side == 0:
        return LongContextRate(1.0, (1.0 - rho) * (3.0 + rho) / (1.0 + 3.0 * rho) ** 2)
    return LongContextRate(kappa - 1.0, 2.0 * rho * (1.0 - rho))
