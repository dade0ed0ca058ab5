"""Building blocks of the [C] (Chen, Lin, Polyanskiy, Rigollet) reproduction against closed forms.

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from attnflow.experiments.chen2025 import ZonalParticles, pl_lower_bound, pl_ratio


def test_zonal_particles_match_the_ring_closed_form():
    from scipy.special import i0, i1

    beta, rng = 0.7, np.random.default_rng(1)
    phj, w = rng.uniform(0, np.pi, 7), rng.dirichlet(np.ones(7))
    solver = ZonalParticles(beta, 3)
    u = solver.velocity(phj, w)
    b = beta * np.sin(phj)[:, None] * np.sin(phj)[None, :]
    cos_i, cos_j = np.cos(phj)[:, None], np.cos(phj)[None, :]
    ref = (w * np.exp(beta * cos_i * cos_j)
           * (cos_i * np.sin(phj)[None, :] * i1(b) - np.sin(phj)[:, None] * cos_j * i0(b))).sum(axis=1)
    np.testing.assert_allclose(u, ref, atol=1e-14)


def test_pl_ratio_two_atoms_and_bound():
    beta, theta = 0.5, 0.6
    x = np.array([[1.0, 0.0], [math.cos(theta), math.sin(theta)]])
    closed = beta * math.exp(2 * beta * math.cos(theta)) * math.sin(theta) ** 2 / (
        math.exp(beta) - math.exp(beta * math.cos(theta)))
    assert pl_ratio(beta, x) == pytest.approx(closed, rel=1e-12)
    assert pl_ratio(beta, x) >= pl_lower_bound(beta, x) >= pl_lower_bound(beta, alpha=theta / 2) > 0
    # near a Dirac the ratio and both bounds tend to 2 e^beta
    y = np.array([[1.0, 0.0], [math.cos(1e-4), math.sin(1e-4)]])
    assert pl_ratio(beta, y) == pytest.approx(2 * math.exp(beta), rel=1e-6)
    assert pl_lower_bound(beta, alpha=1e-5) == pytest.approx(2 * math.exp(beta), rel=1e-6)


def test_wrapped_cauchy_quantiles_have_the_mean_resultant():
    from attnflow.experiments.chen2025.claims_kuramoto import wrapped_cauchy_quantiles

    for r in (0.1, 0.5, 0.9):
        theta = wrapped_cauchy_quantiles(r, 20000)
        z = np.exp(1j * theta).mean()
        # the midpoint rule on the smooth periodic quantile map converges fast
        assert abs(z - r) < 1e-8
        # the k-th Fourier moment of the wrapped Cauchy law is r^k
        assert abs(np.exp(2j * theta).mean() - r**2) < 1e-8


def test_kuramoto_order_parameter_solves_its_ode():
    from attnflow.experiments.chen2025.claims_kuramoto import kuramoto_order_parameter

    t = np.linspace(0.0, 6.0, 6001)
    for c in (1.0, 2.0):
        r = kuramoto_order_parameter(0.3, t, coupling=c)
        assert r[0] == pytest.approx(0.3, abs=1e-15)
        drdt = np.gradient(r, t, edge_order=2)
        np.testing.assert_allclose(drdt, c * r * (1 - r**2) / 2, atol=2e-6)
        assert np.all(np.diff(r) > 0)


def test_kuramoto_closed_form_matches_particles_at_beta_zero():
    from attnflow import AttentionModel, simulate
    from attnflow.experiments.chen2025.claims_kuramoto import (
        kuramoto_order_parameter,
        wrapped_cauchy_quantiles,
    )

    n, r0 = 2000, 0.4
    theta = wrapped_cauchy_quantiles(r0, n)
    x0 = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    ts = np.linspace(0.0, 3.0, 7)
    sol = simulate(AttentionModel(2, 0.0), x0, 3.0, 0.01, method="rk4", save_at=ts, progress=False)
    R = np.linalg.norm(sol.x.mean(axis=1), axis=-1)
    np.testing.assert_allclose(R, kuramoto_order_parameter(r0, ts), atol=2 / n)


def test_draw_matrices_satisfy_the_gap_conditions():
    from attnflow.experiments.chen2025.claims_general import draw_matrices

    for seed in range(4):
        A, V = draw_matrices(3, seed)
        assert np.allclose(V, V.T)
        lam = np.linalg.eigvalsh(V)[::-1]
        assert lam[0] - lam[1] >= 0.1 and 2 * (lam[0] - lam[1]) <= min(lam[0], lam[0] - lam[-1])
        A2, V2 = draw_matrices(3, seed)
        assert np.array_equal(A, A2) and np.array_equal(V, V2)


def test_variation_formulas_against_finite_differences_and_their_foils():
    from attnflow import sphere
    from attnflow.experiments.chen2025.claims_variation import (
        energy,
        first_variation,
        second_variation,
    )
    from attnflow.manifolds import Sphere

    rng = np.random.default_rng(3)
    x = sphere.uniform(9, 3, rng)
    w = rng.dirichlet(np.ones(9))
    v = sphere.tangent_project(x, rng.standard_normal((9, 3)))
    beta = 3.0
    kernel = (lambda s: np.exp(beta * s) / beta, lambda s: np.exp(beta * s),
              lambda s: beta * np.exp(beta * s))
    y = Sphere(3).exp(x, 0.7 * v)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-15)
    h = 1e-4
    e = [energy(kernel[0], Sphere(3).exp(x, t * v), w) for t in (-h, 0.0, h)]
    d1, d2 = (e[2] - e[0]) / (2 * h), (e[2] - 2 * e[1] + e[0]) / h**2
    assert first_variation(kernel, x, v, w) == pytest.approx(d1, rel=1e-6)
    assert second_variation(kernel, x, v, w) == pytest.approx(d2, rel=1e-5)
    # the flat formula (no curvature term) is off by far more than the difference's error
    assert abs(second_variation(kernel, x, v, w, curvature=False) - d2) > 1e-2 * abs(d2)


def test_second_variation_equals_the_riemannian_hessian_of_the_usa_energy():
    from attnflow import AttentionModel, sphere
    from attnflow.experiments.chen2025.claims_variation import first_variation, second_variation
    from attnflow.theory import energy_gradient, energy_hessian

    rng = np.random.default_rng(5)
    n, d, beta = 7, 3, 1.5
    x = sphere.uniform(n, d, rng)
    v = sphere.tangent_project(x, rng.standard_normal((n, d)))
    w = np.full(n, 1.0 / n)
    kernel = (lambda s: np.exp(beta * s) / beta, lambda s: np.exp(beta * s),
              lambda s: beta * np.exp(beta * s))
    model = AttentionModel(d, beta, normalization="usa")
    # two independent constructions: the variation along geodesics and theory's Riemannian derivatives
    assert first_variation(kernel, x, v, w) == pytest.approx(float((energy_gradient(model, x) * v).sum()),
                                                             rel=1e-12)
    hv = energy_hessian(model, x) @ v.ravel()
    assert second_variation(kernel, x, v, w) == pytest.approx(float(v.ravel() @ hv), rel=1e-12)
