"""Tests of attnflow.observables against closed forms and independent brute-force oracles."""

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from scipy.special import iv, logsumexp

from attnflow import observables as obs
from attnflow import sphere
from attnflow.model import AttentionModel
from attnflow.observables import interaction


# -- independent oracles -----------------------------------------------------------------------
def naive_energy(beta, A, x):
    """Full n x n double sum of the definition."""
    s = (x @ A.T) @ x.T
    n = x.shape[0]
    if beta == 0:
        return s.sum() / (2 * n * n)
    return np.exp(beta * s).sum() / (2 * beta * n * n)


def brute_clusters(x, tol):
    """Canonical labels from the full chord-distance matrix (size desc, then first index)."""
    r = math.sqrt(2 * tol)
    dist = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    k, comp = connected_components(dist <= r, directed=False)
    sizes = np.bincount(comp, minlength=k)
    first = np.array([np.flatnonzero(comp == c)[0] for c in range(k)])
    order = sorted(range(k), key=lambda c: (-sizes[c], first[c]))
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    return rank[comp], sizes[order]


def blobs(centers, sizes, kappa, rng):
    """Tight vMF blobs around the given centers, shuffled; returns points and blob ids."""
    pts = [sphere.von_mises_fisher(s, mu, kappa, seed=rng) for mu, s in zip(centers, sizes, strict=True)]
    ids = np.concatenate([np.full(s, b) for b, s in enumerate(sizes)])
    perm = rng.permutation(ids.size)
    return np.concatenate(pts)[perm], ids[perm]


# -- energy ------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("beta", [0.5, 3.0, 20.0])
def test_energy_single_cluster_closed_form(d, beta, rng):
    # all x_i = mu, A = I: every score is beta, so E = N^2 e^beta / (2 beta N^2)
    mu = sphere.retract(rng.standard_normal(d))
    x = np.tile(mu, (7, 1))
    model = AttentionModel(d=d, beta=beta)
    expected = math.exp(beta) / (2 * beta)
    assert obs.energy(model, x) == pytest.approx(expected, rel=2e-14)
    assert obs.log_energy(model, x) == pytest.approx(beta - math.log(2 * beta), rel=1e-14)


@pytest.mark.parametrize("n", [5, 16, 101])
@pytest.mark.parametrize("beta", [0.3, 2.0, 15.0])
def test_energy_equispaced_circle_bessel_series(n, beta):
    # (1/N^2) sum_ij e^{beta cos(theta_i - theta_j)} = (1/N) sum_k e^{beta cos(2 pi k / N)}
    # = sum_{m in Z} I_{mN}(beta) (Jacobi-Anger; averaging over the N-th roots of unity keeps
    # the harmonics that are multiples of N), so E = (I_0 + 2 sum_{m>=1} I_{mN}) / (2 beta),
    # which tends to the uniform-measure value I_0(beta) / (2 beta) spectrally fast.
    x = sphere.angles_to_points(2 * np.pi * np.arange(n) / n + 0.37)
    series = iv(0, beta) + 2 * sum(iv(m * n, beta) for m in range(1, 40))
    expected = series / (2 * beta)
    got = obs.energy(AttentionModel(d=2, beta=beta), x, block=3)
    assert got == pytest.approx(expected, rel=1e-14)
    if n == 101:                                 # the I_{mN} corrections are below rounding
        assert got == pytest.approx(iv(0, beta) / (2 * beta), rel=1e-14)


