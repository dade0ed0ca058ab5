"""Random attention matrices: the ensembles of the random-matrix experiments of [GLPR, Fig. 5]."""

from __future__ import annotations

import numpy as np

from .validation import fail

__all__ = ["ENSEMBLES", "random_matrices"]

ENSEMBLES = ("ginibre", "goe", "wigner", "qk")


def random_matrices(d: int, ensemble: str = "ginibre", *, seed: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Random (A, V) for the random-matrix experiments of [GLPR, Fig. 5], A = K^T Q.

    Ensembles (entries scaled so that the spectra stay O(1) as d grows):

    - ``"ginibre"``: Q, K, V with iid N(0, 1/d) entries; A = K^T Q (score <Q x_i, K x_j>).
    - ``"goe"``: Q, K, V drawn from the Gaussian orthogonal ensemble, (G + G^T)/sqrt(2 d).
    - ``"wigner"``: symmetric Q, K, V with iid +-1/sqrt(d) entries on and above the diagonal.
    - ``"qk"``: Ginibre Q, K and V = Q^T K (= A^T), the case "V = Q^T K" of [GLPR].

    Returns
    -------
    A, V : (d, d) float64 arrays
    """
    if ensemble not in ENSEMBLES:
        raise fail("ensemble", ensemble, "is not a known ensemble", f"use one of {ENSEMBLES}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise fail("d", d, "must be an integer >= 2", "pass the ambient dimension")
    rng = np.random.default_rng(seed)

    def draw() -> np.ndarray:
        if ensemble in ("ginibre", "qk"):
            return rng.standard_normal((d, d)) / np.sqrt(d)
        if ensemble == "goe":
            g = rng.standard_normal((d, d))
            return (g + g.T) / np.sqrt(2 * d)
        s = rng.choice([-1.0, 1.0], size=(d, d))
        s = np.triu(s) + np.triu(s, 1).T
        return s / np.sqrt(d)

    Q, K, V = draw(), draw(), draw()
    A = K.T @ Q
    if ensemble == "qk":
        V = Q.T @ K
    return A, V
