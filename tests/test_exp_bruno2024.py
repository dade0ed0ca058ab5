"""Building blocks of the [B] reproduction (Bruno, Pasqualotto, Agazzi): the linear Monte Carlo of
mode competition and the spacing of clusters.

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import math

import numpy as np
import pytest

from attnflow import theory
from attnflow.experiments.bruno2024.iid import mc_win_probability, spacing_irregularity
from attnflow.experiments.bruno2024.settings import BETA, THRESHOLD


@pytest.mark.parametrize(("N", "p_table"), [(1_000, 0.58), (20_000, 0.71), (1_000_000, 0.82)])
def test_mode_competition_monte_carlo_reproduces_the_table_and_bounds_the_mean_time(N, p_table):
    """P(k_max reaches THRESHOLD first) against the table of docs/theory/linear-stability.md (2e5
    samples, two digits): 1e5 samples give a standard error 0.0016, so 0.01 covers it and the
    table's rounding. The winning time is the minimum over the modes, so its mean is below the
    k_max time, whose mean is exact: |mu_hat_k|^2 N is Exp(1), E ln Exp(1) = -Euler's gamma, so
    E t_kmax = (ln THRESHOLD + ln N / 2 + gamma_E / 2) / gamma_max."""
    p, t_mean = mc_win_probability(N)
    assert p == pytest.approx(p_table, abs=0.01)
    g = float(theory.growth_rates(BETA, 2, theory.k_max(BETA, 2)).max())
    t_kmax = (math.log(THRESHOLD) + 0.5 * math.log(N) + 0.5 * np.euler_gamma) / g
    assert t_mean < t_kmax
    if N == 1_000_000:                      # at large N mode k_max wins most often: within 3 %
        assert t_mean > 0.97 * t_kmax


def test_spacing_irregularity_of_cluster_angles():
    k = 3
    even = 0.4 + 2 * np.pi * np.arange(k) / k
    assert spacing_irregularity(np.mod(even, 2 * np.pi)) == pytest.approx(0.0, abs=1e-14)
    shifted = even + np.array([0.0, 0.05, 0.0])         # gaps 2 pi/3 + 0.05, 2 pi/3 - 0.05, 2 pi/3
    assert spacing_irregularity(np.mod(shifted, 2 * np.pi)) == pytest.approx(0.05, rel=1e-12)
