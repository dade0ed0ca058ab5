"""The GLPR reproduction's conventions (attnflow.experiments.glpr2023) against the reference code and
the equiangular layer map.

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import math

import numpy as np
import pytest

from attnflow.experiments.glpr2023 import reference_matrices, reference_step
from attnflow.integrate import simulate
from attnflow.model import AttentionModel
from attnflow.theory import equiangular_layer_map, equiangular_layer_time


def test_equiangular_layer_map_matches_one_particle_layer_step():
    n, beta, h = 6, 2.0, 0.3
    for norm in ("sa", "usa"):
        g0 = 0.2
        # an equiangular configuration with Gram matrix (1 - g0) I + g0 11^T
        G = (1 - g0) * np.eye(n) + g0 * np.ones((n, n))
        x0 = np.linalg.cholesky(G)
        model = AttentionModel(d=n, beta=beta, normalization=norm)
        sol = simulate(model, x0, h, h, "layer", save_at=[0.0, h], backend="dense")
        x1 = sol.x[-1]
        off = (x1 @ x1.T)[~np.eye(n, dtype=bool)]
        assert np.ptp(off) < 1e-12
        assert off.mean() == pytest.approx(equiangular_layer_map(g0, beta, n, h, norm), abs=1e-12)


def test_layer_time_tends_to_the_ode_time_and_reference_conventions():
    from attnflow.theory import equiangular_clustering_time

    T = equiangular_clustering_time(1.0, 32, "sa")
    assert abs(equiangular_layer_time(1.0, 32, 1e-3, "sa") - T) / T < 2e-3
    assert reference_step(5.0, "sa") == 0.1
    assert math.isclose(reference_step(5.0, "usa"), 0.1 / (math.sqrt(5.0) * math.exp(4.5)))
    A, V = reference_matrices("qk", 16, np.random.default_rng(0))
    np.testing.assert_allclose(V, A / 4.0)
    A, V = reference_matrices("goe", 200, np.random.default_rng(1))
    assert V is None and np.allclose(A, A.T)
    off = A[~np.eye(200, dtype=bool)]
    assert 0.9 < off.var() < 1.1 and 1.6 < np.diag(A).var() < 2.5     # the code's GOE scaling


def test_layer_scheme_with_reference_matrices_is_the_reference_update():
    """The reference code's row-vector update equals attnflow's layer step with A = BF^T, V = V_ref^T."""
    rng = np.random.default_rng(7)
    d, n, beta, eta = 8, 5, 0.7, 0.1
    A, V = reference_matrices("qk", d, rng)
    BF, V_ref = A.T, V.T
    M = rng.standard_normal((n, d))
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    S = beta * (M @ BF) @ M.T
    W = np.exp(S - S.max(axis=1, keepdims=True))
    W /= W.sum(axis=1, keepdims=True)
    M2 = M + eta * (W @ M) @ V_ref
    ref = M2 / np.linalg.norm(M2, axis=1, keepdims=True)
    model = AttentionModel(d=d, beta=beta, A=A, V=V, normalization="sa")
    sol = simulate(model, M, eta, eta, "layer", save_at=[0.0, eta], backend="dense")
    np.testing.assert_allclose(sol.x[-1], ref, atol=1e-13)
