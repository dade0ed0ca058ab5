"""Theory of noisy attention (attnflow.theory.noise, growth rates with kappa) against closed forms,
the papers' formulas, the noisy PDE solvers and the self-consistency branches.

Bases: kappa_# = beta / lambda_1 (USA), beta lambda_0 / lambda_1 (SA) with Bessel closed forms
(d = 2: beta / I_1(beta); Mun-Rosenzweig's K_# = kappa_#/2 for any d); the linearized Fokker-Planck
rates gamma_k - k(k + d - 2)/kappa measured on the PDE; the pitchfork coefficient fitted on the
continuation; beta_* from the Bessel ratio I_{d/2+1}/I_{d/2} = 1/d; the noisy Kuramoto R = A_d(kappa R).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import gamma, iv, ive

import attnflow as af
from attnflow import theory
from attnflow.meanfield import CircleSolver, ZonalSolver
from attnflow.meanfield.stationary import StationaryStates


# -- the threshold ------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 6])
@pytest.mark.parametrize("beta", [0.1, 1.0, 5.0, 30.0])
def test_threshold_is_twice_mun_rosenzweigs_linear_threshold(beta, d):
    """K_#^{(d)}(beta) = beta^{d/2} / (2^{d/2} Gamma(d/2) I_{d/2}(beta)) (arXiv 2606.05140) for a
    coupling K = kappa/2; SA: beta I_{d/2-1}(beta) / I_{d/2}(beta)."""
    mr = beta ** (d / 2) / (2 ** (d / 2) * gamma(d / 2) * iv(d / 2, beta))
    assert theory.noise_threshold(beta, d) == pytest.approx(2 * mr, rel=1e-13)
    assert theory.noise_threshold(-beta, d) == pytest.approx(2 * mr, rel=1e-13)
    sa = beta * ive(d / 2 - 1, beta) / ive(d / 2, beta)
    assert theory.noise_threshold(beta, d, "sa") == pytest.approx(sa, rel=1e-13)


def test_threshold_limits():
    assert theory.noise_threshold(0.0, 2) == 2.0 and theory.noise_threshold(0.0, 5, "sa") == 5.0
    assert theory.noise_threshold(1e-6, 3) == pytest.approx(3.0, rel=1e-6)     # continuous at beta = 0
    assert theory.noise_threshold(1.0, 3) == pytest.approx(math.e, rel=1e-14)  # I_{3/2}(1) = sqrt(2/pi)/e
    assert theory.noise_threshold(800.0, 2) == 0.0                     # ~ e^{-800}: underflow, no error
    assert theory.noise_threshold(800.0, 2, "sa") == pytest.approx(800.5, rel=1e-3)   # beta + (d - 1)/2


@pytest.mark.parametrize("normalization", ["usa", "sa"])
def test_growth_rates_with_noise_cross_zero_at_the_threshold(normalization):
    beta, d = 2.0, 3
    k0 = theory.noise_threshold(beta, d, normalization)
    rates = theory.growth_rates(beta, d, 6, normalization, kappa=k0)
    assert abs(rates[1]) < 1e-13 * theory.growth_rates(beta, d, 1, normalization)[1]
    assert np.all(rates[2:] < 0)                                      # degree 1 goes first
    k = np.arange(7)
    np.testing.assert_allclose(theory.growth_rates(beta, d, 6, normalization, kappa=0.7),
                               theory.growth_rates(beta, d, 6, normalization) - k * (k + 1) / 0.7, rtol=1e-15)
    with pytest.raises(ValueError, match="scaled"):
        theory.growth_rates(beta, d, 6, "usa", scaled=True, kappa=1.0)
    with pytest.raises(ValueError, match="kappa"):
        theory.growth_rates(beta, d, 6, "usa", kappa=0.0)


# -- the PDE with noise ------------------------------------------------------------------------------
def _rates_circle(beta, kappa, normalization="usa"):
    s = CircleSolver(beta, 128, normalization, kappa=kappa)
    sol = s.solve(lambda th: (1 + 1e-6 * np.cos(th) + 1e-6 * np.cos(2 * th)) / (2 * np.pi), 1.0,
                  np.linspace(0, 1, 11))
    F = np.abs(sol.fourier(2))
    return [np.polyfit(sol.t, np.log(F[:, k]), 1)[0] for k in (1, 2)], sol


@pytest.mark.parametrize("beta, kappa, normalization",
                         [(1.0, 1.0, "usa"), (1.0, 3.0, "usa"), (3.0, 0.5, "usa"), (3.0, 4.0, "sa")])
def test_the_noisy_circle_pde_grows_at_the_theory_rates(beta, kappa, normalization):
    """Measured rates of modes 1 and 2 from a 1e-6 perturbation: within 5e-6 relative (measured 2e-8
    .. 2.1e-6: the nonlinear coupling of the two modes); mass to 1e-14."""
    (r1, r2), sol = _rates_circle(beta, kappa, normalization)
    g = theory.growth_rates(beta, 2, 2, normalization, kappa=kappa)
    assert r1 == pytest.approx(g[1], rel=5e-6) and r2 == pytest.approx(g[2], rel=5e-6)
    assert np.abs(sol.mass() - 1).max() < 1e-14


@pytest.mark.parametrize("d", [2, 3, 5])
def test_the_noisy_zonal_pde_grows_at_the_theory_rates_on_both_sides_of_the_threshold(d):
    beta = 1.5
    k0 = theory.noise_threshold(beta, d)
    for kappa in (0.95 * k0, 1.05 * k0):
        s = ZonalSolver(beta, d, 32, "usa", kappa=kappa)
        sol = s.solve(lambda phi: 1 + 1e-6 * np.cos(phi), 2.0, np.linspace(0, 2, 11))
        rate = np.polyfit(sol.t, np.log(np.abs(sol.coefficients[:, 1])), 1)[0]
        want = theory.growth_rates(beta, d, 1, "usa", kappa=kappa)[1]
        assert rate == pytest.approx(want, rel=1e-5, abs=1e-9)
        assert np.sign(rate) == np.sign(kappa - k0)                    # unstable above kappa_#
        assert np.abs(sol.mass() - 1).max() < 1e-14


def test_strong_noise_is_no_stiff_trap_and_keeps_the_mass():
    """kappa = 1e-3 on 256 points: the diffusion -k^2/kappa reaches -7e6, so an explicit RK4 would
    need h < 4e-7 (2.5 million steps per unit time); the exponential scheme takes the CFL steps of the
    transport (measured 20) and the density relaxes to uniform; mass to 1e-14."""
    s = CircleSolver(2.0, 256, "usa", kappa=1e-3)
    sol = s.solve(lambda th: (1 + 0.5 * np.cos(th)) / (2 * np.pi), 1.0, [0.0, 0.01, 1.0])
    assert sol.attrs["steps"] < 100 and sol.status == "complete"
    assert np.abs(sol.mass() - 1).max() < 1e-14
    # mode 1 decays at gamma_1 - 1/kappa ~ -1000: gone after t = 0.01 (e^{-10})
    assert np.abs(sol.fourier(1)[1, 1]) < 1e-4 * np.abs(sol.fourier(1)[0, 1])


def test_particles_and_the_noisy_pde_agree_on_the_order_parameter():
    """USA on S^1 (beta = 1, kappa = 4 > kappa_# = 1.77) from a von Mises start: N = 20000 tokens
    (spectral drift, Strang, h = 0.02) and the circle PDE; |R_particles - R_pde| at t = 0.5, 1, 2 within
    4 / sqrt(N) (iid sampling) plus the O(h^2) bias. Measured: 5e-3 max."""
    beta, kappa, N = 1.0, 4.0, 20000
    x0 = af.sphere.von_mises_fisher(N, np.array([1.0, 0.0]), 0.5, seed=3)
    m = af.AttentionModel(2, beta, normalization="usa", kappa=kappa)
    ts = [0.0, 0.5, 1.0, 2.0]
    part = af.simulate(m, x0, 2.0, 0.02, method="strang", seed=1, save_at=ts, backend="spectral",
                       observables=["order_parameter"], save_states=False).observables["order_parameter"]
    s = CircleSolver(beta, 128, "usa", kappa=kappa)
    pde = s.solve(lambda th: np.exp(0.5 * np.cos(th)) / (2 * np.pi * iv(0, 0.5)), 2.0, ts)
    R = np.abs(pde.fourier(1)[:, 1])
    assert R[0] == pytest.approx(iv(1, 0.5) / iv(0, 0.5), rel=1e-12)
    assert np.abs(part - R).max() < 4 / np.sqrt(N) + 2e-3, (part, R)


# -- the pitchfork, beta_* and the noisy Kuramoto limit -------------------------------------------------
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("normalization, beta", [("usa", 0.0), ("usa", 1.0), ("usa", 3.0), ("sa", 1.0),
                                                 ("sa", 6.0)])
def test_the_pitchfork_coefficient_is_the_curvature_of_the_computed_branch(d, normalization, beta):
    """kappa / kappa_# - 1 = C R^2 + O(R^4): a quadratic fit in R^2 of the continuation points with
    R < 0.1 gives C to 5e-5 relative (measured 1e-6 .. 2.4e-5, the O(R^6) terms)."""
    b = StationaryStates(beta, d, M=48, normalization=normalization).branch(
        kappa_max=2 * theory.noise_threshold(beta, d, normalization), ds=0.01)
    sel = b.R < 0.1
    assert sel.sum() >= 5
    C = np.polyfit(b.R[sel] ** 2, b.kappa[sel] / b.attrs["kappa_threshold"] - 1, 2)[1]
    assert C == pytest.approx(theory.pitchfork_coefficient(beta, d, normalization), rel=5e-5)
    assert b.subcritical == (C < 0)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_critical_beta_is_the_bessel_ratio_root_of_mun_rosenzweig(d):
    root = brentq(lambda b: iv(d / 2 + 1, b) / iv(d / 2, b) - 1 / d, 0.1, 20, xtol=1e-15)
    assert theory.critical_beta(d) == pytest.approx(root, rel=1e-12)
    assert theory.pitchfork_coefficient(0.99 * root, d) > 0 > theory.pitchfork_coefficient(1.01 * root, d)
    assert theory.critical_beta(d, "sa") == math.inf


@pytest.mark.parametrize("d", [2, 3])
def test_branches_turn_subcritical_exactly_at_critical_beta(d):
    bstar = theory.critical_beta(d)
    below = StationaryStates(0.9 * bstar, d, M=48).branch(kappa_max=10.0, max_points=6)
    above = StationaryStates(1.1 * bstar, d, M=48).branch(kappa_max=10.0, max_points=6)
    assert not below.subcritical and above.subcritical
    assert below.fold is None


def test_sa_is_supercritical_for_every_beta_up_to_700():
    betas = np.geomspace(1e-3, 700, 200)
    C = [theory.pitchfork_coefficient(b, d, "sa") for b in betas for d in (2, 3, 8)]
    assert min(C) > 0
    # C -> 0+ like 1/beta: beta C stays bounded away from 0 and infinity at large beta
    assert 0.1 < 700 * theory.pitchfork_coefficient(700.0, 2, "sa") < 10


@pytest.mark.parametrize("d", [2, 3])
def test_kuramoto_order_parameter(d):
    assert theory.kuramoto_order_parameter(0.9 * d, d) == 0.0 and theory.kuramoto_order_parameter(d, d) == 0.0
    for kappa in (1.01 * d, 1.5 * d, 4.0 * d):
        R = theory.kuramoto_order_parameter(kappa, d)
        assert R == pytest.approx(iv(d / 2, kappa * R) / iv(d / 2 - 1, kappa * R), rel=1e-13)
    eps = 1e-4                                                   # R^2 = (d + 2)(kappa/d - 1)/d near d
    R = theory.kuramoto_order_parameter(d * (1 + eps), d)
    assert R**2 == pytest.approx((d + 2) * eps / d, rel=5 * eps)
    b = StationaryStates(0.0, d, M=32).branch(kappa_max=4.0 * d)
    for kappa, Rb in zip(b.kappa[1:], b.R[1:], strict=True):
        assert Rb == pytest.approx(theory.kuramoto_order_parameter(kappa, d), rel=1e-9)
    assert b.stable[1:].all()


def test_noisy_kuramoto_particles_reach_the_stationary_order_parameter():
    """beta = 0 on S^1, kappa = 4: R = I_1(4R)/I_0(4R) = 0.8315; N = 20000 tokens all starting at one
    point (spectral drift, exact for beta = 0; Strang h = 0.05): the mean of R over t in [10, 20] within
    4/sqrt(N) of it."""
    m = af.AttentionModel(2, 0.0, normalization="usa", kappa=4.0)
    x0 = np.tile([1.0, 0.0], (20000, 1))
    sol = af.simulate(m, x0, 20.0, 0.05, method="strang", seed=3, save_at=np.arange(10.0, 20.01, 1.0),
                      observables=["order_parameter"], save_states=False, backend="spectral")
    R = sol.observables["order_parameter"].mean()
    assert R == pytest.approx(theory.kuramoto_order_parameter(4.0), abs=4 / np.sqrt(20000))
