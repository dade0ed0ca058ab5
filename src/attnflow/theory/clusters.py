"""Where the first clusters form on S^1: the maxima of the fastest-growing Fourier mode [B].

- :func:`predicted_cluster_angles`: the predicted first-cluster angles from an initial state;
- :func:`mode_maxima`: the same rule for a given Fourier coefficient mu_hat_k.

[B] Bruno, Pasqualotto, Agazzi, "Emergence of meta-stable clustering in mean-field
    transformer models", arXiv 2410.23228 (ICLR 2025).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..validation import angles, fail, integer
from ._args import inverse_temperature
from .stability import k_max

__all__ = ["mode_maxima", "predicted_cluster_angles"]


def mode_maxima(mu_hat: complex, k: int) -> np.ndarray:
    """Angles of the k maxima of Re(mu_hat e^{i k theta}) on [0, 2 pi), increasing.

        theta_m = (2 pi m - arg mu_hat) / k  (mod 2 pi),   m = 0..k - 1,

    the maxima of cos(k theta + arg mu_hat): with the convention mu_hat_k = (1/N) sum_j
    e^{-i k theta_j} of :func:`attnflow.observables.fourier_modes`, the degree-k part of the
    density is (1/pi) Re(mu_hat_k e^{i k theta}). :func:`predicted_cluster_angles` applies it
    to the initial state; it applies equally to a PDE density's coefficient
    rho_hat_k = int e^{-i k theta} rho dtheta.

    Parameters
    ----------
    mu_hat : complex, the degree-k Fourier coefficient (non-zero).
    k : int >= 1.

    Returns
    -------
    (k,) float64 array of angles in [0, 2 pi), increasing.
    """
    k = integer("k", k, 1, fix="pass a mode k >= 1")
    fix = "pass the degree-k Fourier coefficient, a finite non-zero complex number"
    try:
        z = complex(mu_hat) if not isinstance(mu_hat, (str, bytes)) else None
    except (TypeError, ValueError):
        z = None
    if z is None or not np.isfinite(z):
        raise fail("mu_hat", mu_hat, "is not a finite complex number", fix)
    if z == 0:
        raise fail("mu_hat", mu_hat, "is zero, so its phase is undefined", fix)
    return np.sort(np.mod((2.0 * np.pi * np.arange(k) - np.angle(z)) / k, 2.0 * np.pi))


def predicted_cluster_angles(theta0: ArrayLike, beta: float, k: int | None = None) -> np.ndarray:
    """Angles on S^1 where the first clusters are predicted to form, from the initial state.

    With mu_hat_k = (1/N) sum_j e^{-i k theta_j} (the convention of
    :func:`attnflow.observables.fourier_modes`), the degree-k part of the density is
    (1/pi) Re(mu_hat_k e^{i k theta}) = (1/pi) |mu_hat_k| cos(k theta + arg mu_hat_k). The
    linear phase multiplies it by the real factor e^{gamma_k t} and keeps its phase, so the
    clusters form at the maxima of cos(k theta + arg mu_hat_k):

        theta_m = (2 pi m - arg mu_hat_k) / k  (mod 2 pi),   m = 0..k - 1,   k = k_max(beta, 2).

    [B] (their experiment code; docs/theory/linear-stability.md#cluster-angles). The sign was checked with
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
    theta = angles("theta0", theta0)
    beta = inverse_temperature(beta)
    k = k_max(beta, 2) if k is None else integer("k", k, 1, fix="pass a mode k >= 1, or None for k_max")
    mu = np.mean(np.exp(-1j * k * theta))
    if abs(mu) < 1e-14:
        raise fail("theta0", theta0, f"has mu_hat_{k} = 0 to rounding, so its phase is undefined",
                   "the configuration is k-symmetric; perturb it")
    return mode_maxima(mu, k)
