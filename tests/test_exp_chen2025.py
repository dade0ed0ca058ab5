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
