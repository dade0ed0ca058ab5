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