@pytest.mark.parametrize("d", [2, 3])
def test_energy_uniform_points_monte_carlo(d):
    # k(x, y) = e^{beta <x, y>} has mean mu_k = I_0(beta) (S^1) or sinh(beta)/beta (S^2) and,
    # by rotation invariance, E_y k(x, y) = mu_k for every x: the U-statistic is degenerate,
    # Var U = 2 sigma^2 / (N (N - 1)). The V-statistic (i = j included) is
    # 2 beta E = e^beta / N + (1 - 1/N) U, tested within 5 standard deviations.
    n, beta = 3000, 1.5
    if d == 2:
        mean_k, mean_k2 = iv(0, beta), iv(0, 2 * beta)
    else:
        mean_k, mean_k2 = math.sinh(beta) / beta, math.sinh(2 * beta) / (2 * beta)
    sd_u = math.sqrt(2 * (mean_k2 - mean_k**2) / (n * (n - 1)))
    x = sphere.uniform(n, d, seed=11)
    v = 2 * beta * obs.energy(AttentionModel(d=d, beta=beta), x)
    expected = math.exp(beta) / n + (1 - 1 / n) * mean_k
    assert abs(v - expected) < 5 * (1 - 1 / n) * sd_u


@pytest.mark.parametrize("beta", [2.5, -1.7])
@pytest.mark.parametrize("block", [1, 7, 16, 52, 53, 100, None])
def test_energy_blocked_equals_naive_double_sum(beta, block):
    # non-symmetric A, n = 53 not a multiple of the blocks, rows off the unit sphere
    model = AttentionModel.random(5, beta, "ginibre", seed=4)
    assert not np.allclose(model.A_matrix, model.A_matrix.T)
    rng = np.random.default_rng(5)
    x = sphere.uniform(53, 5, seed=6) * rng.uniform(0.5, 2.0, size=(53, 1))
    expected = naive_energy(beta, model.A_matrix, x)
    assert np.sign(expected) == np.sign(beta)
    assert obs.energy(model, x, block=block) == pytest.approx(expected, rel=1e-14)


def test_energy_beta_zero_is_the_limit_form(rng):
    model = AttentionModel.random(4, 0.0, seed=7)
    A = model.A_matrix
    x = sphere.uniform(31, 4, seed=8)
    e0 = obs.energy(model, x)
    m = x.mean(axis=0)
    assert e0 == pytest.approx(0.5 * (A @ m) @ m, rel=1e-14, abs=1e-15)
    assert e0 == pytest.approx(naive_energy(0.0, A, x), rel=1e-14, abs=1e-15)
    # E_beta = 1/(2 beta) + E_0 + r, with |r| <= (1/(2 beta)) mean(e^u - 1 - u), u = beta s,
    # and e^u - 1 - u <= u^2 e^|u| / 2
    beta = 1e-6
    s = (x @ A.T) @ x.T
    bound = np.mean((beta * s) ** 2 * np.exp(beta * np.abs(s))) / (4 * beta)
    gap = obs.energy(model.replace(beta=beta), x) - 1 / (2 * beta) - e0
    assert abs(gap) <= bound + 1e-9              # + rounding of 1/(2 beta) = 5e5
    assert bound < 1e-5


@pytest.mark.parametrize("beta", [0.7, 5.0, -2.0])
def test_log_energy_is_log_of_energy(beta):
    model = AttentionModel.random(3, beta, seed=9)
    x = sphere.uniform(40, 3, seed=10)
    e = obs.energy(model, x)
    assert obs.log_energy(model, x) == pytest.approx(math.log(abs(e)), abs=1e-14)
    xb = sphere.uniform(40, 3, seed=10, batch=3)
    np.testing.assert_allclose(obs.log_energy(model, xb), np.log(np.abs(obs.energy(model, xb))),
                               rtol=0, atol=1e-14)


def test_energy_overflow_raises_and_log_energy_stays_finite():
    beta = 2000.0
    model = AttentionModel(d=3, beta=beta)
    x = sphere.uniform(40, 3, seed=12)
    with pytest.raises(FloatingPointError, match="log_energy"):
        obs.energy(model, x)
    expected = logsumexp(beta * (x @ x.T)) - math.log(2 * beta) - 2 * math.log(40)
    got = obs.log_energy(model, x)
    assert math.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-14)
    # a single cluster: log E = beta - log(2 beta) exactly
    one = np.tile(x[0], (9, 1))
    assert obs.log_energy(model, one) == pytest.approx(beta - math.log(2 * beta), rel=1e-15)


