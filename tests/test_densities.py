"""Tests of the particle <-> density bridge (attnflow.densities).

Reference laws are written here in closed form (von Mises Fourier series, band areas by
scipy quadrature of sin^{d-2}); samplers are checked by Kolmogorov distances and KS tests,
estimators by Monte Carlo standard deviations.
"""

import itertools

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gamma, ive
from scipy.stats import kstest

import attnflow as af
from attnflow.densities import (
    circle_kde,
    empirical_fourier,
    polar_cdf,
    sample_circle,
    sample_zonal,
    zonal_histogram,
)


def _vm_ratio(k, kappa):
    return ive(k, kappa) / ive(0, kappa)


def _vm_series_density(theta, mu, ratios):
    """(1/2 pi) (1 + 2 sum_k r_k cos k (theta - mu)) for given Fourier ratios r_1, r_2, ..."""
    k = np.arange(1, ratios.size + 1)
    return (1 + 2 * np.cos(np.outer(theta - mu, k)) @ ratios) / (2 * np.pi)


def _vm_cdf(theta, mu, kappa, K=200):
    """CDF on [0, 2 pi) of the von Mises law: theta/(2 pi) + (1/pi) sum r_k (sin k(theta-mu) + sin k mu)/k."""
    k = np.arange(1, K + 1)
    r = _vm_ratio(k, kappa)
    th = np.atleast_1d(theta)
    s = (np.sin(np.outer(th - mu, k)) + np.sin(k * mu)) @ (r / k)
    return th / (2 * np.pi) + s / np.pi


# -- Fourier coefficients and the KDE ----------------------------------------------------------
def test_empirical_fourier_matches_definition_and_observables():
    rng = np.random.default_rng(0)
    th = rng.uniform(0, 2 * np.pi, 500)
    c = empirical_fourier(th, 7)
    direct = np.exp(-1j * np.outer(np.arange(8), th)).mean(axis=1)
    np.testing.assert_allclose(c, direct, atol=1e-14)
    assert c[0] == 1
    pts = af.sphere.angles_to_points(th)
    np.testing.assert_allclose(empirical_fourier(pts, 7), c, atol=1e-14)
    np.testing.assert_allclose(af.observables.fourier_modes(pts, 7), c, atol=1e-13)


def test_kde_matches_the_convolved_density():
    rng = np.random.default_rng(1)
    N, kappa0, mu, bw, M = 200_000, 2.0, 1.0, 0.3, 128
    th = rng.vonmises(mu - np.pi, kappa0, N) + np.pi          # numpy's own sampler, shifted
    rho = circle_kde(th, M, bw)
    grid = 2 * np.pi * np.arange(M) / M
    kappa = 1 / bw**2
    k = np.arange(1, 80)
    exact = _vm_series_density(grid, mu, _vm_ratio(k, kappa0) * _vm_ratio(k, kappa))
    # Monte Carlo sd of the KDE at theta: sqrt(Var K(theta - X) / N) <= sqrt(E K^2 / N), with
    # K^2 = I_0(2 kappa)/(2 pi I_0(kappa)^2) * (von Mises of 2 kappa)
    c2 = ive(0, 2 * kappa) / (2 * np.pi * ive(0, kappa) ** 2)
    ek2 = c2 * _vm_series_density(grid, mu, _vm_ratio(k, kappa0) * _vm_ratio(k, 2 * kappa))
    sd = np.sqrt(ek2 / N)
    z = np.abs(rho - exact) / sd
    assert z.max() < 5.0, z.max()
    assert np.abs(rho - exact).max() < 0.01 * exact.max()
    assert abs(rho.sum() * 2 * np.pi / M - 1) < 1e-12


@pytest.mark.parametrize("M,bw", [(64, 0.05), (7, 0.5), (256, 1.0), (1000, 0.01)])
def test_kde_integrates_to_one(M, bw):
    th = np.random.default_rng(2).uniform(0, 2 * np.pi, 300)
    rho = circle_kde(th, M, bw)
    assert rho.shape == (M,) and np.all(np.isfinite(rho))
    assert abs(rho.sum() * 2 * np.pi / M - 1) < 1e-12


def test_kde_of_one_point_is_the_kernel():
    M, bw = 64, 0.4
    rho = circle_kde(np.array([0.5]), M, bw)
    grid = 2 * np.pi * np.arange(M) / M
    kappa = 1 / bw**2
    kern = np.exp(kappa * (np.cos(grid - 0.5) - 1)) / (2 * np.pi * ive(0, kappa))
    np.testing.assert_allclose(rho, kern, atol=1e-14)


