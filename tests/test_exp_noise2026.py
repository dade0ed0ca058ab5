"""Building blocks of the noisy-attention reproduction (attnflow.experiments.noise2026).

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import numpy as np
import pytest
from scipy.special import ive

from attnflow.experiments.noise2026 import claims_bifurcation, claims_particles, claims_threshold
from attnflow.meanfield.stationary import Branch
from attnflow.theory import kuramoto_order_parameter


@pytest.mark.parametrize("d", [2, 3, 5])
def test_vmf_concentration_inverts_the_mean_resultant(d):
    """A_d(s) = I_{d/2}(s)/I_{d/2-1}(s) is the mean <x, e> of e^{s <x, e>}; the noisy Kuramoto state at
    kappa is the von Mises-Fisher law of concentration kappa R (R = A_d(kappa R))."""
    for R in (0.05, 0.5, 0.95):
        s = claims_particles.vmf_concentration(R, d)
        assert ive(d / 2, s) / ive(d / 2 - 1, s) == pytest.approx(R, abs=1e-13)
    kappa = 1.7 * d
    R = kuramoto_order_parameter(kappa, d)
    assert claims_particles.vmf_concentration(R, d) == pytest.approx(kappa * R, rel=1e-10)


def test_fitted_coefficient_recovers_the_r_squared_term_of_a_quartic_branch():
    R = np.linspace(0.0, 0.2, 30)
    k0, C, D = 0.7, -0.37, 2.5
    kappa = k0 * (1 + C * R**2 + D * R**4)
    b = Branch(kappa, R, np.zeros((R.size, 3)), np.zeros(R.size), "kappa_max", {"kappa_threshold": k0})
    assert claims_bifurcation.fitted_coefficient(b) == pytest.approx(C, rel=1e-10)


@pytest.mark.parametrize("d, kappa", [(2, 1.0), (2, 4.0), (3, 1.5)])
def test_the_measured_mode_one_rate_is_the_noisy_kuramoto_rate(d, kappa):
    """beta = 0: degree 1 of the uniform state grows at (d - 1)/d - (d - 1)/kappa (gamma_1 minus the
    diffusion; docs/theory/noise.md#linear-stability-of-the-uniform-state), on both PDE solvers."""
    want = (d - 1) / d - (d - 1) / kappa
    got = claims_threshold.mode_one_rate(d, "usa", 0.0, kappa)
    assert got == pytest.approx(want, rel=1e-6)   # measured 1.1e-7


@pytest.mark.parametrize("d", [2, 3])
def test_uniform_level_is_the_mean_modulus_of_iid_tokens(d):
    """q = 0 (no coupling): sqrt(N) mean x of iid uniform tokens is Gaussian with covariance I/d, so
    E R = m_d / sqrt(N), m_d = sqrt(2/d) Gamma((d + 1)/2)/Gamma(d/2) (0.886 on S^1, 0.921 on S^2)."""
    from attnflow import sphere
    from attnflow.experiments.noise2026 import claims_diagram

    N, M = 400, 4000
    R = np.linalg.norm(sphere.uniform(N, d, seed=7, batch=M).mean(axis=1), axis=1)
    want = claims_diagram.uniform_level(N, d, 0.0)
    assert want == pytest.approx({2: 0.886227, 3: 0.921318}[d] / np.sqrt(N), rel=1e-5)
    assert abs(R.mean() - want) < 4 * R.std(ddof=1) / np.sqrt(M)
    # the level grows like (1 - q)^{-1/2} towards the threshold
    assert claims_diagram.uniform_level(N, d, 0.75) == pytest.approx(2 * want, rel=1e-12)


def _diagram(runs, d=2, norm="usa", beta=1.0, N=10000, fold=None):
    """A particle-diagram result as claims_diagram._run_case returns it, from (q, uniform, clustered)."""
    from attnflow.theory import noise_threshold

    k0 = noise_threshold(beta, d, norm)
    return {"case": (d, norm, beta, N, 0.05, tuple(q for q, _, _ in runs)), "k0": k0, "tau": 15.0,
            "fold": fold, "runs": [{"q": q, "uniform": u, "clustered": c} for q, u, c in runs]}


def test_particle_threshold_brackets_and_skips_the_slow_grid_points():
    """The threshold is the middle of the first interval where the uniform start leaves 10/sqrt(N);
    points with 1 < q < 1/(1 - ln(100)/tau) (1.44 at tau = 15) are too slow to leave and not used."""
    from attnflow.experiments.noise2026 import claims_diagram
    from attnflow.experiments.report import Report

    rep = Report("t", "t", "p", "quick")
    res = _diagram([(0.8, 0.01, 0.02), (1.2, 0.2, 0.6), (1.5, 0.4, 0.8)])    # 1.2 leaves, but is skipped
    claims_diagram._threshold_row(rep, res, "w", "p")
    row = rep.claims[-1]
    assert row.measured == pytest.approx(1.15 * res["k0"])
    assert row.tolerance == pytest.approx(0.35 * res["k0"])
    assert row.passed and row.foil_passed is False
    res = _diagram([(0.8, 0.2, 0.2), (1.5, 0.4, 0.8)])           # leaves below kappa_#: no bracket
    claims_diagram._threshold_row(rep, res, "w", "p")
    assert rep.claims[-1].verdict == "not measured"


@pytest.mark.parametrize("clustered, verdict", [(0.7, "pass"), (0.05, "fail")])
def test_particle_character_is_bistability_below_the_threshold(clustered, verdict):
    from attnflow.experiments.noise2026 import claims_diagram
    from attnflow.experiments.report import Report

    rep = Report("t", "t", "p", "quick")
    res = _diagram([(0.95, 0.02, clustered), (1.5, 0.5, 0.97)], beta=5.0, fold=0.18)  # beta > beta_*
    claims_diagram._character_row(rep, res, "w", "p")
    row = rep.claims[-1]
    assert row.claim.endswith("is discontinuous (beta_* = 2.4469)")
    assert row.verdict == verdict and row.foil_passed is (verdict == "fail")


def test_zero_crossing_of_a_weighted_line_and_its_standard_error():
    from attnflow.experiments.noise2026.claims_fluctuations import zero_crossing

    kappa = np.array([0.5, 1.0, 1.4])
    y = 1 - kappa / 2.0                                   # exact line, zero at 2
    k, sd = zero_crossing(kappa, y, np.full(3, 0.01))
    assert k == pytest.approx(2.0, rel=1e-12)
    # the delta-method error matches the spread of zeros over noisy replicas of the data
    rng = np.random.default_rng(0)
    zeros = [zero_crossing(kappa, y + 0.01 * rng.standard_normal(3), np.full(3, 0.01))[0]
             for _ in range(4000)]
    assert np.std(zeros) == pytest.approx(sd, rel=0.1)
    # a point with a larger error counts less
    k2, _ = zero_crossing(kappa, y + np.array([0.0, 0.0, 0.05]), np.array([0.01, 0.01, 1.0]))
    assert abs(k2 - 2.0) < 0.01
