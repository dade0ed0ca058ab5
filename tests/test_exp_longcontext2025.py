"""Building blocks of the long-context reproduction (attnflow.experiments.longcontext2025).

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import numpy as np
import pytest

import attnflow as af
from attnflow.experiments.longcontext2025 import equiangular_tokens, one_layer_cosines, pre_ln_layer_map
from attnflow.theory import long_context_cosine


def test_equiangular_tokens_have_the_gram_matrix():
    x = equiangular_tokens(6, 0.3)
    np.testing.assert_allclose(x @ x.T, 0.7 * np.eye(6) + 0.3, atol=1e-15)


@pytest.mark.parametrize("gamma", [0.8, 2.0, 3.5])
def test_the_layer_map_without_residual_is_the_attention_branch(gamma):
    """r = 0: the closed-form residual map gives the cosine of ATT(theta) itself (an independent formula)."""
    for n in (2, 10, 1000):
        rho, _ = pre_ln_layer_map(0.5, 0.0, n, gamma)
        assert rho == pytest.approx(float(long_context_cosine(n, gamma, 0.5)), abs=1e-14)


@pytest.mark.parametrize("h", [1.0, 0.3])
def test_the_layer_map_is_one_step_of_the_model(h):
    n, rho0, gamma = 30, 0.4, 1.5
    x0 = 2.0 * equiangular_tokens(n, rho0)                          # r = 2
    model = af.AttentionModel(n + 1, "log", gamma=gamma, layernorm="pre")
    sol = af.simulate(model, x0, h, h, "layer")
    rho, r = pre_ln_layer_map(rho0, 2.0, n, gamma, h)
    x = sol.x[-1]
    theta = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), r, rtol=1e-14)
    np.testing.assert_allclose((theta @ theta.T)[np.triu_indices(n, 1)], rho, atol=1e-14)


def test_one_layer_cosines_are_the_exact_finite_n_cosine():
    x = equiangular_tokens(40, 0.5)
    for gamma in (1.0, 2.0, 3.0):
        exact = long_context_cosine(40, gamma, 0.5)
        np.testing.assert_allclose(one_layer_cosines(gamma, x), exact, atol=1e-14)