def test_log_energy_rows_that_underflow_the_shift():
    # A = -I on one cluster: the shift bound is m_i = beta but every score is -beta, so the
    # shifted terms e^{-2 beta} underflow to 0 and the rows are recomputed with their maximum:
    # log E = -beta - log(2 beta), while E itself underflows to 0.
    beta = 2000.0
    model = AttentionModel(d=3, beta=beta, A=-np.eye(3))
    one = np.tile(sphere.uniform(1, 3, seed=13), (6, 1))
    assert obs.log_energy(model, one) == pytest.approx(-beta - math.log(2 * beta), rel=1e-15)
    assert obs.energy(model, one) == 0.0
    x = sphere.uniform(30, 3, seed=14)
    expected = logsumexp(-beta * (x @ x.T)) - math.log(2 * beta) - 2 * math.log(30)
    assert obs.log_energy(model, x, block=4) == pytest.approx(expected, rel=1e-15)


def test_negative_beta_overflow_points_to_log_energy():
    # beta < 0 with A = -I: scores beta <-x, x> = +2000, E = -e^2000 / (2 |beta|)
    model = AttentionModel(d=2, beta=-2000.0, A=-np.eye(2))
    x = np.tile([[0.6, 0.8]], (5, 1))
    with pytest.raises(FloatingPointError, match="log_energy"):
        obs.energy(model, x)
    assert obs.log_energy(model, x) == pytest.approx(2000 - math.log(4000), rel=1e-15)


def test_energy_batched_equals_per_item():
    model = AttentionModel.random(4, 1.3, seed=15)
    xb = sphere.uniform(23, 4, seed=16, batch=5)
    got = obs.energy(model, xb, block=6)
    assert got.shape == (5,)
    np.testing.assert_array_equal(got, [obs.energy(model, x, block=6) for x in xb])


# -- order parameters and Fourier modes --------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 5, 6])
def test_order_parameter_equispaced_clusters(k):
    # k equal clusters at angles phi + 2 pi c / k: sum_c e^{i j 2 pi c / k} = k if k | j else 0
    theta = 0.41 + 2 * np.pi * np.repeat(np.arange(k), 3) / k
    x = sphere.angles_to_points(theta)
    for j in range(1, 2 * k + 1):
        expected = 1.0 if j % k == 0 else 0.0
        assert obs.order_parameter(x, j) == pytest.approx(expected, abs=1e-14)


def test_order_parameter_any_dimension():
    mu = sphere.retract(np.arange(1.0, 6.0))
    assert obs.order_parameter(np.tile(mu, (8, 1))) == pytest.approx(1.0, rel=1e-14)
    # antipodal clusters of sizes 5 and 2: |(5 mu - 2 mu) / 7| = 3/7
    x = np.concatenate([np.tile(mu, (5, 1)), np.tile(-mu, (2, 1))])
    assert obs.order_parameter(x) == pytest.approx(3 / 7, rel=1e-14)
    xb = sphere.uniform(17, 5, seed=17, batch=4)
    got = obs.order_parameter(xb)
    assert got.shape == (4,)
    np.testing.assert_array_equal(got, [obs.order_parameter(x) for x in xb])
    xb2 = sphere.uniform(17, 2, seed=18, batch=3)
    np.testing.assert_array_equal(obs.order_parameter(xb2, 3),
                                  [obs.order_parameter(x, 3) for x in xb2])


def test_order_parameter_bad_input():
    with pytest.raises(ValueError, match=r"k=2.*d=3"):
        obs.order_parameter(sphere.uniform(5, 3, seed=0), 2)
    for k in (0, 1.5, True, -1):
        with pytest.raises(ValueError, match="k="):
            obs.order_parameter(sphere.uniform(5, 2, seed=0), k)


