import numpy as np
import pytest
from scipy.special import ive

from attnflow import sphere


@pytest.mark.parametrize("d", [2, 3, 7])
def test_uniform_unit_norm_and_seeded(d):
    x = sphere.uniform(1000, d, seed=1)
    assert x.shape == (1000, d)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-15)
    np.testing.assert_array_equal(x, sphere.uniform(1000, d, seed=1))
    assert sphere.uniform(5, d, seed=0, batch=4).shape == (4, 5, d)


def test_uniform_mean_is_zero():
    x = sphere.uniform(40000, 3, seed=2)
    # each coordinate has variance 1/d: the mean is within 5 standard errors of 0
    assert np.all(np.abs(x.mean(axis=0)) < 5 * np.sqrt(1 / 3 / 40000))


@pytest.mark.parametrize("d,kappa", [(2, 3.0), (3, 5.0), (5, 2.0), (8, 20.0)])
def test_von_mises_fisher_mean_resultant(d, kappa):
    # E <mu, x> = I_{d/2}(kappa) / I_{d/2-1}(kappa) for the vMF law
    mu = np.zeros(d)
    mu[-1] = 1.0
    x = sphere.von_mises_fisher(40000, mu, kappa, seed=3)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-14)
    t = x @ mu
    expected = ive(d / 2, kappa) / ive(d / 2 - 1, kappa)
    assert abs(t.mean() - expected) < 5 * t.std() / np.sqrt(t.size)
    # the orthogonal part is isotropic: its mean vanishes
    assert np.all(np.abs(x[:, :-1].mean(axis=0)) < 5 / np.sqrt(t.size))


def test_vmf_bad_input():
    with pytest.raises(ValueError, match="kappa="):
        sphere.von_mises_fisher(10, [0, 0, 1], -1.0)
    with pytest.raises(ValueError, match="mu="):
        sphere.von_mises_fisher(10, [0, 0, 0], 1.0)
    with pytest.raises(ValueError, match=r"mu=.*is complex"):
        sphere.von_mises_fisher(10, np.array([0, 0, 1]) + 0j, 1.0)
    with pytest.raises(ValueError, match=r"seed=1\.5: is not a valid seed"):
        sphere.von_mises_fisher(10, [0, 0, 1], 1.0, seed=1.5)


def test_bad_counts_and_complex_angles_are_refused():
    for call, message in [(lambda: sphere.uniform(0, 3), r"n=0: must be an integer >= 1"),
                          (lambda: sphere.uniform(4, 1), r"d=1: must be an integer >= 2"),
                          (lambda: sphere.uniform(4, 3, batch=2.0), r"batch=2\.0: is not an integer"),
                          (lambda: sphere.uniform(4, 3, seed=0.5), r"seed=0\.5: is not a valid seed"),
                          (lambda: sphere.uniform_angles(True), r"n=True: is not an integer"),
                          (lambda: sphere.angles_to_points(np.array([1.0]) + 1j), r"theta=.*is complex"),
                          (lambda: sphere.points_to_angles(np.ones((2, 2)) + 0j), r"x=.*is complex")]:
        with pytest.raises(ValueError, match=message):
            call()


def test_tangent_projection_and_retraction():
    rng = np.random.default_rng(0)
    x = sphere.uniform(50, 4, seed=1)
    v = rng.standard_normal((50, 4))
    p = sphere.tangent_project(x, v)
    np.testing.assert_allclose(np.sum(p * x, axis=1), 0.0, atol=1e-14)
    np.testing.assert_allclose(sphere.tangent_project(x, p), p, atol=1e-15)   # idempotent
    y = sphere.retract(3.0 * x + 1e-3 * p)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-15)
    with pytest.raises(FloatingPointError, match="retract"):
        sphere.retract(np.zeros((2, 3)))


def test_geodesic_distance_accuracy():
    a = np.array([1.0, 0.0, 0.0])
    for ang in [1e-9, 0.3, np.pi / 2, np.pi - 1e-9]:
        b = np.array([np.cos(ang), np.sin(ang), 0.0])
        assert abs(sphere.geodesic_distance(a, b) - ang) <= 1e-15 * max(1, ang) + 1e-16


def test_angles_roundtrip():
    th = np.random.default_rng(0).uniform(0, 2 * np.pi, 100)
    np.testing.assert_allclose(sphere.points_to_angles(sphere.angles_to_points(th)), th,
                               atol=1e-14)
    with pytest.raises(ValueError, match="S\\^1"):
        sphere.points_to_angles(np.ones((3, 3)))
    assert sphere.uniform_angles(10, seed=0).shape == (10,)
