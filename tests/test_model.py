import dataclasses

import numpy as np
import pytest

import attnflow as af


def test_identity_defaults_and_matrices():
    m = af.AttentionModel(d=3, beta=2.0)
    assert m.identity and m.normalization == "sa"
    np.testing.assert_array_equal(m.A_matrix, np.eye(3))
    np.testing.assert_array_equal(m.V_matrix, np.eye(3))


def test_frozen_and_readonly():
    A = np.arange(9.0).reshape(3, 3)
    m = af.AttentionModel(d=3, beta=1.0, A=A, normalization="usa")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.beta = 2.0
    with pytest.raises(ValueError):
        m.A[0, 0] = 5.0                      # stored read-only
    A[0, 0] = 100.0                          # the model holds its own copy
    assert m.A[0, 0] == 0.0


def test_equality_and_hash():
    A = np.diag([1.0, 2.0])
    m1 = af.AttentionModel(d=2, beta=1.0, A=A)
    m2 = af.AttentionModel(d=2, beta=1.0, A=A.copy())
    assert m1 == m2 and hash(m1) == hash(m2)
    assert m1 != m1.replace(beta=1.5)
    assert m1 != af.AttentionModel(d=2, beta=1.0)


def test_negative_beta_allowed():
    assert af.AttentionModel(d=2, beta=-0.5).beta == -0.5


@pytest.mark.parametrize("beta", [np.nan, np.inf, -np.inf, "x"])
def test_bad_beta(beta):
    with pytest.raises(ValueError, match=r"beta=.*Fix"):
        af.AttentionModel(d=3, beta=beta)


def test_bad_matrices():
    with pytest.raises(ValueError, match=r"A=.*shape \(2, 2\).*d=3"):
        af.AttentionModel(d=3, beta=1.0, A=np.eye(2))
    bad = np.eye(3)
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"V=.*non-finite entry at \(1, 2\)"):
        af.AttentionModel(d=3, beta=1.0, V=bad)
    with pytest.raises(ValueError, match=r"A=.*is complex"):               # never cast to real silently
        af.AttentionModel(d=3, beta=1.0, A=np.eye(3) * (1 + 1e-3j))
    with pytest.raises(ValueError, match=r"beta=.*not a real number"):
        af.AttentionModel(d=3, beta=1 + 0j)


def test_gradient_flow_cases_and_the_output_bound():
    g = np.random.default_rng(0).standard_normal((3, 3))
    S = g + g.T
    assert af.AttentionModel(3, 2.0).gradient_flow
    assert af.AttentionModel(3, 2.0, A=S, V=S, normalization="usa").gradient_flow
    assert not af.AttentionModel(3, 2.0, A=g, V=g).gradient_flow            # V = A, not symmetric
    assert not af.AttentionModel(3, 2.0, A=S).gradient_flow                  # V = I != A
    m = af.AttentionModel(3, 2.0, A=S, V=2 * np.eye(3), normalization="usa")
    assert m.output_bound() == pytest.approx(2 * np.exp(2 * np.linalg.norm(S, 2)), rel=1e-14)
    x = af.sphere.uniform(50, 3, seed=1)
    y = af.attention_output(m, x)
    assert np.linalg.norm(y, axis=-1).max() <= m.output_bound()
    assert m.replace(normalization="sa").output_bound() == pytest.approx(2.0)


@pytest.mark.parametrize("d", [1, 0, 2.5, True])
def test_bad_d(d):
    with pytest.raises(ValueError, match="d="):
        af.AttentionModel(d=d, beta=1.0)


def test_bad_normalization_and_replace():
    with pytest.raises(ValueError, match=r"normalization='softmax'.*\"sa\""):
        af.AttentionModel(d=3, beta=1.0, normalization="softmax")
    with pytest.raises(ValueError, match="changes="):
        af.AttentionModel(d=3, beta=1.0).replace(temperature=2.0)


def test_random_ensembles():
    d = 16
    for ens in af.model.ENSEMBLES:
        A, V = af.random_matrices(d, ens, seed=3)
        assert A.shape == V.shape == (d, d)
        A2, _V2 = af.random_matrices(d, ens, seed=3)
        np.testing.assert_array_equal(A, A2)       # reproducible from the seed
    _, V = af.random_matrices(d, "goe", seed=1)
    np.testing.assert_allclose(V, V.T)
    _, V = af.random_matrices(d, "wigner", seed=1)
    np.testing.assert_allclose(np.abs(V), 1 / np.sqrt(d))
    A, V = af.random_matrices(d, "qk", seed=1)
    np.testing.assert_array_equal(A.T, V)          # V = Q^T K, A = K^T Q
    m = af.AttentionModel.random(d, 1.0, "ginibre", seed=2, normalization="usa")
    assert not m.identity and m.normalization == "usa"
    with pytest.raises(ValueError, match="ensemble="):
        af.random_matrices(d, "gue")


def test_to_dict_roundtrip():
    m = af.AttentionModel.random(3, 0.7, "goe", seed=0)
    m2 = af.AttentionModel(**{k: v for k, v in m.to_dict().items()})
    assert m == m2
