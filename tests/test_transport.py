import numpy as np
import pytest

import attnflow as af
from attnflow.transport import CircleDensity, w1_circle, wasserstein_circle, wasserstein_sphere


def test_w1_circle_matches_pot_on_random_discrete_measures():
    rng = np.random.default_rng(0)
    for _ in range(10):
        a = rng.uniform(0, 2 * np.pi, 37)
        b = rng.vonmises(1.0, 2.0, 53) % (2 * np.pi)
        wa = rng.uniform(size=37)
        assert w1_circle(a, b, weights_a=wa) == pytest.approx(
            wasserstein_circle(a, b, p=1, weights_a=wa), rel=1e-12)


def test_w1_circle_closed_forms():
    assert w1_circle([0.0], [1.0]) == pytest.approx(1.0, rel=1e-14)
    assert w1_circle([0.0], [np.pi + 0.1]) == pytest.approx(np.pi - 0.1, rel=1e-14)  # wraps
    # N atoms at cell centres vs the uniform density: each atom spreads over a cell of
    # length 2 pi / N, mean distance a quarter of it: W1 = pi / (2 N)
    for n in (10, 100, 1000):
        q = (np.arange(n) + 0.5) / n * 2 * np.pi
        assert w1_circle(q, CircleDensity(np.ones(64))) == pytest.approx(np.pi / (2 * n), rel=1e-10)
    # points (n, 2) are accepted like angles
    x = af.sphere.angles_to_points(np.array([0.3, 2.0]))
    assert w1_circle(x, [0.3, 2.0]) == pytest.approx(0.0, abs=1e-15)


def test_w1_density_vs_density_against_fine_atoms():
    # piecewise-constant densities against POT on atoms spread evenly inside each cell
    # (the quantization moves mass by at most h / (2 * 50) per cell)
    M, sub = 64, 50
    h = 2 * np.pi / M
    th = h * np.arange(M)
    rho_a = np.exp(2.0 * np.cos(th))
    rho_b = np.exp(np.cos(2 * th - 1.0)) + 0.2
    exact = w1_circle(CircleDensity(rho_a), CircleDensity(rho_b))
    offs = (np.arange(sub) + 0.5) / sub * h - h / 2
    atoms = (th[:, None] + offs[None, :]).ravel() % (2 * np.pi)
    wa = np.repeat(rho_a / rho_a.sum(), sub) / sub
    wb = np.repeat(rho_b / rho_b.sum(), sub) / sub
    approx = wasserstein_circle(atoms, atoms, p=1, weights_a=wa, weights_b=wb)
    assert abs(exact - approx) < h / sub, (exact, approx)
    assert exact > 0.1
    # a uniform density is rotation invariant
    assert w1_circle(CircleDensity(np.ones(M)), CircleDensity(np.ones(M))) == pytest.approx(0, abs=1e-15)


def test_w1_sample_vs_density_shrinks_like_sqrt_n():
    M = 1024
    th = 2 * np.pi * np.arange(M) / M
    rho = CircleDensity(np.exp(np.cos(th)))
    rng = np.random.default_rng(1)
    w = [np.mean([w1_circle(rng.vonmises(0, 1.0, n) % (2 * np.pi), rho) for _ in range(20)])
         for n in (100, 1600)]
    # iid samples: W1 ~ n^{-1/2}, so 16x more points gives ~4x smaller distance
    assert 3.0 < w[0] / w[1] < 5.3, w


def test_wasserstein_sphere_closed_forms_and_agreement():
    rng = np.random.default_rng(2)
    y = af.sphere.uniform(40, 3, seed=3)
    x0 = np.array([[0.0, 0.0, 1.0]])
    d = af.sphere.geodesic_distance(x0, y)
    # one source point: the only plan sends everything to it
    assert wasserstein_sphere(x0, y, p=2) == pytest.approx(np.sqrt(np.mean(d**2)), rel=1e-12)
    assert wasserstein_sphere(x0, y, p=1) == pytest.approx(np.mean(d), rel=1e-12)
    assert wasserstein_sphere(y, y) == pytest.approx(0.0, abs=1e-12)
    # on S^1, emd with geodesic cost equals the circular solvers
    a, b = rng.uniform(0, 2 * np.pi, 30), rng.uniform(0, 2 * np.pi, 30)
    xa, xb = af.sphere.angles_to_points(a), af.sphere.angles_to_points(b)
    assert wasserstein_sphere(xa, xb, p=1) == pytest.approx(w1_circle(a, b), rel=1e-9)
    assert wasserstein_sphere(xa, xb, p=2) == pytest.approx(wasserstein_circle(a, b, p=2), rel=1e-6)
    assert wasserstein_sphere(xa, xb, cost="chordal") <= wasserstein_sphere(xa, xb) + 1e-12


def test_transport_errors():
    with pytest.raises(ValueError, match="weights_a="):
        w1_circle([0.0, 1.0], [0.5], weights_a=[1.0])
    with pytest.raises(ValueError, match="rho="):
        CircleDensity([1.0, -1.0, 2.0])
    with pytest.raises(ValueError, match="a="):
        w1_circle([], [0.5])
    with pytest.raises(ValueError, match="cost="):
        wasserstein_sphere(np.eye(3), np.eye(3), cost="euclid")
    with pytest.raises(ValueError, match="p="):
        wasserstein_circle([0.0], [1.0], p=0.5)
    with pytest.raises(ValueError, match=r"rho=.*is complex"):
        CircleDensity(np.ones(4) + 0j)
    with pytest.raises(ValueError, match=r"weights_a=.*is complex"):
        w1_circle([0.0, 1.0], [0.5], weights_a=np.ones(2) + 0j)
    with pytest.raises(ValueError, match=r"x=.*is complex"):
        wasserstein_sphere(np.eye(3) + 0j, np.eye(3))
    with pytest.raises(ValueError, match=r"rho=.*at least 2"):
        CircleDensity([1.0])


def test_circle_density_clips_rounding_negatives_like_the_densities_module():
    # a PDE density with -1e-14 rounding is the density with 0 there (one rule in densities.py)
    rho = np.array([1.0, -1e-14, 2.0, 1.0])
    np.testing.assert_array_equal(CircleDensity(rho).weights, [0.25, 0.0, 0.5, 0.25])
    assert w1_circle(CircleDensity(rho), CircleDensity(np.clip(rho, 0, None))) == 0.0
