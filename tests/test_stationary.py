"""Stationary states of the noisy mean field (attnflow.meanfield.stationary): self-consistency,
continuation, stability, and agreement with the time-dependent PDE.

Bases: a solution of f = e^{kappa Phi[f]}/Z has zero flux, so the noisy PDE's right-hand side
vanishes there; the linearization at the uniform state is diagonal with the growth rates; the
zonal spectrum is the even part of the circle's full spectrum (reflection symmetry); stability
changes at the fold of a subcritical branch (a saddle-node), and between the fold and kappa_#
the uniform and the clustered states are both attractors of the PDE (hysteresis).
"""

from __future__ import annotations

import numpy as np
import pytest

from attnflow import theory
from attnflow.meanfield import CircleSolver, ZonalSolver
from attnflow.meanfield.stationary import StationaryStates
from attnflow.theory import zonal_harmonics


@pytest.fixture(scope="module")
def subcritical():
    """USA on S^1 at beta = 5 > beta_* = 2.447: kappa_# = 0.2055, fold 0.1843."""
    S = StationaryStates(5.0, 2, M=96)
    return S, S.branch(kappa_max=0.4, ds=0.01)


@pytest.mark.parametrize("d, normalization", [(2, "usa"), (3, "usa"), (3, "sa")])
def test_a_self_consistent_state_is_stationary_for_the_noisy_pde(d, normalization):
    beta = 1.5
    S = StationaryStates(beta, d, M=64, normalization=normalization)
    kappa = 1.4 * theory.noise_threshold(beta, d, normalization)
    guess = np.zeros(S.K + 1)
    guess[:2] = 1.0, 0.5 * d
    c = S.solve(kappa, guess)
    assert c[0] == 1.0 and S.order_parameter(c) > 0.1 and S.resolved(c)
    # the noisy Galerkin right-hand side vanishes up to the truncation (measured 1.5e-12 .. 2.6e-11
    # relative, in the top degrees, where k^2/kappa times the last coefficients' error remains)
    rhs = ZonalSolver(beta, d, 64, normalization, kappa=kappa).rhs(c)
    assert np.abs(rhs).max() < 1e-10 * np.abs(ZonalSolver(beta, d, 64, normalization).rhs(c)).max()
    # a stable state: the PDE relaxes back to it at the slowest rate of the spectrum, run for 20 e-folds
    ev = S.spectrum(c, kappa)
    assert (ev.real < 0).all()
    z = ZonalSolver(beta, d, 64, normalization, kappa=kappa)
    c_pert = 0.9 * c
    c_pert[0] = 1.0                                                  # a mixture with the uniform law
    t1 = 20.0 / abs(ev[0].real)
    back = z.solve(z.synthesize(c_pert), t1, [0.0, t1], dt=0.01).coefficients[-1]
    assert np.abs(back - c).max() < 1e-8 * np.abs(c).max()


def test_the_spectrum_at_the_uniform_state_is_the_growth_rates():
    S = StationaryStates(2.0, 3, M=32, normalization="sa")
    uniform = np.zeros(S.K + 1)
    uniform[0] = 1.0
    ev = S.spectrum(uniform, 1.7)
    rates = theory.growth_rates(2.0, 3, S.K, "sa", kappa=1.7)[1:]
    np.testing.assert_allclose(np.sort(ev.real), np.sort(rates), rtol=1e-12, atol=1e-12)
    assert np.abs(ev.imag).max() == 0


def test_newton_refuses_to_pretend():
    S = StationaryStates(1.0, 2, M=16)
    with pytest.raises(FloatingPointError, match="did not converge"):
        S.solve(3.0, np.ones(S.K + 1) * 5, max_iter=2)
    with pytest.raises(ValueError, match="shape"):
        S.solve(3.0, np.ones(3))


