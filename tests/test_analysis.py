"""Phase detection (attnflow.analysis) against cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

import attnflow as af
from attnflow import analysis as an
from attnflow import theory
from attnflow.sphere import angles_to_points

T_GRID = np.linspace(0.0, 0.5, 101)
RATE = 18.6


def _solution(t, x, d=2, beta=1.0):
    model = af.AttentionModel(d=d, beta=beta, normalization="usa")
    return af.Solution(t=np.asarray(t, float), x=np.asarray(x, float), model=model, method="rk4", dt=0.1)


# -- fit_growth ----------------------------------------------------------------------------------
def test_fit_growth_exact_exponential():
    a = 1e-4 * np.exp(RATE * T_GRID)
    fit = an.fit_growth(T_GRID, a)
    assert fit.rate == pytest.approx(RATE, rel=1e-10)
    assert fit.intercept == pytest.approx(np.log(1e-4), rel=1e-10)
    assert fit.auto and fit.t_start == 0.0
    # the window stops before the amplitude reaches max_amplitude = 0.1 (t = 0.3714)
    assert fit.t_end == pytest.approx(0.37)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    manual = an.fit_growth(T_GRID, a, window=(0.1, 0.2))
    assert manual.rate == pytest.approx(RATE, rel=1e-10)
    assert (manual.t_start, manual.t_end, manual.n_points, manual.auto) == (0.1, 0.2, 21, False)


def test_fit_growth_noisy_exponential():
    a = 1e-4 * np.exp(RATE * T_GRID)
    errors = []
    for seed in range(20):
        noise = np.exp(0.02 * np.random.default_rng(seed).standard_normal(T_GRID.size))
        fit = an.fit_growth(T_GRID, a * noise)
        errors.append(fit.rate / RATE - 1)
        assert fit.r2 > 0.999
    assert np.max(np.abs(errors)) < 0.01                  # measured: 0.23 % over 50 seeds


def test_fit_growth_stops_at_a_saturation():
    # e^{rt} up to 0.05 (t = 0.334), then flat: r2 alone would accept a window running into
    # the plateau; the half-window slope test stops it within a few saves
    a = np.minimum(1e-4 * np.exp(RATE * T_GRID), 0.05)
    fit = an.fit_growth(T_GRID, a)
    assert fit.t_end <= 0.35
    assert fit.rate == pytest.approx(RATE, rel=0.01)      # measured: 0.4 % low


def test_fit_growth_errors():
    with pytest.raises(ValueError, match="no linear phase"):
        an.fit_growth(T_GRID, np.full(T_GRID.size, 0.5))
    with pytest.raises(ValueError, match="has shape"):
        an.fit_growth(T_GRID, np.ones(3))
    with pytest.raises(ValueError, match="window"):
        an.fit_growth(T_GRID, np.exp(T_GRID), window=(2.0, 3.0))


# -- mode_amplitudes -----------------------------------------------------------------------------
def test_mode_amplitudes_k_fold_configuration_on_the_circle():
    k, K = 3, 9
    theta = np.repeat(0.7 + 2 * np.pi * np.arange(k) / k, 5)        # 3 equispaced clusters of 5
    amps = an.mode_amplitudes(angles_to_points(theta), K)
    expected = np.array([1.0 if j % k == 0 else 0.0 for j in range(1, K + 1)])
    np.testing.assert_allclose(amps, expected, atol=1e-12)
    lattice = angles_to_points(2 * np.pi * np.arange(2000) / 2000)   # N equispaced points
    assert an.mode_amplitudes(lattice, 16).max() < 1e-12


@pytest.mark.parametrize("method", ["pairwise", "harmonics"])
def test_mode_amplitudes_known_configurations_on_the_sphere(method):
    e = np.array([[0.0, 0.6, 0.8]])
    np.testing.assert_allclose(an.mode_amplitudes(np.repeat(e, 4, axis=0), 6, method=method), 1.0,
                               atol=1e-12)                          # a single cluster: every power 1
    pair = np.concatenate([e, -e])                                  # antipodal pair: P_k(-1) = (-1)^k
    np.testing.assert_allclose(an.mode_amplitudes(pair, 6, method=method), [0, 1, 0, 1, 0, 1],
                               atol=1e-7)
    octa = np.concatenate([np.eye(3), -np.eye(3)])                  # octahedron: degrees 1, 3 vanish
    amps = an.mode_amplitudes(octa, 4, method=method)
    assert amps[0] < 1e-7 and amps[2] < 1e-7 and amps[1] < 1e-7
    assert amps[3] == pytest.approx(np.sqrt(7 / 12), rel=1e-10)     # (1/36)(6 + 6 P_4(-1) + 24 P_4(0))


def test_gegenbauer_paths_agree():
    x3 = af.sphere.uniform(300, 3, seed=4)
    np.testing.assert_allclose(an.mode_amplitudes(x3, 8, method="pairwise"),
                               an.mode_amplitudes(x3, 8, method="harmonics"), rtol=1e-9, atol=1e-12)
    x2 = af.sphere.uniform(300, 2, seed=4)          # the d = 2 recurrence is Chebyshev: |mu_hat_k|
    np.testing.assert_allclose(np.sqrt(an.modes._pairwise_power(x2, 8)), an.mode_amplitudes(x2, 8),
                               rtol=1e-9)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_mode_amplitudes_of_uniform_points_have_mean_square_one_over_n(d):
    n, K, seeds = 200, 5, 120
    x = af.sphere.uniform(n, d, seed=11, batch=seeds)                # one (T, n, d) array
    sq = an.mode_amplitudes(x, K) ** 2 * n                           # (seeds, K), mean 1 each
    assert sq.shape == (seeds, K)
    means = sq.mean(axis=0)
    assert np.all(np.abs(means - 1) < 0.35), means                  # per mode: 120 samples
    assert abs(means.mean() - 1) < 0.12, means


def test_mode_amplitudes_inputs():
    x = af.sphere.uniform(20, 3, seed=0, batch=4)
    sol = _solution(np.arange(4.0), x, d=3)
    assert an.mode_amplitudes(sol, 3).shape == (4, 3)
    batched = _solution(np.arange(2.0), x[None].repeat(2, axis=0), d=3)
    with pytest.raises(ValueError, match="select a member"):
        an.mode_amplitudes(batched, 3)
    with pytest.raises(ValueError, match="K="):
        an.mode_amplitudes(x, 0)
    with pytest.raises(ValueError, match="harmonics"):
        an.mode_amplitudes(af.sphere.uniform(20, 4, seed=0, batch=2), 3, method="harmonics")


# -- linear phase on a real run ------------------------------------------------------------------
@pytest.fixture(scope="module")
def lattice_run():
    """USA, beta = 5, S^1, N = 2000 lattice with a 1e-4 mode-3 displacement, rk4."""
    n = 2000
    theta = 2 * np.pi * np.arange(n) / n
    theta = theta + 1e-4 * np.cos(3 * theta + 2.0)
    model = af.AttentionModel(d=2, beta=5.0, normalization="usa")
    return af.simulate(model, angles_to_points(theta), t1=0.38, dt=0.005, method="rk4",
                       save_at=np.linspace(0, 0.38, 77))


def test_linear_phase_on_a_lattice_run(lattice_run):
    lp = an.linear_phase(lattice_run, 5.0, "usa")
    assert lp.leading_mode == 3 == lp.k_max
    assert lp.gamma[2] == pytest.approx(18.596, abs=1e-3)
    assert abs(lp.rate_error) < 0.02                                 # measured: 3e-4
    assert lp.fits[2].r2 > 0.9999
    # initial amplitude 1.5e-4 reaches 0.1 at (ln 0.1 - ln 1.5e-4) / gamma_3 = 0.3497
    assert lp.t_end == pytest.approx(0.35)
    assert lp.t_end_from_start == pytest.approx(lp.t_end, abs=0.01)
    assert lp.t_end_predicted == pytest.approx(theory.linear_phase_end(2000, 5.0, 2, "usa", 0.1))
    # beta and normalization default to the run's model
    assert an.linear_phase(lattice_run).leading_mode == 3


# -- clustering ----------------------------------------------------------------------------------
def _cluster_states(centers_per_phase, saves_per_phase, n_per_center, spread, seed, d):
    """States with known tight clusters: each phase holds ``saves_per_phase`` saves."""
    rng = np.random.default_rng(seed)
    states = []
    for centers in centers_per_phase:
        centers = np.asarray(centers, float)
        for _ in range(saves_per_phase):
            pts = np.repeat(centers, n_per_center, axis=0) + spread * rng.standard_normal(
                (centers.shape[0] * n_per_center, d))
            states.append(pts / np.linalg.norm(pts, axis=1, keepdims=True))
    n = min(s.shape[0] for s in states)
    return np.stack([s[:n] for s in states])


@pytest.mark.parametrize("d", [2, 3])
def test_cluster_history_on_known_counts(d):
    c = np.eye(d) if d == 3 else angles_to_points(np.array([0.0, 1.5, 3.0]))
    extra = -np.ones(d) / np.sqrt(d)
    phases = [np.vstack([c, extra]), c, c[:2]]                      # 4, then 3, then 2 clusters
    # equal particle counts per state: 12 points per phase, 3 / 4 / 6 per cluster
    states = []
    for centers, per in zip(phases, (3, 4, 6), strict=True):
        states.append(_cluster_states([centers], 5, per, 1e-3, 0, d))
    x = np.concatenate(states)                                      # (15, 12, d)
    t = np.linspace(0.0, 1.4, 15)
    hist = an.cluster_history(_solution(t, x, d=d, beta=2.0), tol=1e-2)
    np.testing.assert_array_equal(hist.counts, [4] * 5 + [3] * 5 + [2] * 5)
    assert hist.plateau_counts == [4, 3, 2]
    spans = [(0.0, 0.4), (0.5, 0.9), (1.0, 1.4)]
    np.testing.assert_allclose([p[1:] for p in hist.plateaus], spans, atol=1e-12)
    assert hist.merge_times == pytest.approx([0.5, 1.0])
    assert [m[1:] for m in hist.merges] == [(4, 3), (3, 2)]
    assert hist.t_clustered == 0.0
    # the energy is piecewise constant: one plateau per cluster state
    assert len(hist.staircase) == 3
    np.testing.assert_allclose([s[1:] for s in hist.staircase], spans, atol=1e-12)
    assert hist.staircase[0][0] < hist.staircase[1][0] < hist.staircase[2][0]


def test_cluster_history_ignores_stragglers_and_rings():
    c = angles_to_points(np.array([0.0, 2.0, 4.0]))
    tight = _cluster_states([c], 4, 30, 1e-3, 1, 2)                  # (4, 90, 2)
    tight[:, -1] = angles_to_points(np.array([1.0]))                 # one straggler
    ring = angles_to_points(2 * np.pi * np.arange(90) / 90)[None].repeat(3, axis=0)
    x = np.concatenate([ring, tight])
    sol = _solution(np.arange(7.0), x)
    raw = an.cluster_history(sol, tol=1e-2)
    assert list(raw.counts) == [1, 1, 1, 4, 4, 4, 4]                 # the ring is one component
    assert raw.plateau_counts == [4]                                 # ... but not tight
    clean = an.cluster_history(sol, tol=1e-2, min_fraction=0.05)
    assert clean.plateau_counts == [3] and clean.t_clustered == 3.0


# -- quasi-linear phase --------------------------------------------------------------------------
def test_quasi_linear_kept_symmetric_versus_generic():
    rng = np.random.default_rng(3)
    base = rng.uniform(0, 2 * np.pi, 100)
    sym = np.concatenate([base + 2 * np.pi * m / 3 for m in range(3)])   # exactly 3-fold
    generic = rng.uniform(0, 2 * np.pi, 300)
    cluster = np.full(300, 1.0)
    x = angles_to_points(np.stack([sym, generic, cluster]))          # (3, 300, 2)
    q = an.quasi_linear_kept(x, 3)
    assert q.relative_defect[0] < 1e-10 and q.kept[0]
    assert q.fourier_ratio[0] > 1e8
    assert q.relative_defect[1] > 0.3 and not q.kept[1]
    assert q.fourier_ratio[1] < 10
    assert q.relative_defect[2] == pytest.approx(4 / 3, rel=1e-6)    # Dirac: (2 pi / 3) / (pi / 2)
    assert not q.all_kept
    sub = an.quasi_linear_kept(_solution([0.0, 1.0, 2.0], x), 3, t_range=(0.0, 0.5))
    assert sub.t.tolist() == [0.0] and sub.all_kept
    with pytest.raises(ValueError, match="S\\^1"):
        an.quasi_linear_kept(af.sphere.uniform(10, 3, seed=0)[None], 3)


# -- the summary ---------------------------------------------------------------------------------
def test_phases_on_a_clustering_run():
    n = 300
    theta = 2 * np.pi * np.arange(n) / n + 0.3
    theta = theta + 1e-3 * np.cos(3 * theta + 1.0)
    model = af.AttentionModel(d=2, beta=5.0, normalization="usa")
    sol = af.simulate(model, angles_to_points(theta), t1=0.6, dt=0.005, method="rk4",
                      save_at=np.linspace(0, 0.6, 61))
    ph = an.phases(sol)
    assert ph.linear.leading_mode == 3
    assert ph.t_linear_end == pytest.approx(0.23, abs=0.011)
    assert ph.plateau_counts[0] == 3 and ph.t_clustered > ph.t_linear_end
    assert ph.quasi is not None and ph.quasi.all_kept
    np.testing.assert_allclose(ph.first_centers, ph.predicted_angles, atol=0.02)
    rows = ph.table()
    assert all(set(r) == {"claim", "predicted", "measured", "agrees", "note"} for r in rows)
    assert all(r["agrees"] in (True, None) for r in rows), rows
