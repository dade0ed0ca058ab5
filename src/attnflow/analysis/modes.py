"""Mode amplitudes of the empirical measure: Fourier modes on S^1, degree-k power on S^{d-1}.

:func:`mode_amplitudes` measures |mu_hat_k(t)| for k = 1..K, the quantity whose growth the
linear theory predicts (:func:`attnflow.theory.growth_rates`).
"""

from __future__ import annotations

import numpy as np

from .. import observables as obs
from ..solution import Solution
from ..theory import iter_zonal_harmonics
from ..validation import choice, fail, integer
from .states import states

__all__ = ["mode_amplitudes"]

#: entries of one block of pairwise inner products (2^19 float64 = 4 MiB per temporary)
_BLOCK_ENTRIES = 1 << 19


def mode_amplitudes(sol_or_x: Solution | np.ndarray, K: int, *, method: str = "auto") -> np.ndarray:
    """Amplitudes |mu_hat_k(t)| of the modes k = 1..K of the empirical measure over time.

    - S^1 (d = 2): the Fourier coefficients |mu_hat_k| = |(1/N) sum_j e^{-i k theta_j}|
      (:func:`attnflow.observables.fourier_modes`), O(N K) per saved time.
    - S^{d-1}, d >= 3: the rotation-invariant degree-k power

          a_k = sqrt( (1/N^2) sum_{i,j} P_k(<x_i, x_j>) ),   P_k = C_k^nu / C_k^nu(1),  nu = (d-2)/2,

      the normalized Gegenbauer polynomial. By the addition theorem a_k^2 = (|S^{d-1}| / dim H_k)
      sum_m |(1/N) sum_i Y_km(x_i)|^2 >= 0 (the L^2 norm of the degree-k part of mu), it is
      invariant under rotations, and for d = 2 it equals |mu_hat_k|. For N iid uniform points
      E[a_k^2] = 1/N (only the diagonal i = j contributes), so a_k ~ N^{-1/2}
      (docs/theory/linear-stability.md#phases-from-a-uniform-start).

    Methods for d >= 3:

    - ``"pairwise"``: the double sum, with P_k from the three-term recurrence of
      :func:`attnflow.theory.iter_zonal_harmonics`, in row blocks over i <= j:
      O(N^2 K / 2) operations and O(N * block) memory per saved time (N = 1e4, K = 8: about 5
      seconds per saved time). Any d.
    - ``"harmonics"`` (d = 3 only): the addition-theorem form with
      ``scipy.special.sph_harm_y``, O(N K^2) per saved time.
    - ``"auto"``: "harmonics" for d = 3, "pairwise" otherwise.

    Parameters
    ----------
    sol_or_x : Solution (not batched, with saved states; uses ``sol.x`` of shape (T, n, d)),
        or an array of states (T, n, d), or one configuration (n, d).
    K : int >= 1, the largest mode (degree).
    method : "auto", "pairwise" or "harmonics" (d >= 3 only; ignored on S^1).

    Returns
    -------
    (T, K) float64 array, column k - 1 holding degree k; (K,) for an (n, d) input.
    """
    single = not isinstance(sol_or_x, Solution) and np.ndim(sol_or_x) == 2
    _, x = states(np.asarray(sol_or_x)[None] if single else sol_or_x)
    K = integer("K", K, 1, fix="pass the largest mode, e.g. K=8")
    method = choice("method", method, ("auto", "pairwise", "harmonics"))
    d = x.shape[-1]
    if d == 2:
        out = np.abs(obs.fourier_modes(x, K))[:, 1:]
    else:
        if method == "harmonics" and d != 3:
            raise fail("method", method, f"needs d = 3 (spherical harmonics of S^2) but d={d}",
                       'use method="pairwise" (any d)')
        use_harm = d == 3 and method in ("auto", "harmonics")
        fn = _harmonic_power if use_harm else _pairwise_power
        out = np.sqrt(np.clip(np.array([fn(xt, K) for xt in x]), 0.0, None))
    return out[0] if single else out


def _pairwise_power(x: np.ndarray, K: int) -> np.ndarray:
    """(1/N^2) sum_{ij} P_k(<x_i, x_j>) for k = 1..K (normalized Gegenbauer), blocked."""
    n, d = x.shape
    acc = np.zeros(K)
    b = max(1, min(n, _BLOCK_ENTRIES // max(1, n)))
    for i0 in range(0, n, b):
        i1 = min(n, i0 + b)
        w = i1 - i0
        g = x[i0:i1] @ x[i0:].T                                   # rows i, columns j >= i0
        np.clip(g, -1.0, 1.0, out=g)
        for k, p in enumerate(iter_zonal_harmonics(g, K, d)):
            # the square block is symmetric (full sum = diagonal + 2 x upper); the rectangle j >= i1
            # stands for itself and its mirror image
            if k:
                acc[k - 1] += p[:, :w].sum() + 2.0 * p[:, w:].sum()
    return acc / (n * n)


def _harmonic_power(x: np.ndarray, K: int) -> np.ndarray:
    """d = 3: (4 pi / (2k + 1)) sum_m |(1/N) sum_i Y_km(x_i)|^2 for k = 1..K."""
    from scipy.special import sph_harm_y

    polar = np.arccos(np.clip(x[:, 2] / np.linalg.norm(x, axis=1), -1.0, 1.0))
    azim = np.mod(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi)
    out = np.empty(K)
    for k in range(1, K + 1):
        m = np.arange(k + 1)[:, None]
        means = sph_harm_y(k, m, polar[None], azim[None]).mean(axis=1)      # (k + 1,)
        sq = np.abs(means) ** 2
        out[k - 1] = 4 * np.pi / (2 * k + 1) * (sq[0] + 2.0 * sq[1:].sum())   # Y_{k,-m} ~ conj Y_km
    return out