def test_a_subcritical_branch_folds_back_and_gains_stability_at_the_fold(subcritical):
    _, b = subcritical
    k0 = theory.noise_threshold(5.0, 2)
    assert b.subcritical and b.kappa[0] == pytest.approx(k0, rel=1e-14)
    assert b.fold == pytest.approx(0.184301, rel=1e-4) and b.fold < k0
    i = int(np.argmin(b.kappa))
    assert not b.stable[1:i].any() and b.stable[i + 1:].all()          # a saddle-node at the fold
    assert b.status in ("kappa_max", "under-resolved", "R_max")
    assert b.R[-1] > 0.9
    # the fold's kappa from the parabola agrees with the points around it to the step size
    assert b.kappa[i] - b.fold < 1e-4


def test_between_the_fold_and_the_threshold_the_pde_keeps_both_states(subcritical):
    """Hysteresis: at kappa = 0.195 in (0.1843, 0.2055) a near-uniform density relaxes to uniform
    (gamma_1 - 1/kappa = -0.26) and the clustered state of the stable branch persists; below the fold
    the clustered state melts to uniform; above kappa_# the uniform state clusters onto the branch.
    The PDE runs with dt = 0.01 (the exponential scheme keeps the stationary states as fixed points,
    so they are reached to 1e-14 whatever the step: measured with dt = 0.005, 0.01, 0.02)."""
    S, b = subcritical
    stable = b.stable

    def upper(kappa):                       # the stable clustered state at kappa, by Newton from the branch
        j = np.flatnonzero(stable)[np.argmin(np.abs(b.kappa[stable] - kappa))]
        return S.solve(kappa, b.coefficients[j])

    def run(kappa, c0, t1):
        z = ZonalSolver(5.0, 2, 96, "usa", kappa=kappa)
        return z.solve(z.synthesize(c0), t1, [0.0, t1], dt=0.01).coefficients[-1]

    uniform = np.zeros(S.K + 1)
    uniform[0] = 1.0
    near_uniform = uniform.copy()
    near_uniform[1] = 0.02
    inside = 0.195
    assert abs(run(inside, near_uniform, 15.0)[1]) < 1e-3                    # uniform: stable
    cl = upper(inside)
    mix = 0.95 * cl
    mix[0] = 1.0
    assert np.abs(run(inside, mix, 20.0) - cl).max() < 1e-12                 # clustered: stable too
    assert np.abs(run(0.175, upper(0.19), 40.0) - uniform).max() < 1e-12    # below the fold: melts
    assert np.abs(run(0.225, near_uniform, 30.0) - upper(0.225)).max() < 1e-12   # above kappa_#: clusters


def test_the_zonal_spectrum_is_the_even_part_of_the_circles_full_spectrum():
    """d = 2, beta = 1 (supercritical), kappa = 2.5: the circle's Jacobian (finite differences of its
    right-hand side on 64 points, in Fourier cos/sin coordinates) has the zonal eigenvalues (even
    modes) plus the odd ones, among them the neutral rotation (eigenvalue 0 to 1e-7)."""
    beta, kappa = 1.0, 2.5
    S = StationaryStates(beta, 2, M=32)
    guess = np.zeros(S.K + 1)
    guess[:2] = 1.0, 1.0
    c = S.solve(kappa, guess)
    zonal = np.sort(S.spectrum(c, kappa).real)[::-1][:4]
    circle = CircleSolver(beta, 64, "usa", kappa=kappa)
    rho = zonal_harmonics(np.cos(circle.theta), S.K, 2) @ c / (2 * np.pi)    # P_k(cos theta) = cos(k theta)
    eps = 1e-7
    cols = []
    for j in range(circle.M):
        e = np.zeros(circle.M)
        e[j] = eps
        cols.append((circle.rhs(rho + e) - circle.rhs(rho - e)) / (2 * eps))
    ev = np.linalg.eigvals(np.array(cols).T)
    real = np.sort(ev.real)[::-1]
    assert abs(real[0]) < 1e-6 and abs(real[1]) < 1e-6                     # mass and rotation: neutral
    for lam in zonal:
        assert np.min(np.abs(ev - lam)) < 1e-6 * max(1.0, abs(lam))