def test_fourier_modes_direct_formula_and_consistency():
    theta = np.random.default_rng(19).uniform(0, 2 * np.pi, size=1000)
    x = sphere.angles_to_points(theta)
    K = 600                                      # (K + 1) n > 2^19: several blocks of k
    direct = np.array([np.exp(-1j * k * theta).mean() for k in range(K + 1)])
    got = obs.fourier_modes(x, K)
    assert got.shape == (K + 1,) and got.dtype == np.complex128
    np.testing.assert_allclose(got, direct, rtol=0, atol=2e-14)
    assert got[0] == pytest.approx(1.0, abs=1e-15)
    for k in (1, 2, 7):
        assert abs(got[k]) == pytest.approx(obs.order_parameter(x, k), abs=1e-15)


def test_fourier_modes_equispaced_points():
    # N equispaced angles: mu_hat_k = e^{-i k phi} if N | k else 0
    n, phi = 7, 0.2
    x = sphere.angles_to_points(phi + 2 * np.pi * np.arange(n) / n)
    k = np.arange(3 * n + 1)
    expected = np.where(k % n == 0, np.exp(-1j * k * phi), 0)
    np.testing.assert_allclose(obs.fourier_modes(x, 3 * n), expected, rtol=0, atol=1e-14)


def test_fourier_modes_batched_and_bad_input():
    xb = sphere.uniform(13, 2, seed=20, batch=3)
    got = obs.fourier_modes(xb, 5)
    assert got.shape == (3, 6)
    np.testing.assert_allclose(got, [obs.fourier_modes(x, 5) for x in xb], rtol=0, atol=1e-15)
    assert obs.fourier_modes(xb[0], 0).shape == (1,)
    with pytest.raises(ValueError, match="K="):
        obs.fourier_modes(xb[0], -1)
    with pytest.raises(ValueError, match="x="):
        obs.fourier_modes(sphere.uniform(5, 3, seed=0), 3)


# -- clustering density ------------------------------------------------------------------------
@pytest.mark.parametrize("block", [1, 3, 5, 24, None])
def test_clustering_density_known_cluster_sizes(block, rng):
    # well-separated clusters (centers +-e_i, pairwise <.,.> <= 0) of sizes s_c, jitter 1e-5:
    # the close pairs are exactly the pairs inside a cluster
    sizes = [7, 4, 1, 3, 9]
    centers = [np.eye(5)[0], -np.eye(5)[0], np.eye(5)[1], np.eye(5)[2], -np.eye(5)[3]]
    x = np.concatenate([c + 1e-5 * rng.standard_normal((s, 5)) for c, s in zip(centers, sizes, strict=True)])
    x = sphere.retract(x[rng.permutation(len(x))])
    n = len(x)
    expected = sum(s * (s - 1) / 2 for s in sizes) / (n * (n - 1) / 2)
    assert obs.clustering_density(x, 1e-3, block=block) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("block", [1, 4, 17, None])
def test_clustering_density_equals_pair_count(block):
    x = sphere.uniform(61, 3, seed=21)
    tol = 0.05
    g = x @ x.T
    iu = np.triu_indices(61, 1)
    expected = np.count_nonzero(g[iu] >= 1 - tol) / iu[0].size
    assert 0 < expected < 1
    assert obs.clustering_density(x, tol, block=block) == expected


