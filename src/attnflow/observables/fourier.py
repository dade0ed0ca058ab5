"""Order parameters and empirical Fourier modes of a configuration.

- :func:`order_parameter`: R_1 = |(1/N) sum_i x_i| (any d), R_k = |(1/N) sum_i e^{i k theta_i}| (S^1);
- :func:`fourier_modes`: mu_hat_k = (1/N) sum_j e^{-i k theta_j}, k = 0..K, on S^1;
- :func:`dominant_mode`: argmax_{1 <= k <= K} |mu_hat_k| on S^1.
"""

from __future__ import annotations

import numpy as np

from ..sphere import points_to_angles
from ..validation import fail, integer
from ._common import BLOCK_ENTRIES, points

__all__ = ["dominant_mode", "fourier_modes", "order_parameter"]


def order_parameter(x, k: int = 1) -> float | np.ndarray:
    """Order parameter of a configuration: how concentrated the points are.

        R_1 = |(1/N) sum_i x_i|                      (any d),
        R_k = |(1/N) sum_i exp(i k theta_i)|          (k >= 2, on S^1),

    with theta_i the angle of x_i (:func:`attnflow.sphere.points_to_angles`). R_1 = 1 for a
    single cluster and 0 for configurations with zero mean; R_k = 1 when the points sit on
    k equispaced clusters (or fewer clusters at a subset of those angles).

    Parameters
    ----------
    x : (n, d) or (B, n, d) finite array; d = 2 when k >= 2.
    k : int >= 1, the harmonic.

    Returns
    -------
    float for (n, d) input, (B,) array for (B, n, d) input.
    """
    x = points(x)
    k = integer("k", k, 1, fix="pass k=1 (any d) or a harmonic k >= 2 on S^1")
    if k == 1:
        r = np.linalg.norm(x.mean(axis=-2), axis=-1)
    else:
        d = x.shape[-1]
        if d != 2:
            raise fail("k", k, f"is >= 2 but the points have d={d}; the harmonics e^(i k theta) "
                       "exist only on S^1 (d = 2)",
                       "use k=1 (|mean of the x_i|, any d), or pass points of shape (n, 2)")
        theta = points_to_angles(x)
        r = np.abs(np.exp(1j * k * theta).mean(axis=-1))
    return float(r) if x.ndim == 2 else r


def fourier_modes(x, K: int) -> np.ndarray:
    """Empirical Fourier coefficients of a configuration on S^1, for k = 0..K.

        mu_hat_k = (1/N) sum_j exp(-i k theta_j),     k = 0, 1, ..., K,

    so that the empirical measure is mu = (1/(2 pi)) sum_k mu_hat_k e^{i k theta} and
    |mu_hat_k| = R_k (:func:`order_parameter`), mu_hat_0 = 1. Computed in blocks of k.

    Parameters
    ----------
    x : (n, 2) or (B, n, 2) finite array of points on S^1 (the angles are used).
    K : int >= 0, the largest frequency.

    Returns
    -------
    complex128 array of shape (K + 1,) or (B, K + 1).
    """
    x = points(x)
    if x.shape[-1] != 2:
        raise fail("x", x, f"has last axis {x.shape[-1]}; Fourier modes in theta exist only on "
                   "S^1", "pass points of shape (n, 2) or (B, n, 2)")
    K = integer("K", K, 0, fix="pass the largest frequency, e.g. K=16")
    theta = points_to_angles(x)
    th = theta.reshape(-1, theta.shape[-1])                    # (B, n)
    nb, n = th.shape
    ks = np.arange(K + 1, dtype=np.float64)
    out = np.empty((nb, K + 1), dtype=np.complex128)
    step = max(1, BLOCK_ENTRIES // max(1, nb * n))
    for k0 in range(0, K + 1, step):
        phase = ks[k0:k0 + step, None, None] * th[None]         # (kb, B, n)
        out[:, k0:k0 + step] = (np.cos(phase).mean(axis=-1) - 1j * np.sin(phase).mean(axis=-1)).T
    return out[0] if x.ndim == 2 else out


def dominant_mode(x, K: int = 32) -> float | np.ndarray:
    """The Fourier mode with the largest amplitude on S^1: argmax_{1 <= k <= K} |mu_hat_k|.

    For k equally spaced clusters |mu_hat_k| = 1 and the multiples of k tie with it; ties go
    to the smaller k, so the result is k. During the linear phase from a uniform start it is
    the fastest-growing mode k_max(beta) [B]; at t = 0 it is noise (|mu_hat_k| ~ N^{-1/2}).

    Parameters
    ----------
    x : (n, 2) or (B, n, 2) points on S^1.
    K : int >= 1, the largest mode considered.

    Returns
    -------
    float (an integer value) for (n, 2) input, (B,) array for (B, n, 2) input.
    """
    K = integer("K", K, 1, fix="pass the largest mode, e.g. K=32")
    amp = np.abs(fourier_modes(x, K))[..., 1:]
    # ties (equal up to rounding) go to the smaller k
    top = amp.max(axis=-1, keepdims=True)
    k = np.argmax(amp >= top - 1e-12, axis=-1) + 1.0
    return float(k) if np.ndim(k) == 0 else k
