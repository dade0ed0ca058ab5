"""attnflow.theory as the one home of its formulas: one overflow behaviour for the growth rates,
the solvers' spectra are the theory's, and the equiangular layer map agrees with the particle
layer scheme."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ive

import attnflow as af
from attnflow import theory as th
from attnflow.analysis import level_crossing
from attnflow.meanfield import CircleSolver, ZonalSolver
from attnflow.meanfield.zonal import funk_hecke_eigenvalues, zonal_growth_rates


# -- one overflow behaviour ----------------------------------------------------------------------
def _message(call) -> str:
    with pytest.raises(FloatingPointError) as info:
        call()
    return str(info.value)


def test_usa_growth_rates_raise_one_error_naming_beta_and_the_fix():
    beta, M = 1e4, 256
    msgs = [_message(lambda: th.growth_rates(beta, 2, M // 2, "usa")),
            _message(lambda: CircleSolver(beta, M, "usa").growth_rates()),
            _message(lambda: zonal_growth_rates(beta, 2, M // 2, "usa"))]
    assert msgs[0] == msgs[1] == msgs[2]
    assert "beta=10000" in msgs[0] and "Fix:" in msgs[0]
    assert "scaled=True" in msgs[0] and 'normalization="sa"' in msgs[0]
    assert "beta=10000" in _message(lambda: zonal_growth_rates(beta, 3, 40))
    # SA rates are O(1) at any beta (the e^beta cancels): no error, same values everywhere
    sa = th.growth_rates(beta, 2, M // 2, "sa")
    np.testing.assert_array_equal(CircleSolver(beta, M, "sa").growth_rates(), sa)
    k = np.arange(M // 2 + 1)
    np.testing.assert_allclose(sa, k**2 * ive(k, beta) / ive(0, beta) / beta, rtol=5e-15)   # measured 6e-16


def test_usa_growth_rates_are_finite_up_to_the_float64_range_and_raise_beyond():
    # d = 2: gamma_k = k^2 I_k(beta)/beta ~ k^2 e^beta / (beta sqrt(2 pi beta)); with K = 32 the
    # largest one crosses the float64 maximum between beta = 714 and 715
    g = CircleSolver(714.0, 64, "usa").growth_rates()
    assert np.isfinite(g).all() and g.max() > 1e308
    k = np.arange(1, 33)
    ref_log = 2 * np.log(k) + np.log(ive(k, 714.0)) + 714.0 - math.log(714.0)
    np.testing.assert_allclose(np.log(g[1:]), ref_log, rtol=1e-15)          # measured 1.3e-16
    with pytest.raises(FloatingPointError, match="beta=715"):
        CircleSolver(715.0, 64, "usa").growth_rates()
    with pytest.raises(FloatingPointError, match="scaled=True"):
        th.kernel_coefficients(1e4, 3, 5)
    with pytest.raises(FloatingPointError, match="beta=1000"):
        funk_hecke_eigenvalues(1000.0, 2, 3)


# -- the solvers use the theory's spectra ----------------------------------------------------------
@pytest.mark.parametrize("beta", [5.0, -7.5, 30.0])
def test_circle_kernel_is_the_scaled_funk_hecke_spectrum(beta):
    # d = 2, |beta| > 1: lambda_k e^{-|beta|} is exactly scipy's ive (no log round trip)
    np.testing.assert_array_equal(th.kernel_coefficients(beta, 2, 40, scaled=True), ive(np.arange(41), beta))
    np.testing.assert_array_equal(CircleSolver(beta, 80, "usa").growth_rates(), th.growth_rates(beta, 2, 40))


@pytest.mark.parametrize("norm", ["usa", "sa"])
def test_zonal_solver_rates_and_eigenvalues_are_the_theorys(norm):
    s = ZonalSolver(3.0, 5, 24, norm)
    np.testing.assert_array_equal(s.growth_rates(), th.growth_rates(3.0, 5, s.K, norm))
    np.testing.assert_array_equal(s.eigenvalues(), th.kernel_coefficients(3.0, 5, s.K))
    np.testing.assert_array_equal(s.h, th.harmonic_norms(s.K, 5))


def test_iter_zonal_harmonics_matches_the_table_on_blocks():
    t = np.cos(np.linspace(0, np.pi, 35)).reshape(5, 7)
    for d in (2, 3, 6):
        table = th.zonal_harmonics(t, 9, d)                           # flattened rows
        for k, p in enumerate(th.iter_zonal_harmonics(t, 9, d)):
            assert p.shape == t.shape
            np.testing.assert_array_equal(p.ravel(), table[:, k])
        P, _ = th.zonal_harmonics_and_derivatives(t, 9, d)
        np.testing.assert_array_equal(P, table)
    chebyshev = np.cos(np.arange(7) * np.arccos(t.ravel())[:, None])
    np.testing.assert_allclose(th.zonal_harmonics(t, 6, 2), chebyshev, atol=1e-14)   # measured 1.6e-15


def test_mode_maxima_is_the_predicted_cluster_angle_rule():
    theta = af.sphere.uniform_angles(300, seed=4)
    for k in (1, 3, 5):
        mu = np.mean(np.exp(-1j * k * theta))
        np.testing.assert_array_equal(th.mode_maxima(mu, k), th.predicted_cluster_angles(theta, 5.0, k=k))
        # the maxima of Re(mu e^{i k theta}) = |mu| cos(k theta + arg mu)
        vals = np.real(mu * np.exp(1j * k * th.mode_maxima(mu, k)))
        np.testing.assert_allclose(vals, abs(mu), rtol=1e-15)            # measured 0
    with pytest.raises(ValueError, match="mu_hat"):
        th.mode_maxima(0.0, 3)
    with pytest.raises(ValueError, match="mu_hat"):
        th.mode_maxima("1+1j", 3)


# -- the equiangular layer map ----------------------------------------------------------------------
def _particle_layers(beta, n, h, norm, steps):
    grid = h * np.arange(steps + 1)
    sol = af.simulate(af.AttentionModel(d=n, beta=beta, normalization=norm), np.eye(n), float(grid[-1]), h,
                      "layer", save_at=grid, backend="dense")
    iu = np.triu_indices(n, 1)
    return np.einsum("tia,tja->tij", sol.x, sol.x)[:, iu[0], iu[1]]


@pytest.mark.parametrize(("norm", "beta"),
                         [("sa", 0.5), ("sa", 2.0), ("sa", 5.0), ("usa", 0.5), ("usa", 2.0)])
def test_layer_map_follows_the_particle_layer_scheme_from_orthonormal_tokens(norm, beta):
    # x_i = e_i in R^n: every <x_i, x_j> after k layers is the k-th iterate of F_h from g = 0
    n, steps = 6, 40
    h = 0.1 if norm == "sa" else 0.1 / math.exp(beta)
    off = _particle_layers(beta, n, h, norm, steps)
    g = [0.0]
    for _ in range(steps):
        g.append(th.equiangular_layer_map(g[-1], beta, n, h, norm))
    assert np.abs(off - np.array(g)[:, None]).max() < 1e-14             # measured <= 7e-16


@pytest.mark.parametrize(("norm", "beta", "h"), [("sa", 2.0, 0.1), ("usa", 0.5, 0.05)])
def test_layer_time_is_the_crossing_of_the_particle_layer_run(norm, beta, h):
    n, thr = 6, 1e-2
    T = th.equiangular_layer_time(beta, n, h, norm, thr)
    steps = int(T / h) + 2
    eps = 1.0 - _particle_layers(beta, n, h, norm, steps)[:, 0]
    T_particles = level_crossing(h * np.arange(steps + 1), eps, thr, log=True)
    assert abs(T - T_particles) / T < 1e-13                              # measured 4e-15


@pytest.mark.parametrize(("norm", "beta"), [("sa", 2.0), ("usa", 0.5)])
def test_layer_map_is_a_first_order_scheme_of_the_equiangular_ode(norm, beta):
    n = 6
    for g in (-0.1, 0.0, 0.5, 0.9):
        rhs = th.equiangular_rhs(g, beta, n, norm)
        errs = [abs((th.equiangular_layer_map(g, beta, n, h, norm) - g) / h - rhs) for h in (5e-3, 2.5e-3)]
        assert errs[0] / errs[1] == pytest.approx(2.0, abs=0.05)         # measured 1.98-2.00
    T_ode = th.equiangular_clustering_time(beta, n, norm, 1e-2)
    shifts = [th.equiangular_layer_time(beta, n, h, norm, 1e-2) - T_ode for h in (0.01, 0.005)]
    assert shifts[0] / shifts[1] == pytest.approx(2.0, abs=0.01)         # measured 1.9976-1.9996


def test_layer_map_fixed_points_and_validation():
    n = 5
    assert th.equiangular_layer_map(1.0, 3.0, n, 0.1) == 1.0
    simplex = -1 / (n - 1)
    assert th.equiangular_layer_map(simplex, 3.0, n, 0.1, "usa") == pytest.approx(simplex, abs=1e-15)
    assert th.equiangular_layer_time(3.0, n, 0.1, threshold=0.5, g0=0.9) == 0.0
    assert th.equiangular_layer_time(50.0, n, 0.1, max_steps=10) == math.inf
    with pytest.raises(ValueError, match="h="):
        th.equiangular_layer_map(0.0, 1.0, n, 0.0)
    with pytest.raises(ValueError, match="n="):
        th.equiangular_layer_map(0.0, 1.0, 1, 0.1)
    with pytest.raises(ValueError, match="g="):
        th.equiangular_layer_map(-0.5, 1.0, n, 0.1)
    with pytest.raises(ValueError, match="normalization"):
        th.equiangular_layer_time(1.0, n, 0.1, "softmax")
