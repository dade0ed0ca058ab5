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


def test_saddle_rate_is_the_top_eigenvalue_of_the_cluster_jacobian():
    from attnflow.experiments.bruno2024.merge import saddle_rate

    for k, beta in ((3, 5.0), (4, 7.0), (2, 3.0)):
        theta0 = 2 * np.pi * np.arange(k) / k

        def rhs(th, k=k, beta=beta):
            s = th[None, :] - th[:, None]
            return (np.exp(beta * np.cos(s)) * np.sin(s)).sum(axis=1) / k

        h = 1e-6
        jac = np.stack([(rhs(theta0 + h * e) - rhs(theta0 - h * e)) / (2 * h) for e in np.eye(k)], axis=1)
        top = np.linalg.eigvals(jac).real.max()
        assert saddle_rate(k, beta) == pytest.approx(top, rel=1e-6, abs=1e-7)
    assert saddle_rate(3, 5.0) == pytest.approx(0.349, abs=5e-4)       # the value quoted in the docs


def test_irregularity_exponent_at_beta_5():
    from attnflow.experiments.bruno2024.merge import irregularity_exponent

    e, j = irregularity_exponent(5.0)
    g = theory.growth_rates(5.0, 2, 12)
    assert j == 4 and j % theory.k_max(5.0, 2)
    assert e == pytest.approx((1 - g[4] / g[3]) / 2, rel=1e-12)
    assert e == pytest.approx(0.0605, abs=5e-4)


def test_cluster_escape_time_grows_like_log_of_the_deviation_over_lambda():
    from attnflow.experiments.bruno2024.merge import cluster_ode_lifetime, saddle_rate

    lam = saddle_rate(3, BETA)
    base = 2 * np.pi * np.arange(3) / 3
    # the unstable direction of the circulant linearization: a Fourier mode p = 1 of the positions
    mode = np.cos(base)
    masses = np.full(3, 1 / 3)
    t1 = cluster_ode_lifetime(base + 1e-2 * mode, masses)
    t2 = cluster_ode_lifetime(base + 1e-3 * mode, masses)
    assert math.isfinite(t1) and math.isfinite(t2)
    assert t2 - t1 == pytest.approx(math.log(10) / lam, rel=0.03)
    # equally spaced equal clusters are stationary: no merge
    assert cluster_ode_lifetime(base, masses, t_max=20.0) == math.inf


def test_label_statistics_of_the_full_mode_rows():
    from attnflow.experiments.bruno2024.claims_clusters import _label_statistics

    km, g, runner, values, freq, frac, (lo, hi) = _label_statistics(7.0, 2, [4] * 22 + [3] * 7 + [5] * 3)
    assert km == 4 == theory.k_max(7.0, 2)
    assert runner != km and g[runner] == max(g[k] for k in range(1, km + 3) if k != km)
    assert values.tolist() == [3, 4, 5] and freq.tolist() == [7, 22, 3]
    assert frac == pytest.approx(22 / 32)
    assert lo < frac < hi and lo == pytest.approx(0.51, abs=0.01) and hi == pytest.approx(0.82, abs=0.01)


def test_mode_competition_on_s2_uses_chi_square_amplitudes():
    # N a_l^2 ~ chi^2_{2l+1}/(2l+1): less spread than Rayleigh, so k_max wins more often than on S^1
    # at equal growth-rate ratios; at beta = 5, N = 4000 the value quoted in the gallery is 0.71
    p3, t3 = mc_win_probability(4000, K=12, d=3)
    assert p3 == pytest.approx(0.71, abs=0.01) and t3 > 0
    with pytest.raises(ValueError, match="d = 4"):
        mc_win_probability(4000, d=4)