def test_clustering_density_conventions_and_batch():
    assert obs.clustering_density(np.array([[0.0, 1.0]])) == 1.0
    assert obs.clustering_density(np.tile([[0.6, 0.8]], (4, 1))) == 1.0
    xb = sphere.uniform(20, 2, seed=22, batch=3)
    got = obs.clustering_density(xb, 0.1, block=6)
    assert got.shape == (3,)
    np.testing.assert_array_equal(got, [obs.clustering_density(x, 0.1) for x in xb])
    # the stacked-Gram path (n * n <= 2^14, chunks of 1310 systems for n = 20) counts the same
    # pairs as the row blocks, here on concentrated vMF clouds where many pairs are close
    many = sphere.von_mises_fisher(20, np.array([0.0, 1.0]), 3000.0, seed=3, batch=2000)
    fast = obs.clustering_density(many, 1e-3)
    assert 0.05 < fast.mean() < 0.95
    np.testing.assert_array_equal(fast, obs.clustering_density(many, 1e-3, block=20))
    for tol in (0, 2, -1.0, float("nan"), "a"):
        with pytest.raises(ValueError, match="tol="):
            obs.clustering_density(xb, tol)
    with pytest.raises(ValueError, match="block="):
        obs.clustering_density(xb, 0.1, block=0)


# -- clusters ----------------------------------------------------------------------------------
def _centers(d):
    if d == 2:
        return sphere.angles_to_points(0.3 + 2 * np.pi * np.arange(5) / 5)
    e = np.eye(d)
    return [e[0], -e[0], e[1], -e[1], e[2]]


@pytest.mark.parametrize("d", [2, 3, 8])
def test_clusters_recovers_vmf_blobs(d, rng):
    sizes = [13, 40, 7, 25, 1]
    centers = _centers(d)
    x, ids = blobs(centers, sizes, 1e7, rng)
    spread = [sphere.geodesic_distance(x[ids == b], centers[b]).max() for b in range(5)]
    assert max(spread) < 0.01                    # premise: blobs far tighter than sqrt(2e-3)
    cl = obs.clusters(x, 1e-3)
    assert cl.count == 5
    np.testing.assert_array_equal(cl.sizes, sorted(sizes, reverse=True))
    assert cl.labels.shape == (x.shape[0],) and cl.centers.shape == (5, d)
    seen = set()
    for b in range(5):
        lab = np.unique(cl.labels[ids == b])
        assert lab.size == 1                     # one label per blob ...
        lab = int(lab[0])
        seen.add(lab)
        assert cl.sizes[lab] == sizes[b]
        # the normalized mean of points in a cap of radius rho lies in that cap
        assert sphere.geodesic_distance(cl.centers[lab], centers[b]) <= spread[b] + 1e-12
    assert seen == set(range(5))                 # ... and distinct labels
    np.testing.assert_allclose(np.linalg.norm(cl.centers, axis=1), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(9))
def test_clusters_match_brute_force_components(seed):
    # multi-scale clumps (spreads from r/10 to 2 r) so that components chain through members
    rng = np.random.default_rng(seed)
    d = (2, 3, 8)[seed % 3]
    tol = 1e-3
    r = math.sqrt(2 * tol)
    pts = []
    for c in sphere.uniform(6, d, seed=rng):
        sigma = rng.choice([0.1, 0.3, 0.6, 1.0, 2.0]) * r / math.sqrt(d)
        pts.append(c + sigma * rng.standard_normal((rng.integers(1, 60), d)))
    x = sphere.retract(np.concatenate(pts))
    x = x[rng.permutation(len(x))]
    cl = obs.clusters(x, tol)
    labels, sizes = brute_clusters(x, tol)
    np.testing.assert_array_equal(cl.labels, labels)
    np.testing.assert_array_equal(cl.sizes, sizes)
    assert cl.count == sizes.size
    for c in range(cl.count):
        mean = x[labels == c].sum(axis=0)
        np.testing.assert_allclose(cl.centers[c], mean / np.linalg.norm(mean), rtol=0, atol=1e-14)