# -- sampling on the circle ---------------------------------------------------------------------
def test_quantile_samples_are_within_one_over_n():
    M, n, kappa, mu = 2048, 1000, 3.0, 2.0
    grid = 2 * np.pi * np.arange(M) / M
    rho = np.exp(kappa * np.cos(grid - mu))                  # unnormalized on purpose
    th = sample_circle(rho, n, method="quantile")
    assert np.all(np.diff(th) >= 0) and th.min() >= 0 and th.max() < 2 * np.pi
    F = _vm_cdf(th, mu, kappa)
    i = np.arange(n)
    dist = np.max(np.maximum((i + 1) / n - F, F - i / n))   # Kolmogorov distance
    assert dist <= 1.0 / n, dist


def test_quantile_inverts_the_piecewise_linear_cdf_exactly():
    rho = np.array([0.0, 1.0, 3.0, 0.0, 0.0, 2.0])           # zero cells included
    M, h, n = rho.size, 2 * np.pi / rho.size, 257
    th = sample_circle(rho, n, method="quantile")
    # exact CDF of the periodic piecewise-linear interpolant
    a, b = rho, np.roll(rho, -1)
    cum = np.concatenate([[0], np.cumsum(0.5 * h * (a + b))])
    j = np.minimum((th // h).astype(int), M - 1)
    s = th - j * h
    F = (cum[j] + a[j] * s + (b[j] - a[j]) * s**2 / (2 * h)) / cum[-1]
    np.testing.assert_allclose(F, (np.arange(n) + 0.5) / n, atol=1e-12)
    assert not np.any((th > 3 * h) & (th < 4 * h))           # no mass where rho = 0


def test_random_samples_pass_ks():
    M, kappa, mu = 2048, 1.5, 4.0
    grid = 2 * np.pi * np.arange(M) / M
    rho = np.exp(kappa * np.cos(grid - mu))
    th = sample_circle(rho, 5000, seed=3)
    res = kstest(th, lambda x: _vm_cdf(x, mu, kappa))
    assert res.pvalue > 1e-3, res
    # a seed reproduces
    np.testing.assert_array_equal(th, sample_circle(rho, 5000, seed=3))


def test_kde_then_sample_round_trip():
    rng = np.random.default_rng(4)
    th = rng.vonmises(0.0, 4.0, 20000) % (2 * np.pi)
    rho = circle_kde(th, 512, 0.05)
    back = sample_circle(rho, 20000, seed=5)
    # the two samples' first Fourier modes agree to Monte Carlo accuracy (kernel r_1 ~ 0.9988)
    c0, c1 = empirical_fourier(th, 2), empirical_fourier(back, 2)
    assert np.abs(c0 - c1).max() < 0.03


# -- zonal laws ---------------------------------------------------------------------------------
def _band(d, p, q):
    w = lambda s: np.sin(s) ** (d - 2)  # noqa: E731
    return quad(w, p, q)[0] / quad(w, 0, np.pi)[0]


@pytest.mark.parametrize("d", [2, 3, 5])
def test_polar_cdf(d):
    for phi in (0.3, 1.2, 2.9):
        np.testing.assert_allclose(polar_cdf(phi, d), _band(d, 0, phi), rtol=1e-12)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_histogram_of_uniform_points_is_flat(d):
    n = 200_000
    x = af.sphere.uniform(n, d, seed=6)
    pole = np.arange(1, d + 1, dtype=float)                  # any direction
    dens, edges = zonal_histogram(x, pole, bins=20)
    assert edges.shape == (21,) and edges[0] == 0 and edges[-1] == np.pi
    p = np.array([_band(d, a, b) for a, b in itertools.pairwise(edges)])
    sd = np.sqrt((1 - p) / (n * p))                          # binomial sd of count / (n p)
    assert np.max(np.abs(dens - 1) / sd) < 5.0


@pytest.mark.parametrize("d", [3, 5])
def test_sample_zonal_then_histogram_recovers_f(d):
    kappa, n = 1.5, 200_000
    nu = (d - 2) / 2
    z0 = gamma(d / 2) * (2 / kappa) ** nu * ive(nu, kappa) * np.exp(kappa)   # int e^{kappa t} dsigma
    f = lambda phi: np.exp(kappa * np.cos(phi)) / z0  # noqa: E731
    pole = np.zeros(d)
    pole[0] = 1.0
    x = sample_zonal(f, d, n, pole, seed=7)
    assert x.shape == (n, d)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-14)
    dens, edges = zonal_histogram(x, pole, bins=16)
    w = lambda s: np.sin(s) ** (d - 2)  # noqa: E731
    p = np.array([_band(d, a, b) for a, b in itertools.pairwise(edges)])
    fbar = np.array([quad(lambda s: f(s) * w(s), a, b)[0] / quad(w, a, b)[0]
                     for a, b in itertools.pairwise(edges)])
    q = fbar * p                                             # bin probabilities
    sd = np.sqrt(q * (1 - q) / n) / p
    assert np.max(np.abs(dens - fbar) / sd) < 5.0
    # the orthogonal direction is uniform: its mean vanishes
    perp = x[:, 1:] / np.linalg.norm(x[:, 1:], axis=1, keepdims=True)
    assert np.abs(perp.mean(axis=0)).max() < 5 / np.sqrt(n)


def test_sample_zonal_from_solver_nodes():
    from attnflow.meanfield.zonal import ZonalSolver

    d, n = 3, 100_000
    s = ZonalSolver(1.0, d, 64)
    fvals = 1 + 0.8 * np.cos(s.phi)                          # f = 1 + 0.8 t on S^2
    x = sample_zonal(fvals, d, n, None, seed=8, phi=s.phi)   # pole None = e_d
    t = x[:, -1]
    # law of t = cos phi: (1 + 0.8 t) / 2 on [-1, 1]; CDF (t + 1)/2 + 0.2 (t^2 - 1)
    res = kstest(t, lambda u: (u + 1) / 2 + 0.2 * (u**2 - 1))
    assert res.pvalue > 1e-3, res
    assert abs(t.mean() - 0.8 / 3) < 5 * np.sqrt(1 / 3 / n)


def test_sample_zonal_circle_is_symmetric():
    x = sample_zonal(lambda phi: 1 + np.cos(phi), 2, 40_000, [1.0, 0.0], seed=9)
    theta = np.arctan2(x[:, 1], x[:, 0])
    assert abs(np.mean(theta > 0) - 0.5) < 5 * 0.5 / np.sqrt(40_000)
    # |theta| has density (1 + cos)/pi on [0, pi]: CDF (phi + sin phi)/pi
    res = kstest(np.abs(theta), lambda p: (p + np.sin(p)) / np.pi)
    assert res.pvalue > 1e-3, res


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,name", [
    (lambda: circle_kde(np.ones(3), 0, 0.1), "M"),
    (lambda: circle_kde(np.ones(3), 16, 0.0), "bandwidth"),
    (lambda: circle_kde(np.array([0.0, np.nan]), 16, 0.1), "theta_or_points"),
    (lambda: circle_kde(np.ones((3, 3)), 16, 0.1), "theta_or_points"),
    (lambda: empirical_fourier(np.ones(3), -1), "K"),
    (lambda: sample_circle(np.array([1.0, -1.0]), 5), "rho"),
    (lambda: sample_circle(np.zeros(4), 5), "rho"),
    (lambda: sample_circle(np.ones(4), 0), "n"),
    (lambda: sample_circle(np.ones(4), 5, method="sobol"), "method"),
    (lambda: sample_circle(np.ones(4), 5, seed="x"), "seed"),
    (lambda: zonal_histogram(np.ones((4, 3)), [0, 0, 1]), "x"),
    (lambda: zonal_histogram(af.sphere.uniform(4, 3, seed=0), [0, 0, 0]), "pole"),
    (lambda: zonal_histogram(af.sphere.uniform(4, 3, seed=0), [0, 1]), "pole"),
    (lambda: zonal_histogram(af.sphere.uniform(4, 3, seed=0), [0, 0, 1], bins=0), "bins"),
    (lambda: zonal_histogram(af.sphere.uniform(4, 3, seed=0), [0, 0, 1], bins=[0, 4.0]), "bins"),
    (lambda: sample_zonal(lambda p: 1 + 0 * p, 1, 5), "d"),
    (lambda: sample_zonal(lambda p: 1 + 0 * p, 3, 0), "n"),
    (lambda: sample_zonal(lambda p: np.cos(p), 3, 5), "f"),
    (lambda: sample_zonal(np.ones(5), 3, 5), "phi"),
    (lambda: sample_zonal(np.ones(5), 3, 5, phi=np.linspace(0, 4, 5)), "phi"),
    (lambda: sample_zonal(lambda p: 1 + 0 * p, 3, 5, pole=[1, 0]), "pole"),
    # complex input is refused, never cast to its real part
    (lambda: empirical_fourier(np.array([0.0, 1.0]) + 1j, 4), "theta"),
    (lambda: sample_circle(np.ones(4) + 0j, 5), "rho"),
    (lambda: zonal_histogram(af.sphere.uniform(4, 3, seed=0) + 0j, [0, 0, 1]), "x"),
    (lambda: sample_circle(np.ones(4), 5, seed=1.5), "seed"),
])
def test_bad_inputs_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        call()
