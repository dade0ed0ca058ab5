import numpy as np
import pytest
from conftest import naive_output, naive_velocity

import attnflow as af
from attnflow.velocity import dense


def _random_model(d, beta, norm, seed):
    rng = np.random.default_rng(seed)
    return af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                             V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=norm)


@pytest.mark.parametrize("d", [2, 3, 8])
@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [0.1, 1.0, 9.0, -2.0])
def test_dense_matches_full_matrix(d, norm, beta):
    m = _random_model(d, beta, norm, seed=d)
    x = af.sphere.uniform(203, d, seed=1)
    ref = naive_velocity(beta, m.A_matrix, m.V_matrix, x, norm)
    for block in (None, 7, 64, 1000):                 # blocks that do not divide n
        v = af.sphere.tangent_project(x, dense.attention_output(m, x, block=block))
        np.testing.assert_allclose(v, ref, rtol=1e-11, atol=1e-12 * np.abs(ref).max())
    np.testing.assert_allclose(af.velocity(m, x), ref, rtol=1e-11,
                               atol=1e-12 * np.abs(ref).max())


def test_identity_circle_formula():
    # USA on S^1: dtheta_i/dt = (1/N) sum_j e^{beta cos(th_j - th_i)} sin(th_j - th_i)
    beta = 3.0
    th = np.random.default_rng(2).uniform(0, 2 * np.pi, 64)
    x = af.sphere.angles_to_points(th)
    m = af.AttentionModel(d=2, beta=beta, normalization="usa")
    diff = th[None, :] - th[:, None]
    dth = (np.exp(beta * np.cos(diff)) * np.sin(diff)).mean(axis=1)
    expected = dth[:, None] * np.stack([-np.sin(th), np.cos(th)], axis=1)
    np.testing.assert_allclose(af.velocity(m, x), expected, rtol=1e-12, atol=1e-13)


def test_tangent_and_float32():
    m = _random_model(3, 2.0, "sa", seed=0)
    x = af.sphere.uniform(300, 3, seed=4)
    v = af.velocity(m, x)
    np.testing.assert_allclose(np.sum(v * x, axis=1), 0.0, atol=1e-15)
    v32 = af.velocity(m, x.astype(np.float32))
    assert v32.dtype == np.float32
    np.testing.assert_allclose(v32, v, rtol=1e-5, atol=1e-5 * np.abs(v).max())


def test_permutation_equivariance():
    m = _random_model(3, 4.0, "usa", seed=1)
    x = af.sphere.uniform(100, 3, seed=5)
    perm = np.random.default_rng(0).permutation(100)
    np.testing.assert_allclose(af.velocity(m, x[perm]), af.velocity(m, x)[perm],
                               rtol=1e-13, atol=1e-14)


def test_batch_equals_single():
    m = _random_model(4, 1.5, "sa", seed=2)
    xb = af.sphere.uniform(50, 4, seed=6, batch=3)
    vb = af.velocity(m, xb)
    for b in range(3):
        np.testing.assert_array_equal(vb[b], af.velocity(m, xb[b]))


@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_many_small_systems_are_batched_without_changing_a_bit(normalization):
    # n * n <= 2^14: the dense backend evaluates stacked (b, n, n) products in chunks of
    # 2^19 / n^2 = 52 systems for n = 100; each member must equal its own evaluation
    from attnflow.velocity import dense

    m = _random_model(3, 2.5, normalization, seed=4)
    xb = af.sphere.uniform(100, 3, seed=2, batch=120)
    yb = dense.attention_output(m, xb)
    for b in (0, 51, 52, 119):
        np.testing.assert_array_equal(yb[b], dense.attention_output(m, xb[b]))
    # a member whose bound shift underflows falls back to the exact row maxima
    d = 3
    x = af.sphere.angles_to_points(np.array([0.0, 2.0, 4.0]))
    x = np.concatenate([x, np.zeros((3, 1))], axis=1)
    x[0] = [0.0, 0.0, 1.0]
    hot = af.AttentionModel(d=d, beta=2000.0, A=3.0 * np.eye(d), normalization="sa")
    both = np.stack([x, af.sphere.uniform(3, 3, seed=1)])
    y = dense.attention_output(hot, both)
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y[0], dense.attention_output(hot, x))


def test_usa_overflow_is_reported():
    m = af.AttentionModel(d=3, beta=800.0, normalization="usa")
    x = af.sphere.uniform(10, 3, seed=0)
    with pytest.raises(FloatingPointError, match=r"overflows.*normalization='sa'"):
        af.velocity(m, x)


def test_sa_large_beta_underflow_rows_recomputed():
    # |A x_i| = 3 but every <A x_i, x_j> <= 3 cos(angle): the bound shift underflows at
    # beta = 2000; the exact-max fallback must give the correct (finite) softmax.
    d = 3
    A = 3.0 * np.eye(d)
    x = af.sphere.angles_to_points(np.array([0.0, 2.0, 4.0]))
    x = np.concatenate([x, np.zeros((3, 1))], axis=1)
    x[0] = [0.0, 0.0, 1.0]                            # x_0 far from every other token but itself
    m = af.AttentionModel(d=d, beta=2000.0, A=A, normalization="sa")
    y = af.attention_output(m, x)
    assert np.all(np.isfinite(y))
    # at this beta the softmax is a hardmax: each token attends to its argmax
    scores = (x @ A.T) @ x.T
    np.testing.assert_allclose(y, x[np.argmax(scores, axis=1)], atol=1e-12)


def test_input_errors():
    m = af.AttentionModel(d=3, beta=1.0)
    with pytest.raises(ValueError, match=r"x=.*expected \(n, 3\)"):
        af.velocity(m, np.ones((4, 2)))
    x = af.sphere.uniform(5, 3, seed=0)
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf.*index \(2,\)"):
        af.velocity(m, x)
    x = 2 * af.sphere.uniform(5, 3, seed=0)
    with pytest.raises(ValueError, match=r"particle \(0,\) has norm 2.*normalize=True"):
        af.velocity(m, x)
    v = af.velocity(m, x, normalize=True)
    np.testing.assert_allclose(v, af.velocity(m, x / 2), rtol=1e-14)
    with pytest.raises(ValueError, match="backend="):
        af.velocity(m, x / 2, backend="cuda")
    ref = naive_output(1.0, np.eye(3), np.eye(3), x / 2, "sa")
    np.testing.assert_allclose(af.attention_output(m, x / 2), ref, rtol=1e-13)