def test_clusters_chain_ring_and_ties():
    tol = 1e-3
    step = 2 * math.asin(math.sqrt(2 * tol) / 2)     # angle whose chord is sqrt(2 tol)
    chain = sphere.angles_to_points(0.9 * step * np.arange(50))
    assert obs.clusters(chain, tol).count == 1       # linked through neighbours only
    apart = sphere.angles_to_points(1.1 * step * np.arange(50))
    cl = obs.clusters(apart, tol)
    assert cl.count == 50 and np.all(cl.sizes == 1)
    np.testing.assert_array_equal(cl.labels, np.arange(50))    # ties: by first member
    ring = sphere.angles_to_points(2 * np.pi * np.arange(400) / 400)   # spacing < step
    cl = obs.clusters(ring, tol)
    assert cl.count == 1 and cl.sizes[0] == 400
    np.testing.assert_array_equal(cl.centers, 0.0)              # a ring has no direction
    # equal sizes: the cluster holding index 0 comes first
    a, b = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    cl = obs.clusters(np.array([b, a, a, b, a, b]), tol)
    np.testing.assert_array_equal(cl.labels, [0, 1, 1, 0, 1, 0])
    np.testing.assert_array_equal(cl.centers, [b, a])
    one = obs.clusters(np.array([[0.0, 0.0, 1.0]]))
    assert one.count == 1 and one.labels.tolist() == [0]


def test_clusters_bad_input():
    xb = sphere.uniform(10, 3, seed=23, batch=2)
    with pytest.raises(ValueError, match="loop over the batch"):
        obs.clusters(xb)
    with pytest.raises(ValueError, match="tol="):
        obs.clusters(xb[0], 2.5)
    with pytest.raises(ValueError, match="x="):
        obs.clusters(np.array([[1.0, np.nan], [0.0, 1.0]]))


# -- registry ----------------------------------------------------------------------------------
def test_registry_values_match_the_functions(rng):
    names = {"energy", "order_parameter", "order_parameter_2", "clustering_density",
             "cluster_count", "dominant_mode"}
    assert set(obs.OBSERVABLES) == names
    model = AttentionModel(d=2, beta=1.7)
    x, _ = blobs(_centers(2)[:3], [6, 4, 2], 1e7, rng)
    expected = {
        "energy": obs.energy(model, x),
        "order_parameter": obs.order_parameter(x),
        "order_parameter_2": obs.order_parameter(x, 2),
        "clustering_density": obs.clustering_density(x, 1e-3),
        "cluster_count": 3.0,
        "dominant_mode": obs.dominant_mode(x),
    }
    for name, fn in obs.OBSERVABLES.items():
        value = fn(model, x)
        assert isinstance(value, float)
        assert value == expected[name]
    m3 = AttentionModel(d=3, beta=1.0)
    with pytest.raises(ValueError, match="k=2"):
        obs.OBSERVABLES["order_parameter_2"](m3, sphere.uniform(5, 3, seed=0))
    with pytest.raises(ValueError, match="x="):
        obs.OBSERVABLES["cluster_count"](m3, x)          # d = 2 points, model d = 3
    with pytest.raises(ValueError, match="dominant_mode"):
        obs.OBSERVABLES["dominant_mode"](m3, sphere.uniform(5, 3, seed=0))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_dominant_mode_of_k_equal_clusters_is_k(k, rng):
    # k equispaced clusters of 20 points with tiny spread: |mu_hat_k| ~ 1 and its multiples tie
    offset = rng.uniform(0, 2 * np.pi)
    theta = offset + 2 * np.pi * np.repeat(np.arange(k), 20) / k + 1e-9 * rng.standard_normal(20 * k)
    x = sphere.angles_to_points(theta)
    assert obs.dominant_mode(x) == float(k)
    one = sphere.angles_to_points(offset + 1e-9 * rng.standard_normal(20 * k))   # a single cluster
    np.testing.assert_array_equal(obs.dominant_mode(np.stack([x, one])), [k, 1.0])
    # a uniform lattice of 100 points plus a small mode-m wave: m wins; the lattice's own mode
    # (100) and the alias 100 - m lie beyond K
    m = k + 1
    lattice = 2 * np.pi * np.arange(100) / 100
    wave = sphere.angles_to_points(lattice + 0.01 * np.sin(m * lattice + offset))
    assert obs.dominant_mode(wave, K=32) == float(m)
    with pytest.raises(ValueError, match="K="):
        obs.dominant_mode(x, K=0)


