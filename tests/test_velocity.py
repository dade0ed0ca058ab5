"""The NumPy reference evaluator (row blocks, stacked small systems) and the one-call API.

Agreement with the exact formula, overflow, batches and float32 run for every backend in
tests/test_backends.py.
"""

import numpy as np
import pytest
from conftest import naive_output

import attnflow as af
from attnflow.backends import prepare

EPS64 = np.finfo(np.float64).eps


def _random_model(d, beta, norm, seed):
    rng = np.random.default_rng(seed)
    return af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                             V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=norm)


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("d", [2, 3, 8])
@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [0.1, 9.0, -2.0])
def test_block_size_changes_rounding_only(d, norm, beta):
    m = _random_model(d, beta, norm, seed=d)
    x = af.sphere.uniform(203, d, seed=1)
    y = prepare(m, x, "dense").output(x)
    for block in (1, 7, 64, 1000):                    # blocks that do not divide n
        # measured: at most 6.3 eps relative to max |y| (the sums over j in another order)
        assert _rel(prepare(m, x, "dense", {"block": block}).output(x), y) <= 16 * EPS64


@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_many_small_systems_are_batched_without_changing_a_bit(normalization):
    # n * n <= 2^14: the dense backend evaluates stacked (b, n, n) products in chunks of
    # 2^19 / n^2 = 52 systems for n = 100; each member must equal its own evaluation
    m = _random_model(3, 2.5, normalization, seed=4)
    xb = af.sphere.uniform(100, 3, seed=2, batch=120)
    ev = prepare(m, xb, "dense")
    yb = ev.output(xb)
    for b in (0, 51, 52, 119):
        np.testing.assert_array_equal(yb[b], ev.output(xb[b]))
    # a member whose bound shift underflows falls back to the exact row maxima, and a USA
    # member that underflows does not make its neighbours' scaling fail
    x = af.sphere.angles_to_points(np.array([0.0, 2.0, 4.0]))
    x = np.concatenate([x, np.zeros((3, 1))], axis=1)
    x[0] = [0.0, 0.0, 1.0]
    hot = af.AttentionModel(d=3, beta=2000.0, A=3.0 * np.eye(3), normalization="sa")
    both = np.stack([x, af.sphere.uniform(3, 3, seed=1)])
    ev = prepare(hot, both, "dense")
    y = ev.output(both)
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y[0], ev.output(x))
    np.testing.assert_array_equal(y[1], ev.output(both[1]))


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
    assert _rel(v, af.velocity(m, x / 2)) <= 4 * EPS64          # x / |x| and x / 2: rounding
    with pytest.raises(ValueError, match="backend="):
        af.velocity(m, x / 2, backend="cuda")
    with pytest.raises(ValueError, match=r"model=.*is not a AttentionModel"):
        af.velocity("model", x / 2)
    ref = naive_output(1.0, np.eye(3), np.eye(3), x / 2, "sa")
    assert _rel(af.attention_output(m, x / 2), ref) <= 4 * EPS64
