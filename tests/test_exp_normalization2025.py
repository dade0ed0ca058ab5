"""Building blocks of the normalization reproduction (attnflow.experiments.normalization2025).

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import math

import numpy as np
import pytest

import attnflow as af
from attnflow.experiments.normalization2025 import crossing, mean_cosine, paper_curve, separation, time_factor
from attnflow.experiments.normalization2025.settings import FIGURE_ORDER, PAPER_CURVES, PAPER_T, SCHEMES


def test_mean_cosine_is_the_mean_over_pairs_of_the_directions():
    rng = np.random.default_rng(0)
    x = af.sphere.uniform(3 * 7, 5, seed=1).reshape(3, 7, 5)
    scaled = x * rng.uniform(0.2, 5.0, (3, 7, 1))                  # norms do not matter
    gram = np.einsum("bid,bjd->bij", x, x)
    pairs = gram[:, ~np.eye(7, dtype=bool)]
    np.testing.assert_allclose(mean_cosine(scaled), pairs.mean(axis=1), atol=1e-15)
    assert mean_cosine(np.tile(x[0, :1], (4, 1))) == pytest.approx(1.0, abs=1e-15)


def test_crossing_and_separation_of_known_curves():
    t = np.linspace(0.0, 4.0, 41)
    # behind = t^2/2 starts below ahead = t and reaches it at t = 2 (a save time): exact
    assert crossing(t, t, t * t / 2) == pytest.approx(2.0, abs=1e-12)
    assert math.isnan(crossing(t, t, t + 1.0))                     # never below: no crossing
    # fast = 2 t, slow = t differ by 0.5 at t = 0.5, where fast = 1
    assert separation(t, 2 * t, t, 0.5) == pytest.approx(1.0, abs=1e-12)
    assert math.isnan(separation(t, t, t, 0.5))


def test_time_factor_finds_a_known_speed():
    assert time_factor("sqrt", "sqrt") == (1.0, 0.0)
    c, err = time_factor("sqrt", "pre")
    assert 0.3 <= c < 1.0 and err < 0.1                           # sqrt-scaling lags pre-LN in the figure


def test_the_read_curves_are_complete_and_in_range():
    assert set(PAPER_CURVES) == set(SCHEMES) == set(FIGURE_ORDER)
    for s, values in PAPER_CURVES.items():
        assert len(values) == PAPER_T.size, s
        t, rho = paper_curve(s)
        assert np.all(np.isfinite(rho)) and np.all((rho >= 0) & (rho <= 1.0)), s
        assert t.size >= 10 and np.all(np.diff(t) > 0), s
        assert np.all(np.diff(rho) > -0.005), s                    # nondecreasing to the reading accuracy
