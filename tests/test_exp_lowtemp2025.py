"""Building blocks of the low-temperature reproduction [L] (attnflow.experiments.lowtemp2025).

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import math

import numpy as np
import pytest

from attnflow.experiments.lowtemp2025 import (
    distance_to_pushforward,
    example_matrices,
    fibonacci_sphere,
    hardmax_flow,
)
from attnflow.theory import zero_temperature_map


def test_example_matrices_follow_the_notes():
    A, V = example_matrices()
    np.testing.assert_allclose(A, np.diag([1.0, 4.0, 1.0]))   # K^T Q with Q = I, K = diag(1,4,1)
    Pi = zero_temperature_map(A, V)
    np.testing.assert_allclose(Pi.M, np.diag([2.0, 4.0, 0.5]))
    assert abs(abs(Pi.basis[1, 0]) - 1.0) < 1e-12 and Pi.gap == pytest.approx(2.0)


def test_hardmax_flow_and_pushforward_distance():
    A, V = example_matrices()
    x0 = fibonacci_sphere(200, seed=3)
    assert np.allclose(np.linalg.norm(x0, axis=1), 1.0)
    xs = hardmax_flow(A, V, x0, np.array([0.0, 20.0]), 0.02)
    e2 = np.array([0.0, 1.0, 0.0])
    p = float(np.mean(x0 @ e2 > 0))
    assert distance_to_pushforward(xs[0], e2, p) > 0.5
    assert distance_to_pushforward(xs[-1], e2, p) < 1e-3
    # tokens keep the sign of their e_2 component (Pi(x) = sign(<x, e_2>) e_2)
    assert np.all(np.sign(xs[-1] @ e2) == np.sign(x0 @ e2))
    assert math.isclose(distance_to_pushforward(np.array([[0.0, 1.0, 0.0]]), e2, 1.0), 0.0, abs_tol=1e-12)
