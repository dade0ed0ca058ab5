"""The example setting of the [L] reproduction (docs/theory/low-temperature.md#worked-example) and the run
sizes per mode.

- :func:`example_matrices`: (A, V) in attnflow's convention A = K^T Q;
- :class:`Example` / :func:`example`: the matrices with the zero-temperature map Pi, its axis
  e_2, the predicted rate c and V's top eigenvector e_1;
- :class:`SubsphereExample` / :func:`subsphere_example`: a second setting with a non-symmetric
  logit matrix A = K^T Q and a two-dimensional top eigenspace E of M = V A, so that Pi maps onto
  a great circle and the convention A = K^T Q (not Q^T K) matters;
- :func:`fibonacci_sphere`: a rotated Fibonacci lattice, a low-discrepancy uniform sample;
- :data:`MODES`, :data:`T_ERR`, :data:`T_BOUND`, :data:`ZERO_FIT`: sizes, betas and times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import sphere
from ...theory import ZeroTemperatureMap, zero_temperature_map, zero_temperature_rate

__all__ = ["MODES", "T_BOUND", "T_ERR", "ZERO_FIT", "Example", "SubsphereExample", "example",
           "example_matrices", "fibonacci_sphere", "subsphere_example"]

#: modes: sizes, betas and times (full runs once for the gallery, quick for tests)
MODES = {
    "quick": {"n_zero": 500, "n_sa": 500, "betas": (10.0, 30.0), "t_end": 14.0, "dt": 0.02,
              "save": 0.25, "n_err": 500, "n_err_iid": (125, 500), "betas_err": (5.0, 10.0, 20.0, 40.0),
              "bound_split": 10.0, "t_zero": 12.0, "backend": "dense", "dip_row": False},
    "full": {"n_zero": 2000, "n_sa": 2000, "betas": (10.0, 20.0, 30.0, 50.0, 100.0), "t_end": 24.0,
             "dt": 0.01, "save": 0.25, "n_err": 4000, "n_err_iid": (1000, 4000),
             "betas_err": (5.0, 10.0, 20.0, 40.0, 80.0, 160.0), "bound_split": 10.0, "t_zero": 12.0,
             "backend": "auto", "dip_row": True},
}
T_ERR = 0.25          # the early time of row 3 (first row of the notes' table)
T_BOUND = (0.25, 0.5, 1.0)   # the times at which [L]'s finite-beta term is fitted and tested
ZERO_FIT = (6.0, 12.0)  # window of the zero-temperature rate fit


def example_matrices() -> tuple[np.ndarray, np.ndarray]:
    """(A, V) of docs/theory/low-temperature.md#worked-example in attnflow's convention: Q = I, K = diag(1,
    4, 1), A = K^T Q."""
    Q = np.eye(3)
    K = np.diag([1.0, 4.0, 1.0])
    return K.T @ Q, np.diag([2.0, 1.0, 0.5])


def fibonacci_sphere(n: int, seed: int = 0) -> np.ndarray:
    """n points of the Fibonacci lattice on S^2, rotated by a random rotation (seeded).

    A deterministic, low-discrepancy sample of the uniform law: quadrature errors are far below
    the N^{-1/2} of iid samples, which isolates the beta-dependence of the softmax error.
    """
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    phi = np.pi * (1.0 + math.sqrt(5.0)) * i
    x = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    q, rr = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.diag(rr))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return sphere.retract(x @ q.T)



@dataclass(frozen=True)
class Example:
    """The example of docs/theory/low-temperature.md#worked-example with its zero-temperature predictions.

    Attributes
    ----------
    A, V : (3, 3) the matrices (:func:`example_matrices`).
    Pi : the zero-temperature map of M = V A (:func:`attnflow.theory.zero_temperature_map`).
    e1 : V's top eigenvector (the terminal phase's axis).
    e2 : Pi's axis, the top eigenvector of M = V A, with a positive largest entry.
    c : the predicted zero-temperature rate (:func:`attnflow.theory.zero_temperature_rate`).
    words : the matrices in words, for the rows' parameters.
    """

    A: np.ndarray
    V: np.ndarray
    Pi: ZeroTemperatureMap
    e1: np.ndarray
    e2: np.ndarray
    c: float
    words: str


def example() -> Example:
    """The :class:`Example` of docs/theory/low-temperature.md#worked-example."""
    A, V = example_matrices()
    Pi = zero_temperature_map(A, V)
    e2 = Pi.basis[:, 0] * np.sign(Pi.basis[np.argmax(np.abs(Pi.basis[:, 0])), 0])
    return Example(A=A, V=V, Pi=Pi, e1=np.array([1.0, 0.0, 0.0]), e2=e2, c=zero_temperature_rate(A, V),
                   words="d = 3, Q = I, K = diag(1,4,1) (A = K^T Q = diag(1,4,1)), V = diag(2,1,0.5)")


@dataclass(frozen=True)
class SubsphereExample:
    """A setting with a non-symmetric logit matrix and dim E = 2 (built by :func:`subsphere_example`).

    With an orthonormal basis (u_1, u_2, u_3) (a seeded random rotation), D = U diag(2, 2, 3) U^T,
    S = U diag(3, 3, 1) U^T and O the rotation by 0.7 rad about (1, 1, 1)/sqrt 3: queries Q = D,
    keys K = O^T, so attnflow's logit matrix is A = K^T Q = O D (not symmetric), and values
    V = S A^{-1}, so that M = V A = S is symmetric with the double top eigenvalue 3 on
    E = span(u_1, u_2). Pi maps onto the great circle of E; |A e| = |D e| = 2 for every unit e in
    E, so the local zero-temperature rate is (3 - 1)/2 = 1 while the global bound
    gap/||A||_2 = 2/3 is smaller. The transposed convention A' = Q^T K = A^T gives M' = V A^T,
    not symmetric, with a different top eigenspace: ``foil_Pi`` is the map of its symmetric part.
    """

    Q: np.ndarray
    K: np.ndarray
    A: np.ndarray
    V: np.ndarray
    Pi: ZeroTemperatureMap
    foil_Pi: ZeroTemperatureMap
    c: float
    c_global: float
    words: str


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    Kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(angle) * Kx + (1.0 - math.cos(angle)) * (Kx @ Kx)


def subsphere_example(seed: int = 7) -> SubsphereExample:
    """The :class:`SubsphereExample` (the basis U from ``seed``)."""
    U, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    D = U @ np.diag([2.0, 2.0, 3.0]) @ U.T
    S = U @ np.diag([3.0, 3.0, 1.0]) @ U.T
    O = _rotation(np.ones(3), 0.7)
    Q, K = D, O.T
    A = K.T @ Q
    V = S @ np.linalg.inv(A)
    Pi = zero_temperature_map(A, V, rtol=1e-9)
    Mt = V @ A.T
    foil_Pi = zero_temperature_map(np.eye(3), 0.5 * (Mt + Mt.T), rtol=1e-9)
    return SubsphereExample(Q=Q, K=K, A=A, V=V, Pi=Pi, foil_Pi=foil_Pi, c=zero_temperature_rate(A, V),
                            c_global=zero_temperature_rate(A, V, kind="global"),
                            words="d = 3, Q = D, K = O^T (A = K^T Q = O D, not symmetric), V = S A^-1 "
                                  "(M = V A = S, top eigenvalue 3 twice); D, S, O in "
                                  "setting.subsphere_example")