def test_resolve_observables():
    def custom(model, x):
        return 0.0

    got = obs.resolve_observables(["cluster_count", "energy"])
    assert list(got) == ["cluster_count", "energy"]
    assert got["energy"] is obs.OBSERVABLES["energy"]
    assert obs.resolve_observables({"mine": custom}) == {"mine": custom}
    mixed = obs.resolve_observables(["energy", {"mine": custom}, "energy"])
    assert list(mixed) == ["energy", "mine"]
    assert obs.resolve_observables("energy") == {"energy": obs.OBSERVABLES["energy"]}
    assert obs.resolve_observables(None) == {} == obs.resolve_observables(())
    got["x"] = custom
    assert "x" not in obs.OBSERVABLES                    # a fresh dict
    with pytest.raises(ValueError, match=r"observables=.*'nope'.*cluster_count"):
        obs.resolve_observables(["energy", "nope"])
    with pytest.raises(ValueError, match="is not callable"):
        obs.resolve_observables({"mine": 3})
    with pytest.raises(ValueError, match="twice"):
        obs.resolve_observables([{"energy": custom}, "energy"])
    with pytest.raises(ValueError, match="observables="):
        obs.resolve_observables([3])


# -- input validation --------------------------------------------------------------------------
def test_bad_points_and_models():
    model = AttentionModel(d=3, beta=1.0)
    good = sphere.uniform(4, 3, seed=24)
    bad_nan = good.copy()
    bad_nan[2, 1] = np.nan
    cases = [bad_nan, good[:, :2], good[0], np.array([["a", "b", "c"]]), np.zeros((0, 3)),
             good + 1j]
    for x in cases:
        with pytest.raises(ValueError, match="x="):
            obs.energy(model, x)
    with pytest.raises(ValueError, match=r"x=.*: has a NaN or inf entry at index \(2, 1\)"):
        obs.order_parameter(bad_nan)
    with pytest.raises(ValueError, match="model="):
        obs.energy("model", good)
    with pytest.raises(ValueError, match="block="):
        obs.energy(model, good, block=0)
    with pytest.raises(ValueError, match="model="):
        obs.log_energy(model.replace(beta=0.0), good)
    # observables accept what is given: off-sphere and float32 points are fine
    assert obs.energy(model, good.astype(np.float32)) == pytest.approx(
        obs.energy(model, good.astype(np.float32).astype(np.float64)), rel=1e-15)
    assert obs.order_parameter(2 * good) == pytest.approx(2 * obs.order_parameter(good))


@pytest.mark.parametrize("beta", [0.5, 5.0, 40.0])
def test_circle_energy_fourier_path_equals_blocked_sum(beta):
    # n >= 2000 on S^1 with A = None uses sum_k I_|k|(beta) |mu_hat_k|^2 (O(N K)); the same
    # model with an explicit A = I takes the blocked double sum: two independent methods.
    # Measured: |log E difference| <= 1.5e-14 (beta = 40), 3e-15 (beta <= 5).
    fourier = AttentionModel(d=2, beta=beta)
    blocked = AttentionModel(d=2, beta=beta, A=np.eye(2))
    for x in (sphere.uniform(3000, 2, seed=1), sphere.von_mises_fisher(3000, [1, 0], 3.0, seed=2)):
        assert interaction._circle_spectral(fourier, x) and not interaction._circle_spectral(blocked, x)
        assert obs.log_energy(fourier, x) == pytest.approx(obs.log_energy(blocked, x), rel=0, abs=5e-14)
        assert obs.energy(fourier, x) == pytest.approx(obs.energy(blocked, x), rel=5e-14)
