"""The conventions of GLPR's public reference code (``sphere.py``, ``phase-diagrams.py``) in attnflow's terms.

- :func:`reference_step`: the layer step eta of ``phase-diagrams.py`` (SA and USA);
- :func:`reference_matrices`: its random (A, V) cases, :data:`CASES`, and :func:`case_words`;
- the code's constants: :data:`STEP`, :data:`TOL_PAIR`, :data:`T_MAX`, :data:`N_RM`, :data:`D_RM`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["CASES", "D_RM", "N_RM", "STEP", "TOL_PAIR", "T_MAX", "case_words", "reference_matrices",
           "reference_step"]

#: random-matrix cases of part 3 (reference-code names in ``reference_matrices``)
CASES = ("identity", "ginibre", "goe", "wigner", "qk")
STEP = 0.1                  # the reference code's step
TOL_PAIR = 1e-3             # <x_i, x_j> > 0.999
T_MAX = 30.0                # the reference code's maxtime for softmax
#: tokens and dimension of the random-matrix runs (``phase-diagrams.py``)
N_RM, D_RM = 32, 128


def reference_step(beta: float, normalization: str, step: float = STEP) -> float:
    """The layer step of ``phase-diagrams.py``: ``step`` (SA), step/max(sqrt(beta) e^{beta-1/2}, 1) (USA)."""
    if normalization == "sa":
        return step
    return step / max(math.sqrt(beta) * math.exp(beta - 0.5), 1.0)


def reference_matrices(case: str, d: int, rng: np.random.Generator
                       ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(A, V) in attnflow's convention for the random cases of ``phase-diagrams.py``.

    The code draws a bilinear form BF (the logit is beta x_i^T BF x_j for row tokens) and a value
    matrix V_ref applied on the right (rows y_i^T = sum_j w_ij x_j^T V_ref); attnflow's A = BF^T
    and V = V_ref^T. Scalings, with G, G1, G2 iid N(0, 1) (d, d) matrices:

    - ``"identity"``: BF = I, V = I (the code's default);
    - ``"ginibre"`` (``randomKQ=1``): BF = G1 G2 / sqrt(d), entries of variance 1, spectral
      radius ~ sqrt(d), operator norm ~ 4 sqrt(d); V = I;
    - ``"goe"`` (``randomKQ=3``): BF = (G + G^T)/sqrt(2), off-diagonal variance 1, diagonal 2,
      spectrum on [-2 sqrt(d), 2 sqrt(d)]; V = I;
    - ``"wigner"`` (``randomKQ=2``, the code's "wrong Wigner"): (G + G^T) divided by 2 on the
      diagonal and sqrt(2) off it, all entries of variance 1; V = I;
    - ``"qk"`` (``randomKQ=1, randomV=2``): Ginibre BF as above and V_ref = BF/sqrt(d), so
      attnflow's V = BF^T/sqrt(d) = A/sqrt(d).

    attnflow's :func:`attnflow.random_matrices` scales every factor by 1/sqrt(d) (spectra O(1)),
    and its "qk" ensemble has V = A^T (the paper's literal V = Q^T K), not A/sqrt(d) as here;
    the logits of the code are O(sqrt(d)) times larger. Returns None for identity matrices.
    """
    if case == "identity":
        return None, None
    if case in ("ginibre", "qk"):
        BF = rng.standard_normal((d, d)) @ rng.standard_normal((d, d)) / math.sqrt(d)
    elif case == "goe":
        g = rng.standard_normal((d, d))
        BF = (g + g.T) / math.sqrt(2.0)
    elif case == "wigner":
        g = rng.standard_normal((d, d))
        norma = np.eye(d) * (2.0 - math.sqrt(2.0)) + math.sqrt(2.0)
        BF = (g + g.T) / norma
    else:
        raise ValueError(f"case={case!r} is not one of {CASES}. Fix: pass one of them")
    A = BF.T.copy()
    V = A / math.sqrt(d) if case == "qk" else None
    return A, V


def case_words(case: str) -> str:
    """The matrices of a case of :data:`CASES` in both conventions, in words (for the rows' parameters):
    the reference code's (row tokens, logit x_i^T BF x_j, output rows x_j^T V_ref) and attnflow's
    (logit <A x_i, x_j>, output V x_j, so A = BF^T and V = V_ref^T)."""
    return {"ginibre": "code BF = G1 G2/sqrt(d), V_ref = I; attnflow A = BF^T, V = I",
            "goe": "code BF = (G + G^T)/sqrt(2), V_ref = I; attnflow A = BF, V = I",
            "wigner": "code BF symmetric, all entries N(0,1) (randomKQ=2), V_ref = I; attnflow A = BF, V = I",
            "qk": "code BF = G1 G2/sqrt(d), V_ref = BF/sqrt(d) (randomV=2); attnflow A = BF^T, "
                  "V = V_ref^T = A/sqrt(d) (not V = A^T = Q^T K: on row vectors V_ref = BF/sqrt(d) acts as "
                  "BF^T/sqrt(d) on columns)",
            "identity": "A = V = I (both conventions)"}[case]
