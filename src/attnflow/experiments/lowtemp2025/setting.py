"""The example setting of the [L] reproduction (docs/theory/low-temperature.md#worked-example) and the run
sizes per mode.

- :func:`example_matrices`: (A, V) in attnflow's convention A = K^T Q;
- :class:`Example` / :func:`example`: the matrices with the zero-temperature map Pi, its axis
  e_2, the predicted rate c and V's top eigenvector e_1;
- :func:`fibonacci_sphere`: a rotated Fibonacci lattice, a low-discrepancy uniform sample;
- :data:`MODES`, :data:`T_ERR`, :data:`ZERO_FIT`: sizes, betas and times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import sphere
from ...theory import ZeroTemperatureMap, zero_temperature_map, zero_temperature_rate

__all__ = ["MODES", "T_ERR", "ZERO_FIT", "Example", "example", "example_matrices", "fibonacci_sphere"]

#: modes: sizes, betas and times (full runs once for the gallery, quick for tests)
MODES = {
    "quick": {"n_zero": 500, "n_sa": 500, "betas": (10.0, 30.0), "t_end": 14.0, "dt": 0.02,
              "save": 0.25, "n_err": 500, "n_err_iid": (125, 500), "betas_err": (5.0, 10.0, 20.0, 40.0),
              "t_zero": 12.0, "backend": "dense"},
    "full": {"n_zero": 2000, "n_sa": 2000, "betas": (10.0, 20.0, 30.0, 50.0, 100.0), "t_end": 24.0,
             "dt": 0.01, "save": 0.25, "n_err": 4000, "n_err_iid": (1000, 4000),
             "betas_err": (5.0, 10.0, 20.0, 40.0, 80.0, 160.0), "t_zero": 12.0, "backend": "auto"},
}
T_ERR = 0.25          # the early time of row 3 (first row of the notes' table)
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
