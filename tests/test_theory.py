"""Tests of attnflow.theory: closed forms, quadrature, finite differences and particle runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.optimize import minimize_scalar
from scipy.special import eval_chebyt, eval_gegenbauer, gamma, iv, legendre

import attnflow as af
from attnflow import theory as th


# -- helpers -----------------------------------------------------------------------------------
def funk_hecke_quad(beta, d, k):
    """(omega_{d-2}/omega_{d-1}) int_0^pi e^{beta cos s} P_k(cos s) sin^{d-2} s ds."""
    c = gamma(d / 2) / (math.sqrt(math.pi) * gamma((d - 1) / 2))
    nu = (d - 2) / 2
    if d == 2:
        def p(t):
            return eval_chebyt(k, t)
    else:
        def p(t):
            return eval_gegenbauer(k, nu, t) / eval_gegenbauer(k, nu, 1.0)
    scale, _ = quad(lambda s: math.exp(beta * math.cos(s)) * math.sin(s) ** (d - 2), 0, math.pi,
                    epsabs=0, epsrel=1e-13, limit=200)
    val, _ = quad(lambda s: math.exp(beta * math.cos(s)) * p(math.cos(s)) * math.sin(s) ** (d - 2),
                  0, math.pi, epsabs=1e-14 * scale, epsrel=1e-13, limit=200)
    return c * val, c * scale


def fibonacci_sphere(n):
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5 ** 0.5) * i
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def expmap(x, u, s):
    nrm = np.linalg.norm(u, axis=1, keepdims=True)
    return x * np.cos(s * nrm) + u / nrm * np.sin(s * nrm)


# -- 1. kernel coefficients -----------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("beta", [0.3, 1.0, 4.0, 12.5, -2.0])
def test_kernel_coefficients_match_quadrature(d, beta):
    lam = th.kernel_coefficients(beta, d, 6)
    for k in range(7):
        ref, scale = funk_hecke_quad(beta, d, k)
        # quadrature accuracy is relative to the integral of |integrand| ~ scale
        assert abs(lam[k] - ref) <= 2e-14 * scale + 2e-13 * abs(ref), (k, lam[k], ref)   # uses <= 7 %
    np.testing.assert_allclose(th.kernel_coefficients(beta, d, 6, scaled=True),
                               lam * math.exp(-abs(beta)), rtol=2e-15)                 # measured 2.2e-16


def test_kernel_coefficients_closed_forms():
    b = np.array([0.01, 0.7, 3.0, 20.0, 150.0])
    for beta in b:
        np.testing.assert_allclose(th.kernel_coefficients(beta, 2, 10), iv(np.arange(11), beta),
                                   rtol=5e-14)                                         # measured 8.9e-15
        assert th.kernel_coefficients(beta, 3, 0)[0] == pytest.approx(math.sinh(beta) / beta, rel=1e-13)
    # d = 4 (nu = 1): lambda_k = 2 I_{k+1}(beta)/beta
    np.testing.assert_allclose(th.kernel_coefficients(2.5, 4, 5), 2 * iv(np.arange(1, 7), 2.5) / 2.5,
                               rtol=5e-15)                                             # measured 8.9e-16


def test_kernel_coefficients_small_beta_and_zero():
    np.testing.assert_array_equal(th.kernel_coefficients(0.0, 3, 4), [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(th.gegenbauer_coefficients(0.0, 5, 2), [1, 0, 0])
    for d in (2, 3, 16):
        nu = (d - 2) / 2
        tiny = th.kernel_coefficients(1e-300, d, 6)
        assert np.all(np.isfinite(tiny)) and tiny[0] == 1.0
        # leading order lambda_k ~ Gamma(d/2) (beta/2)^k / Gamma(k + nu + 1)
        beta = 1e-6
        lam = th.kernel_coefficients(beta, d, 4)
        lead = gamma(d / 2) * (beta / 2) ** np.arange(5) / gamma(np.arange(5) + nu + 1)
        np.testing.assert_allclose(lam, lead, rtol=1e-12)          # O(beta^2) term: measured 2.5e-13
        # the series (|beta| <= 1) and the ive branch (|beta| > 1) agree across the switch
        lo = th.kernel_coefficients(1.0, d, 30)
        hi = th.kernel_coefficients(1.0 + 1e-12, d, 30)
        np.testing.assert_allclose(lo, hi, rtol=1e-10)


def test_kernel_coefficients_large_beta_scaled():
    beta = 1000.0
    for d in (2, 3, 8):
        nu = (d - 2) / 2
        lam = th.kernel_coefficients(beta, d, 300, scaled=True)
        assert np.all(np.isfinite(lam)) and np.all(lam > 0)
        assert np.all(np.diff(lam) < 0)
        # three-term recurrence I_{m-1} - I_{m+1} = (2 m / beta) I_m, m = k + nu
        k = np.arange(1, 300)
        np.testing.assert_allclose(lam[:-2] - lam[2:], 2 * (k + nu) / beta * lam[1:-1], rtol=2e-12)  # 2.4e-13
    # far orders (ive underflows) come from the series: finite, tiny, no NaN
    far = th.kernel_coefficients(50.0, 3, 400, scaled=True)
    assert np.all(np.isfinite(far)) and 0 <= far[-1] < 1e-200
    with pytest.raises(FloatingPointError, match="scaled=True"):
        th.kernel_coefficients(beta, 2, 3)


def test_kernel_coefficients_negative_beta_parity():
    for d in (2, 3, 6):
        sign = (-1.0) ** np.arange(8)
        np.testing.assert_allclose(th.kernel_coefficients(-3.3, d, 7),
                                   sign * th.kernel_coefficients(3.3, d, 7), rtol=1e-14)
        np.testing.assert_allclose(th.gegenbauer_coefficients(-0.4, d, 7),
                                   sign * th.gegenbauer_coefficients(0.4, d, 7), rtol=1e-14)


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("beta", [0.5, 3.0, -1.5])
def test_gegenbauer_coefficients(d, beta):
    K = 40
    a = th.gegenbauer_coefficients(beta, d, K)
    nu = (d - 2) / 2
    t = np.linspace(-1, 1, 9)
    if d == 2:
        series = sum(a[k] * eval_chebyt(k, t) for k in range(K + 1))
        ref0 = iv(0, beta)
        ref3 = 2 * iv(3, beta)
    else:
        series = sum(a[k] * eval_gegenbauer(k, nu, t) for k in range(K + 1))
        ref0 = gamma(nu) * (beta / 2) ** -nu * nu * iv(nu, beta) if beta > 0 else None
        ref3 = None
        # projection by quadrature: a_k = int e^{bt} C_k w / int C_k^2 w
        for k in (0, 1, 4):
            def w(s, k=k):
                c = math.cos(s)
                return math.exp(beta * c) * eval_gegenbauer(k, nu, c) * math.sin(s) ** (d - 2)

            norm = math.pi * 2 ** (1 - 2 * nu) * gamma(k + 2 * nu) / (math.factorial(k) * (k + nu)
                                                                    * gamma(nu) ** 2)
            assert a[k] == pytest.approx(quad(w, 0, math.pi, epsrel=1e-13)[0] / norm, rel=5e-14, abs=5e-15)
        lam = th.kernel_coefficients(beta, d, 7)
        np.testing.assert_allclose(a[1:8], lam[1:] * (np.arange(1, 8) + nu) / nu, rtol=2e-15)   # 2.2e-16
    np.testing.assert_allclose(series, np.exp(beta * t), rtol=1e-12)
    if ref0 is not None:
        assert a[0] == pytest.approx(ref0, rel=5e-14)                     # measured 5.3e-15
    if ref3 is not None:
        assert a[3] == pytest.approx(ref3, rel=5e-15)                     # measured 3.3e-16


# -- 2. growth rates, k_max ------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5])
def test_growth_rates_closed_forms(d):
    k = np.arange(13.0)
    for beta in np.linspace(0.5, 30, 12):
        g = th.growth_rates(beta, d, 12)
        if d == 2:
            ref = k**2 * iv(k, beta) / beta
        elif d == 3:
            ref = k * (k + 1) * np.sqrt(np.pi / (2 * beta)) * iv(k + 0.5, beta) / beta
        else:
            ref = k * (k + 3) * gamma(2.5) * (2 / beta) ** 1.5 * iv(k + 1.5, beta) / beta
        assert g[0] == 0.0
        np.testing.assert_allclose(g, ref, rtol=2e-13)                    # measured 2.5e-14
        z0 = th.kernel_coefficients(beta, d, 0)[0]
        np.testing.assert_allclose(th.growth_rates(beta, d, 12, "sa"), ref / z0, rtol=2e-13)


def test_growth_rates_selected_values():
    g = th.growth_rates(5.0, 2, 8)
    # docs/theory/linear-stability.md#growth-rates: the predicted list (to its rounding) and the measured
    # one (particle fits)
    predicted = np.array([4.867, 14.0, 18.6, 16.35, 10.79, 5.704, 2.514, 0.9487])
    half_ulp = np.array([5e-4, 5e-2, 5e-2, 5e-3, 5e-3, 5e-4, 5e-4, 5e-5])      # of the printed digits
    assert np.all(np.abs(g[1:] - predicted) <= half_ulp)
    np.testing.assert_allclose(g[1:], [4.867, 14.00, 18.59, 16.34, 10.79, 5.704, 2.513, 0.948], rtol=1e-3)
    assert g[3] == pytest.approx(18.60, abs=5e-3)
    assert th.growth_rates(5.0, 2, 3, "sa")[3] == pytest.approx(0.683, abs=5e-4)
    assert th.growth_rates(7.0, 2, 4)[4] == pytest.approx(116.6, abs=0.05)
    assert th.growth_rates(7.0, 2, 4, "sa")[4] == pytest.approx(0.692, abs=1e-3)
    assert th.growth_rates(12.0, 2, 5)[5] == pytest.approx(1.353e4, rel=5e-4)
    assert th.growth_rates(12.0, 2, 5, "sa")[5] == pytest.approx(0.714, abs=5e-4)
    assert th.growth_rates(5.0, 3, 3)[3] == pytest.approx(9.978, abs=5e-4)
    assert th.growth_rates(5.0, 3, 3, "sa")[3] == pytest.approx(0.672, abs=5e-4)
    np.testing.assert_allclose(th.growth_rates(5.0, 3, 7)[[1, 3, 5, 7]], [4.75, 9.98, 4.47, 0.877], atol=6e-3)
    # huge beta: USA scaled stays finite, SA -> 2/e (docs/theory/linear-stability.md#the-most-unstable-degree)
    assert np.isfinite(th.growth_rates(1000.0, 2, 60, scaled=True)).all()
    assert th.growth_rates(1e4, 2, 300, "sa").max() == pytest.approx(2 / math.e, rel=0.01)
    with pytest.raises(FloatingPointError):
        th.growth_rates(1000.0, 2, 5)


KMAX_BETAS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 50, 100]
KMAX_TABLE = {
    2: [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 8, 10, 14],
    3: [1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6, 7, 10, 14],
    4: [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 7, 9, 13],
    8: [1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 7, 11],
    16: [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 5, 9],
}


@pytest.mark.parametrize("d", sorted(KMAX_TABLE))
def test_k_max_table(d):
    got = [th.k_max(b, d) for b in KMAX_BETAS]
    assert got == KMAX_TABLE[d]
    assert [th.predicted_cluster_count(b, d) for b in KMAX_BETAS] == got
    # SA shares the argmax
    for b in (5, 30):
        k = th.k_max(b, d)
        assert int(np.argmax(th.growth_rates(b, d, 40, "sa")[1:])) + 1 == k


def test_k_max_large_beta_and_explicit_K():
    for beta in (1e3, 1e4):
        assert abs(th.k_max(beta, 2) - math.sqrt(2 * beta)) < 1.0
    assert th.k_max(20.0, 2, K=3) == 3                     # truncated search
    assert th.k_max(0.0, 5) == 1


def test_growth_rates_beta_zero_and_negative():
    for d in (2, 3, 7):
        g0 = th.growth_rates(0.0, d, 5)
        np.testing.assert_array_equal(g0, [0, (d - 1) / d, 0, 0, 0, 0])
        np.testing.assert_allclose(th.growth_rates(1e-7, d, 5), g0, atol=2e-7)   # gamma_2 = O(beta): 5e-8
        np.testing.assert_allclose(th.growth_rates(-1e-7, d, 5), g0, atol=2e-7)
        gp, gm = th.growth_rates(4.0, d, 8), th.growth_rates(-4.0, d, 8)
        np.testing.assert_allclose(gm, (-1.0) ** (np.arange(9) + 1) * gp, rtol=1e-14, atol=0)
        assert th.k_max(-4.0, d) % 2 == 1
    assert th.k_max(-6.0, 2) == 3


def _circle_mode_rate(beta, k, norm, n=256, eps=1e-6):
    """Fit of log|mu_hat_k(t)| for a lattice displaced by eps sin(k theta) (USA/SA on S^1)."""
    g = th.growth_rates(beta, 2, k, norm)[k]
    T = 2.0 / abs(g)
    theta = 2 * np.pi * np.arange(n) / n
    theta = theta + eps * np.sin(k * theta)
    m = af.AttentionModel(d=2, beta=beta, normalization=norm)
    ts = np.linspace(0, T, 5)
    sol = af.simulate(m, af.sphere.angles_to_points(theta), T, T / 100, save_at=ts)
    amp = np.array([abs(af.observables.fourier_modes(x, k)[k]) for x in sol.x])
    return g, np.polyfit(ts, np.log(amp), 1)[0]


@pytest.mark.parametrize(("beta", "k", "norm"),
                         [(5.0, 3, "usa"), (5.0, 1, "usa"), (5.0, 3, "sa"), (-3.0, 1, "usa"),
                          (-3.0, 2, "usa"), (0.0, 1, "sa")])
def test_growth_rates_match_particle_linearization_circle(beta, k, norm):
    # derived-here rates (docs/theory/linear-stability.md#growth-rates), incl. beta <= 0 (odd modes grow,
    # even modes decay)
    g, slope = _circle_mode_rate(beta, k, norm)
    assert slope == pytest.approx(g, rel=1e-8)          # measured <= 1.5e-9


def test_growth_rate_matches_particle_linearization_sphere():
    # d = 3: Fibonacci lattice displaced by eps grad P_3(x_3); the degree-3 amplitude of the
    # difference from the unperturbed run grows at gamma_3 = 9.978 (beta = 5, USA)
    beta, k, n, eps = 5.0, 3, 400, 1e-5
    g = th.growth_rates(beta, 3, k)[k]
    x = fibonacci_sphere(n)
    P = legendre(k)
    grad = P.deriv()(x[:, 2])[:, None] * (np.array([0, 0, 1.0]) - x[:, 2:3] * x)
    xp = af.sphere.retract(x + eps * grad)
    T = 2.0 / g
    ts = np.linspace(0, T, 5)
    sol = af.simulate(af.AttentionModel(d=3, beta=beta, normalization="usa"), np.stack([x, xp]), T, T / 50,
                      save_at=ts)
    amp = np.array([P(s[1][:, 2]).mean() - P(s[0][:, 2]).mean() for s in sol.x])
    assert np.polyfit(ts, np.log(np.abs(amp)), 1)[0] == pytest.approx(g, rel=2e-4)   # measured 3e-5


# -- 3. predictions ---------------------------------------------------------------------------------
def test_predicted_cluster_angles_formula_and_inputs():
    phi = 0.37
    theta = phi + 2 * np.pi * np.arange(3) / 3                 # mu_hat_3 = e^{-3 i phi}
    np.testing.assert_allclose(th.predicted_cluster_angles(theta, 5.0), np.sort(np.mod(theta, 2 * np.pi)),
                               atol=1e-12)
    x = af.sphere.uniform(100, 2, seed=3)
    a1 = th.predicted_cluster_angles(x, 5.0)
    a2 = th.predicted_cluster_angles(af.sphere.points_to_angles(x), 5.0)
    np.testing.assert_allclose(a1, a2, atol=1e-12)
    assert a1.shape == (3,)
    np.testing.assert_allclose(np.diff(a1), 2 * np.pi / 3, atol=1e-12)
    assert th.predicted_cluster_angles(x, 5.0, k=5).shape == (5,)
    with pytest.raises(ValueError, match="k-symmetric"):
        th.predicted_cluster_angles(2 * np.pi * np.arange(6) / 6, 5.0, k=3)
    with pytest.raises(ValueError):
        th.predicted_cluster_angles(np.ones((4, 3)), 5.0)


@pytest.mark.parametrize("phase", [0.9, 4.0])
def test_predicted_cluster_angles_particle_run(phase):
    # USA, beta = 5 (k_max = 3): a lattice with a small mode-3 displacement of given phase
    # (plus noise) clusters at (2 pi m - arg mu_hat_3)/3, not at the mirrored angles.
    rng = np.random.default_rng(7)
    n, beta = 600, 5.0
    theta = 2 * np.pi * np.arange(n) / n
    theta = theta + 1e-3 * np.sin(3 * theta + phase) + 1e-4 * rng.standard_normal(n)
    pred = th.predicted_cluster_angles(theta, beta)
    mirror = np.sort(np.mod(-pred, 2 * np.pi))
    sol = af.simulate(af.AttentionModel(d=2, beta=beta, normalization="usa"),
                      af.sphere.angles_to_points(theta), 0.6, 0.005)
    cl = af.observables.clusters(sol.x[-1], tol=1e-3)
    assert cl.sizes[:3].sum() >= 0.99 * n
    centers = af.sphere.points_to_angles(cl.centers[:3])

    def gap(a, b):
        return np.abs(np.angle(np.exp(1j * (a[:, None] - b[None])))).min(axis=1).max()

    assert gap(centers, pred) < 0.02                       # measured ~0.005
    assert gap(centers, mirror) > 0.2


def test_linear_phase_end_and_time_scales():
    assert th.linear_phase_end(20000, 5.0, 2) == pytest.approx(0.266, abs=1e-3)
    g = th.growth_rates(5.0, 2, 3)[3]
    assert th.linear_phase_end(1000, 5.0, 2, amplitude=0.3) == pytest.approx(
        (0.5 * math.log(1000) + math.log(0.3)) / g, rel=1e-12)
    gsa = th.growth_rates(5.0, 2, 3, "sa")[3]
    assert th.linear_phase_end(1000, 5.0, 2, "sa") == pytest.approx(0.5 * math.log(1000) / gsa, rel=1e-12)
    with pytest.raises(ValueError, match="initial amplitude"):
        th.linear_phase_end(100, 5.0, 2, amplitude=0.05)
    ts = th.time_scales(5.0, 2, 2000, "usa")
    assert ts["k_max"] == 3 and ts["gamma_max"] == pytest.approx(18.596, abs=1e-3)
    assert ts["t_linear"] == pytest.approx(th.linear_phase_end(2000, 5.0, 2), rel=1e-12)
    assert ts["contraction_rate"] == pytest.approx(math.exp(5.0))
    assert ts["dobrushin_constant"] == pytest.approx(math.exp(5.0))
    assert ts["chaos_horizon"] == pytest.approx(math.log(2000) / math.exp(5.0))
    sa = th.time_scales(5.0, 3, 2000, "sa")
    assert sa["contraction_rate"] == 1.0 and sa["dobrushin_constant"] is None
    assert sa["gamma_max"] == pytest.approx(0.6723, abs=1e-4)


def test_dobrushin_constant_is_sup_of_kernel_derivative():
    # C = sup_theta |d/dtheta (e^{beta cos theta} sin theta)| = e^{|beta|}
    s = np.linspace(-np.pi, np.pi, 200001)
    for beta in (0.5, 3.0, -2.0):
        h2 = np.exp(beta * np.cos(s)) * (np.cos(s) - beta * np.sin(s) ** 2)
        assert np.abs(h2).max() == pytest.approx(th.time_scales(beta, 2, 10)["dobrushin_constant"], rel=1e-9)


# -- 4. equiangular reduction -----------------------------------------------------------------------
def test_equiangular_beta_zero_exact():
    # beta = 0: (g + 1/(n-1))/(1 - g) = e^{2 t} (g0 + 1/(n-1))/(1 - g0), for SA and USA
    n, g0 = 6, -0.1
    t = np.array([0.0, 0.3, 1.0, 2.5, 6.0])
    q = (g0 + 1 / (n - 1)) / (1 - g0) * np.exp(2 * t)
    exact = (q - 1 / (n - 1)) / (1 + q)
    for norm in ("sa", "usa"):
        g = th.equiangular_solution(t, 0.0, n, norm, g0=g0)
        np.testing.assert_allclose(1 - g, 1 - exact, rtol=2e-11)          # measured 2.7e-12
        thr = 1e-3
        q_hit = (1 - thr + 1 / (n - 1)) / thr
        t_hit = 0.5 * math.log(q_hit / ((g0 + 1 / (n - 1)) / (1 - g0)))
        t_cl = th.equiangular_clustering_time(0.0, n, norm, threshold=thr, g0=g0)
        assert t_cl == pytest.approx(t_hit, rel=1e-14)                  # measured 4.4e-16


def test_equiangular_rhs_forms():
    g = np.linspace(-0.1, 0.99, 7)
    n, beta = 11, 2.3
    sa = 2 * np.exp(beta * g) * (1 - g) * ((n - 1) * g + 1) / (np.exp(beta) + (n - 1) * np.exp(beta * g))
    np.testing.assert_allclose(th.equiangular_rhs(g, beta, n, "sa"), sa, rtol=2e-15)      # measured 2.2e-16
    usa = (2 / n) * np.exp(beta * g) * (1 - g) * ((n - 1) * g + 1)
    np.testing.assert_allclose(th.equiangular_rhs(g, beta, n, "usa"), usa, rtol=2e-15)
    assert th.equiangular_rhs(1.0, beta, n) == 0
    assert th.equiangular_rhs(-1 / (n - 1), beta, n) == pytest.approx(0)


@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [1.0, 5.0])
def test_equiangular_matches_particles(norm, beta):
    # x_i = e_i in R^n: every <x_i, x_j> follows g(t) (USA's ODE is derived here)
    n = 8
    T = th.equiangular_clustering_time(beta, n, norm, threshold=1e-3)
    rate = 2 * math.exp(beta) if norm == "usa" else 2.0
    ts = np.linspace(0, T, 9)
    sol = af.simulate(af.AttentionModel(d=n, beta=beta, normalization=norm), np.eye(n), T,
                      min(0.2 / rate, T / 400), method="rk4", save_at=ts)
    gram = np.einsum("tia,tja->tij", sol.x, sol.x)
    iu = np.triu_indices(n, 1)
    off = gram[:, iu[0], iu[1]]
    g = th.equiangular_solution(ts, beta, n, norm)
    assert np.abs(off - g[:, None]).max() < 1e-8            # measured <= 5e-9
    assert g[-1] == pytest.approx(1 - 1e-3, abs=1e-13)                  # measured 6.9e-15


def test_equiangular_validation_and_fixed_points():
    assert th.equiangular_solution(3.0, 2.0, 4, g0=1.0) == 1.0
    np.testing.assert_allclose(th.equiangular_solution([0, 5.0], 2.0, 4, g0=-1 / 3), -1 / 3)
    assert th.equiangular_clustering_time(2.0, 4, threshold=0.5, g0=0.9) == 0.0
    with pytest.raises(ValueError, match="g0"):
        th.equiangular_solution(1.0, 1.0, 4, g0=-0.5)
    with pytest.raises(ValueError, match="fixed point"):
        th.equiangular_clustering_time(1.0, 4, g0=-1 / 3)
    with pytest.raises(ValueError, match="t="):
        th.equiangular_solution(-1.0, 1.0, 4)
    with pytest.raises(ValueError, match="normalization"):
        th.equiangular_rhs(0.1, 1.0, 4, "softmax")
    g = th.equiangular_solution(np.array([[2.0, 0.5], [1.0, 0.0]]), 1.0, 5)
    assert g.shape == (2, 2) and g[1, 1] == 0.0 and g[0, 0] > g[1, 0] > g[0, 1] > 0


# -- 5. energy calculus -----------------------------------------------------------------------------
@pytest.mark.parametrize(("d", "beta", "general"), [(3, 1.5, True), (2, -0.7, False), (4, 2.0, True),
                                                    (3, 0.0, True)])
def test_energy_gradient_and_hessian_along_geodesics(d, beta, general):
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, d)) / np.sqrt(d) if general else None
    m = af.AttentionModel(d=d, beta=beta, A=A, normalization="usa")
    x = af.sphere.uniform(6, d, seed=1)
    grad = th.energy_gradient(m, x)
    H = th.energy_hessian(m, x)
    np.testing.assert_allclose(np.sum(grad * x, axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(H, H.T, atol=1e-15)
    assert np.abs(H @ x.ravel()).max() < 1e-14             # zero on normal directions
    h = 1e-3
    for _ in range(3):
        u = af.sphere.tangent_project(x, rng.standard_normal(x.shape))

        def E(s, u=u):
            return af.observables.energy(m, expmap(x, u, s))

        d1 = (-E(2 * h) + 8 * E(h) - 8 * E(-h) + E(-2 * h)) / (12 * h)
        d2 = (-E(2 * h) + 16 * E(h) - 30 * E(0) + 16 * E(-h) - E(-2 * h)) / (12 * h * h)
        assert abs(d1 - np.sum(grad * u)) < 1e-9               # measured ~1e-11
        assert abs(d2 - u.ravel() @ H @ u.ravel()) < 1e-8      # measured ~3e-10


def test_velocity_is_N_times_energy_gradient():
    # USA with V = A symmetric (incl. A = V = I): velocity = N grad E exactly
    rng = np.random.default_rng(0)
    S = rng.standard_normal((3, 3))
    S = (S + S.T) / 2
    x = af.sphere.uniform(50, 3, seed=2)
    for A, V in ((None, None), (S, S)):
        m = af.AttentionModel(d=3, beta=1.3, A=A, V=V, normalization="usa")
        np.testing.assert_allclose(af.velocity(m, x), 50 * th.energy_gradient(m, x), rtol=1e-12, atol=1e-13)
    # not for a non-symmetric A = V (then the flow is not a gradient flow of E)
    B = rng.standard_normal((3, 3))
    m = af.AttentionModel(d=3, beta=1.3, A=B, V=B, normalization="usa")
    assert np.abs(af.velocity(m, x) - 50 * th.energy_gradient(m, x)).max() > 1e-2


def test_hessian_top_eigenvalue_critical_points():
    m = af.AttentionModel(d=2, beta=1.0, normalization="usa")
    tri = af.sphere.angles_to_points(2 * np.pi * np.arange(3) / 3)
    assert np.abs(th.energy_gradient(m, tri)).max() < 1e-15         # a critical point
    assert th.hessian_top_eigenvalue(m, tri) > 0.2                  # unstable (0.2527)
    cluster = np.tile([[0.6, 0.8]], (5, 1))
    top = th.hessian_top_eigenvalue(m, cluster)
    assert -1e-12 < top <= 1e-12                                      # the joint rotation: 0
    assert th.hessian_top_eigenvalue(m.replace(d=3), np.tile([0.0, 0.6, 0.8], (4, 1))) <= 1e-12
    # Diracs at eigenvectors of a symmetric A: the top one is a local max, the others saddles
    m3 = af.AttentionModel(d=3, beta=1.0, A=np.diag([3.0, 2.0, 1.0]), normalization="usa")
    tops = [th.hessian_top_eigenvalue(m3, np.tile(e, (4, 1))) for e in np.eye(3)]
    assert tops[0] < 0 < tops[1] and tops[2] > 0
    with pytest.raises(ValueError, match="n\\*d"):
        th.energy_hessian(m.replace(d=4), af.sphere.uniform(1001, 4, seed=0))


# -- 6. small-beta clustering rates [C] ---------------------------------------------------------------
@pytest.mark.parametrize("norm", ["usa", "sa"])
@pytest.mark.parametrize("beta", [0.1, 1.0, -0.5])
def test_clustering_rates_near_a_dirac(norm, beta):
    info = th.clustering_rate_bounds(beta, norm)
    assert info["proven_rate"] == (0.01 if norm == "usa" else None)
    assert info["pairwise_rate"] == 2 * info["observed_rate"]
    rate = info["observed_rate"]
    assert rate == pytest.approx(math.exp(beta) if norm == "usa" else 1.0)
    x0 = af.sphere.von_mises_fisher(30, [0, 0, 1.0], 5.0, seed=0)
    T = 12 / rate
    ts = np.linspace(0, T, 13)
    sol = af.simulate(af.AttentionModel(d=3, beta=beta, normalization=norm), x0, T, T / 300, save_at=ts)
    w2 = np.sqrt(2 * (1 - np.array([af.observables.order_parameter(x) for x in sol.x])))
    slope = -np.diff(np.log(w2))[8:11] / np.diff(ts)[8:11]          # W_2 from 3e-4 to 2e-5
    np.testing.assert_allclose(slope, rate, rtol=1e-5)           # measured ~1e-7
    assert rate > 100 * 0.01 * 0.5                               # the proven 1/100 is very conservative


# -- 7. zero temperature [L] --------------------------------------------------------------------------
A42 = np.diag([1.0, 4.0, 1.0])
V42 = np.diag([2.0, 1.0, 0.5])


def test_zero_temperature_example_section_4_2():
    Pi = th.zero_temperature_map(A42, V42)
    np.testing.assert_allclose(Pi.M, np.diag([2.0, 4.0, 0.5]))
    np.testing.assert_allclose(np.abs(Pi.basis[:, 0]), [0, 1, 0])
    assert Pi.gap == 2.0
    assert th.zero_temperature_rate(A42, V42) == pytest.approx(0.5)
    assert th.zero_temperature_rate(A42, V42, kind="global") == pytest.approx(0.5)
    x = af.sphere.uniform(200, 3, seed=0)
    img = th.push_forward(x, Pi)
    np.testing.assert_allclose(img, np.sign(x[:, 1:2]) * np.array([0.0, 1.0, 0.0]), atol=1e-15)
    np.testing.assert_allclose(Pi(x[0]), img[0])
    with pytest.raises(ValueError, match="E\\^perp"):
        Pi(np.array([[1.0, 0.0, 0.0]]))
    # a two-dimensional top eigenspace: Pi normalizes the projection onto it
    P2 = th.zero_temperature_map(np.eye(3), np.diag([3.0, 3.0, 1.0]))
    assert P2.basis.shape == (3, 2)
    np.testing.assert_allclose(P2(np.array([0.6, 0.0, 0.8])), [1.0, 0.0, 0.0], atol=1e-15)
    # M = diag(3, 3, 1): E = span(e1, e2), gap 2; local 2/max_E|A e| = 1, global 2/||A|| = 0.5
    A3, V3 = np.diag([1.0, 2.0, 4.0]), np.diag([3.0, 1.5, 0.25])
    assert th.zero_temperature_rate(A3, V3) == pytest.approx(1.0)
    assert th.zero_temperature_rate(A3, V3, kind="global") == pytest.approx(0.5)


def test_zero_temperature_rejects_non_symmetric_and_gapless():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="non-symmetric"):
        th.zero_temperature_map(rng.standard_normal((3, 3)), np.eye(3))
    with pytest.raises(ValueError, match="spectral gap"):
        th.zero_temperature_rate(np.eye(3), 2 * np.eye(3))
    with pytest.raises(ValueError, match="same size"):
        th.zero_temperature_map(np.eye(3), np.eye(2))
    with pytest.raises(ValueError, match="callable"):
        th.push_forward(np.eye(3), "Pi")


def test_hardmax_field_is_the_large_beta_limit_of_the_sa_field():
    # attnflow's SA field on a dense quasi-uniform sample equals A_3(kappa) v_inf(x) with
    # v_inf = P_x V A x/|A x| and A_3(kappa) = coth kappa - 1/kappa, kappa = beta |A x| (the
    # von Mises-Fisher mean); A non-symmetric with M = V A symmetric, so the convention
    # y* = A x/|A x| (not A^T x/|A^T x|) is what is tested.
    rng = np.random.default_rng(4)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    S = Q @ np.diag([2.0, 1.0, 0.5]) @ Q.T
    V = np.diag([1.0, 1.5, 0.8])
    A = np.linalg.solve(V, S)                                 # M = V A = S
    assert np.abs(A - A.T).max() > 0.1
    Pi = th.zero_temperature_map(A, V)
    y = fibonacci_sphere(4000)
    for beta in (20.0, 80.0):
        v = af.velocity(af.AttentionModel(d=3, beta=beta, A=A, V=V, normalization="sa"), y)
        kappa = beta * np.linalg.norm(y @ A.T, axis=1)
        vinf = Pi.velocity(y)
        assert np.abs(v - (1 / np.tanh(kappa) - 1 / kappa)[:, None] * vinf).max() < 2e-3   # measured ~5e-4
        at = y @ A                                               # the transposed convention
        wrong = at / np.linalg.norm(at, axis=1, keepdims=True) @ V.T
        wrong -= np.sum(y * wrong, axis=1, keepdims=True) * y
        assert np.abs(v - wrong).max() > 0.1


def test_zero_temperature_flow_converges_to_pi_at_rate_c():
    Pi = th.zero_temperature_map(A42, V42)
    x0 = af.sphere.uniform(300, 3, seed=0)
    ts = np.array([0.0, 4, 8, 12, 16])

    def f(_t, z):
        x = z.reshape(-1, 3)
        return Pi.velocity(x / np.linalg.norm(x, axis=1, keepdims=True)).ravel()

    sol = solve_ivp(f, (0, 16), x0.ravel(), t_eval=ts, rtol=1e-10, atol=1e-12)
    X = sol.y.T.reshape(len(ts), -1, 3)
    X /= np.linalg.norm(X, axis=2, keepdims=True)
    dist = np.linalg.norm(X - Pi(x0)[None], axis=2)
    assert dist.mean(axis=1)[0] > 0.9 and dist.mean(axis=1)[-1] < 1e-3
    rates = -np.diff(np.log(np.median(dist, axis=1))) / 4
    assert rates[-1] == pytest.approx(th.zero_temperature_rate(A42, V42), rel=0.01)   # measured 0.5000
    assert np.all(rates >= 0.5 * (1 - 1e-3))                                         # c is a lower bound


def test_sa_flow_concentrates_on_pi_at_large_beta():
    # SA, beta = 30, §4.2 matrices: at t = 4 the tokens sit near Pi(x_0) (zero temperature:
    # mean distance 0.127), before the terminal phase moves them toward V's top eigenvector
    x0 = af.sphere.uniform(300, 3, seed=0)
    Pi = th.zero_temperature_map(A42, V42)
    m = af.AttentionModel(d=3, beta=30.0, A=A42, V=V42, normalization="sa")
    sol = af.simulate(m, x0, 4.0, 0.02, save_at=[0.0, 4.0])
    dist = np.linalg.norm(sol.x - Pi(x0)[None], axis=2).mean(axis=1)
    assert dist[0] > 0.9 and dist[1] < 0.2


def test_wasserstein_bound_and_optimal_time():
    beta, C, c = 200.0, 1.5, 0.5
    a = math.sqrt(math.log(beta + 1) / beta)
    assert th.wasserstein_bound(beta, 0.0, C, c) == pytest.approx(a + 1)
    t = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(th.wasserstein_bound(beta, t, C, c, prefactor=2.0),
                               2 * a * np.exp(C * t) + np.exp(-c * t))
    t_star = th.optimal_time(beta, C, c)
    res = minimize_scalar(lambda s: th.wasserstein_bound(beta, s, C, c), bounds=(0, 20), method="bounded",
                          options={"xatol": 1e-10})
    assert t_star == pytest.approx(res.x, abs=1e-6)
    assert th.optimal_time(1.0, 1.0, 0.01) == 0.0               # clipped at 0
    # grows like ln(beta/log beta)/(2 (C + c))
    b = np.array([1e4, 1e8])
    ts = th.optimal_time(b, C, c)
    assert ts[1] - ts[0] == pytest.approx(np.diff(np.log(b / np.log(b + 1)))[0] / (2 * (C + c)), rel=1e-3)
    with pytest.raises(ValueError, match="beta"):
        th.wasserstein_bound(0.0, 1.0, C, c)
    with pytest.raises(ValueError, match="c="):
        th.optimal_time(10.0, C, 0.0)


# -- validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "match"), [
    (lambda: th.kernel_coefficients(1.0, 1, 3), "d=1"),
    (lambda: th.kernel_coefficients(1.0, 3, -1), "K=-1"),
    (lambda: th.kernel_coefficients(float("nan"), 3, 2), "beta"),
    (lambda: th.growth_rates(1.0, 3, 2, "softmax"), "normalization"),
    (lambda: th.k_max(1.0, 3, K=0), "K=0"),
    (lambda: th.linear_phase_end(0, 1.0, 2), "N=0"),
    (lambda: th.energy_gradient("model", np.eye(2)), "model"),
    (lambda: th.energy_gradient(af.AttentionModel(d=2, beta=1.0), np.ones((3, 2))), "unit sphere"),
    (lambda: th.energy_gradient(af.AttentionModel(d=2, beta=1.0), np.ones((3, 3))), "shape"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_public_api():
    for name in th.__all__:
        assert hasattr(th, name)
        assert getattr(th, name).__doc__
