"""Tests of the zonal (axisymmetric) mean-field solver on S^{d-1}.

References are written here independently of the solver: growth rates from
docs/theory/linear-stability.md#growth-rates in
closed form, harmonics from scipy's Gegenbauer/Legendre polynomials, the velocity by direct
2-D quadrature over S^2, and the circle case against CircleSolver.
"""

import warnings

import numpy as np
import pytest
from scipy.integrate import dblquad, quad
from scipy.special import eval_gegenbauer, gamma, iv, roots_jacobi

from attnflow.meanfield.zonal import (
    ResolutionWarning,
    ZonalSolver,
    funk_hecke_eigenvalues,
    harmonic_norms,
    zonal_growth_rates,
    zonal_harmonics,
)
from attnflow.theory import zonal_harmonics_and_derivatives


def _P(k, d, phi):
    """P_k^{(d)}(cos phi), independently of the solver."""
    if d == 2:
        return np.cos(k * phi)
    nu = (d - 2) / 2
    return eval_gegenbauer(k, nu, np.cos(phi)) / eval_gegenbauer(k, nu, 1.0)


def _lambda(k, beta, d):
    """Funk-Hecke eigenvalue of e^{beta t} w.r.t. the normalized measure
    (docs/theory/linear-stability.md#funk-hecke-eigenvalues)."""
    if d == 2:
        return iv(k, beta)
    if d == 3:
        return np.sqrt(np.pi / (2 * beta)) * iv(k + 0.5, beta)
    nu = (d - 2) / 2
    return gamma(d / 2) * (2 / beta) ** nu * iv(k + nu, beta)


def _gamma(k, beta, d, norm):
    g = k * (k + d - 2) * _lambda(k, beta, d) / beta
    return g if norm == "usa" else g / _lambda(0, beta, d)


# -- the basis --------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5, 8])
def test_harmonics_and_norms(d):
    phi = np.linspace(0, np.pi, 37)
    P = zonal_harmonics(np.cos(phi), 12, d)
    for k in range(13):
        np.testing.assert_allclose(P[:, k], _P(k, d, phi), atol=1e-13)
    # derivative against a centred difference in t
    t = np.linspace(-0.9, 0.9, 7)
    hstep = 1e-6
    fd = (zonal_harmonics(t + hstep, 12, d) - zonal_harmonics(t - hstep, 12, d)) / (2 * hstep)
    np.testing.assert_allclose(zonal_harmonics_and_derivatives(t, 12, d)[1], fd, atol=1e-6)
    # int P_k^2 dsigma = 1 / N(d, k) by Gauss-Jacobi quadrature
    a = (d - 3) / 2
    x, w = roots_jacobi(40, a, a)
    w = w / w.sum()
    norms = (zonal_harmonics(x, 12, d) ** 2 * w[:, None]).sum(axis=0)
    np.testing.assert_allclose(norms, harmonic_norms(12, d), rtol=1e-12)
    if d == 3:
        np.testing.assert_allclose(harmonic_norms(5, 3), 1 / (2 * np.arange(6) + 1))


def test_growth_rates_closed_form():
    np.testing.assert_allclose(zonal_growth_rates(5.0, 2, 5)[1:],
                               # docs/theory/checklist.md#rows
                               [4.867, 14.00, 18.59, 16.34, 10.79], rtol=2e-3)
    assert abs(zonal_growth_rates(5.0, 2, 5, "sa")[3] - 0.683) < 1e-3
    for d in (2, 3, 5):
        for norm in ("usa", "sa"):
            k = np.arange(1, 8)
            np.testing.assert_allclose(zonal_growth_rates(2.5, d, 7, norm)[1:],
                                       _gamma(k, 2.5, d, norm), rtol=1e-12)


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("beta", [-2.0, 0.5, 3.0])
def test_funk_hecke_eigenvalues_by_quadrature(d, beta):
    # lambda_k = c_d int_{-1}^{1} e^{beta t} P_k(t) (1 - t^2)^{(d-3)/2} dt, as phi-integral
    w = lambda p: np.sin(p) ** (d - 2)  # noqa: E731
    c = 1 / quad(w, 0, np.pi)[0]
    lam = funk_hecke_eigenvalues(beta, d, 6)
    for k in range(7):
        ref = c * quad(lambda p, k=k: np.exp(beta * np.cos(p)) * _P(k, d, p) * w(p), 0, np.pi,
                       epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        assert abs(lam[k] - ref) < 1e-12 * max(1.0, abs(ref)), (k, lam[k], ref)


def test_beta_zero_is_the_kuramoto_field():
    # beta = 0: X = P_x m with m = int y dmu = (a / 3) e for f = 1 + a cos(phi) on S^2
    a = 0.6
    s = ZonalSolver(0.0, 3, 16)
    np.testing.assert_allclose(s.velocity(lambda phi: 1 + a * np.cos(phi)), -(a / 3) * np.sin(s.phi),
                               atol=1e-15)
    np.testing.assert_allclose(s.growth_rates()[:3], [0, 2 / 3, 0])


# -- mass ------------------------------------------------------------------------------------
@pytest.mark.parametrize("d,norm", [(2, "usa"), (3, "sa"), (5, "usa")])
def test_mass_conserved(d, norm):
    s = ZonalSolver(1.5, d, 48, norm)
    f0 = lambda phi: np.exp(0.5 * np.cos(phi) + 0.3 * np.cos(2 * phi))  # noqa: E731
    sol = s.solve(f0, 0.25, np.linspace(0, 0.25, 6), normalize=True)
    assert sol.status == "complete"
    # independent quadrature of the nodal output
    a = (d - 3) / 2
    x, w = roots_jacobi(48, a, a)
    w = (w / w.sum())[np.argsort(-x)]
    mass = sol.f @ w
    np.testing.assert_allclose(mass, 1.0, atol=1e-10)
    np.testing.assert_allclose(sol.mass(), 1.0, atol=1e-12)
    assert np.abs(sol.f[-1] - sol.f[0]).max() > 0.05        # it did move


# -- linear growth at the uniform measure -----------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("norm", ["usa", "sa"])
@pytest.mark.parametrize("beta", [1.0, 5.0])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_small_mode_grows_at_gamma_k(d, norm, beta, k):
    g = _gamma(k, beta, d, norm)
    gmax = max(_gamma(j, beta, d, norm) for j in range(1, 30))
    # amplitude 1e-7 grows by <= e^4; faster modes seeded by rounding (1e-16) stay < 1e-12
    t1 = min(4.0 / g, 9.0 / gmax)
    sol = ZonalSolver(beta, d, 32, norm).solve(lambda phi: 1 + 1e-7 * _P(k, d, phi), t1,
                                               np.linspace(0, t1, 11))
    assert sol.status == "complete"
    rate = np.polyfit(sol.t, np.log(np.abs(sol.coefficients[:, k])), 1)[0]
    assert abs(rate / g - 1) < 1e-3, (rate, g)


# -- spectral convergence ---------------------------------------------------------------------
@pytest.mark.parametrize("d,norm,beta", [(2, "usa", 1.0), (3, "usa", 1.0), (3, "sa", 5.0), (5, "sa", 1.0)])
def test_spectral_convergence_in_M(d, norm, beta):
    f0 = lambda phi: 1 + 0.5 * np.cos(phi)  # noqa: E731
    t1, dt = 0.5, 0.005                       # a common fixed step: the time error cancels
    ref = ZonalSolver(beta, d, 64, norm).solve(f0, t1, [0, t1], dt=dt)
    assert ref.status == "complete"
    c_ref = ref.coefficients[-1]
    h = harmonic_norms(c_ref.size - 1, d)
    Ms = np.array([6, 9, 12, 15, 18, 24])
    errs = []
    for M in Ms:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResolutionWarning)   # coarse M are under-resolved
            sol = ZonalSolver(beta, d, int(M), norm, tail_tol=1.0).solve(f0, t1, [0, t1], dt=dt)
        c = np.zeros_like(c_ref)
        c[: sol.coefficients.shape[1]] = sol.coefficients[-1]
        errs.append(np.sqrt(np.sum((c - c_ref) ** 2 * h)))      # L2(sigma) error of f(t1)
    errs = np.array(errs)
    slope = np.polyfit(Ms, np.log(errs), 1)[0]                   # log err linear in M
    assert slope < -0.8, errs
    assert errs[0] > 1e-5 and errs[-1] < 1e-11, errs
    assert errs[0] / errs[-1] > 1e7, errs


# -- the velocity, against direct quadrature ----------------------------------------------------
@pytest.mark.parametrize("norm", ["usa", "sa"])
def test_velocity_matches_direct_quadrature_on_S2(norm):
    beta, kappa = 2.0, 1.3
    z = np.sinh(kappa) / kappa                                  # int e^{kappa t} dsigma on S^2
    f = lambda phi: np.exp(kappa * np.cos(phi)) / z  # noqa: E731
    s = ZonalSolver(beta, 3, 48, norm)
    u = s.velocity(f)
    for j in (3, 17, 30, 44):
        ph = s.phi[j]
        x = np.array([np.sin(ph), 0.0, np.cos(ph)])
        e_phi = np.array([np.cos(ph), 0.0, -np.sin(ph)])

        def integrand(psi, p, vec, x=x):
            y = np.array([np.sin(p) * np.cos(psi), np.sin(p) * np.sin(psi), np.cos(p)])
            return np.exp(beta * (x @ y)) * (vec @ y if vec is not None else 1.0) * f(p) \
                * np.sin(p) / (4 * np.pi)

        num = dblquad(integrand, 0, np.pi, 0, 2 * np.pi, args=(e_phi,), epsabs=1e-13, epsrel=1e-13)[0]
        if norm == "sa":
            num /= dblquad(integrand, 0, np.pi, 0, 2 * np.pi, args=(None,), epsabs=1e-13,
                           epsrel=1e-13)[0]
        assert abs(u[j] - num) < 1e-8 * max(1.0, abs(num)), (j, u[j], num)


def test_velocity_matches_quadrature_on_circle():
    beta = 3.0
    f = lambda phi: 1 + 0.6 * np.cos(phi) + 0.2 * np.cos(3 * phi)  # noqa: E731  (rho = f / 2 pi)
    s = ZonalSolver(beta, 2, 40, "usa")
    u = s.velocity(f)
    for j in (2, 11, 25, 37):
        th = s.phi[j]
        num = quad(lambda p, th=th: np.exp(beta * np.cos(p - th)) * np.sin(p - th) * f(abs(p)) / (2 * np.pi),
                   -np.pi, np.pi, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
        assert abs(u[j] - num) < 1e-10, (j, u[j], num)


def test_circle_solver_agrees_on_even_density():
    from attnflow.meanfield import CircleSolver

    beta, t1 = 2.0, 0.25
    f0 = lambda phi: 1 + 0.5 * np.cos(phi) + 0.3 * np.cos(2 * phi)  # noqa: E731
    # the same fixed step removes the (different) time-step errors of the two solvers
    zs = ZonalSolver(beta, 2, 48, "usa").solve(f0, t1, [0, t1], dt=1e-3)
    cs = CircleSolver(beta, 128, "usa").solve(lambda th: f0(th) / (2 * np.pi), t1, [0, t1], dt=1e-3)
    # circle Fourier coefficient rho_hat_k = f_k / 2 for k >= 1 (f = sum f_k cos(k phi))
    rho_hat = cs.fourier(10)[-1].real
    np.testing.assert_allclose(rho_hat[1:], zs.coefficients[-1][1:11] / 2, atol=1e-12)


# -- energy ----------------------------------------------------------------------------------
def test_energy_non_decreasing_and_dissipation_identity():
    beta, d = 1.5, 3
    s = ZonalSolver(beta, d, 64, "usa")
    f0 = lambda phi: 1 + 0.3 * np.cos(phi) - 0.4 * _P(2, 3, phi) + 0.2 * _P(3, 3, phi)  # noqa: E731
    times = np.linspace(0, 1.5, 151)
    sol = s.solve(f0, 1.5, times)
    assert sol.status == "complete"
    E = sol.energy()
    assert np.all(np.diff(E) >= -1e-13 * E[:-1]), np.diff(E).min()
    assert E[-1] > E[0] * 1.01
    # uniform value E[sigma] = Z0 / (2 beta), Z0 = sinh(beta) / beta on S^2
    np.testing.assert_allclose(s.energy(np.eye(s.K + 1)[0]), np.sinh(beta) / beta / (2 * beta), rtol=1e-13)
    # dE/dt = int |X[mu]|^2 dmu = sum_j w_j f_j u_j^2 (a particle-free check of the field)
    for i in (20, 80, 140):
        dE = (E[i + 1] - E[i - 1]) / (times[i + 1] - times[i - 1])
        u = s.velocity(sol.f[i])
        np.testing.assert_allclose(dE, np.sum(sol.weights * sol.f[i] * u**2), rtol=1e-4)


# -- stopping ---------------------------------------------------------------------------------
def test_concentration_stops_with_warning():
    s = ZonalSolver(5.0, 3, 32, "usa")
    with pytest.warns(ResolutionWarning, match="top third"):
        sol = s.solve(lambda phi: 1 + 0.5 * np.cos(phi), 2.0, np.linspace(0, 2, 41))
    assert sol.status == "under-resolved"
    assert 0 < sol.t.size < 41 and sol.t[-1] <= sol.attrs["t_end"] < 2.0
    assert sol.f.shape == (sol.t.size, 32) and sol.coefficients.shape == (sol.t.size, s.K + 1)
    assert "stopped" in sol.message


def test_negative_initial_density_stops_at_once():
    s = ZonalSolver(1.0, 3, 16)
    with pytest.warns(ResolutionWarning, match="min f"):
        sol = s.solve(lambda phi: 1 + 1.5 * np.cos(phi), 1.0)
    assert sol.status == "lost positivity" and sol.t.size == 0 and sol.f.shape == (0, 16)


# -- output -----------------------------------------------------------------------------------
def test_dataset_and_evaluate(tmp_path):
    s = ZonalSolver(1.0, 3, 16, "sa")
    sol = s.solve(lambda phi: 1 + 0.2 * np.cos(phi), 0.2, [0, 0.1, 0.2])
    ds = sol.to_dataset()
    assert ds["f"].dims == ("time", "phi") and ds.sizes["time"] == 3 and ds.sizes["phi"] == 16
    assert ds.attrs["beta"] == 1.0 and ds.attrs["d"] == 3 and ds.attrs["M"] == 16
    assert ds.attrs["normalization"] == "sa" and ds.attrs["status"] == "complete"
    np.testing.assert_allclose(sol.evaluate(sol.phi), sol.f, atol=1e-14)
    np.testing.assert_allclose(sol.f[0], 1 + 0.2 * np.cos(sol.phi), atol=1e-14)
    path = sol.save(tmp_path / "z.nc")
    assert path.exists()


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,name", [
    ({"beta": np.nan, "d": 3, "M": 16}, "beta"),
    ({"beta": 1.0, "d": 1, "M": 16}, "d"),
    ({"beta": 1.0, "d": 3, "M": 2}, "M"),
    ({"beta": 1.0, "d": 3, "M": 16, "normalization": "softmax"}, "normalization"),
    ({"beta": 1.0, "d": 3, "M": 16, "K": 16}, "K"),
    ({"beta": 1.0, "d": 3, "M": 16, "cfl": -1}, "cfl"),
    ({"beta": 800.0, "d": 3, "M": 16}, "beta"),
])
def test_bad_solver_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}="):
        ZonalSolver(**kwargs)


def test_bad_solve_arguments():
    s = ZonalSolver(1.0, 3, 16)
    with pytest.raises(ValueError, match=r"^f0="):
        s.solve(np.ones(15), 1.0)
    with pytest.raises(ValueError, match=r"^f0=.*mass"):
        s.solve(lambda phi: 2 + np.cos(phi), 1.0)
    with pytest.raises(ValueError, match=r"^f0="):
        s.solve(np.full(16, np.nan), 1.0)
    with pytest.raises(ValueError, match=r"^t1="):
        s.solve(np.ones(16), -1.0)
    with pytest.raises(ValueError, match=r"^save_at="):
        s.solve(np.ones(16), 1.0, [0, 2.0])
    with pytest.raises(ValueError, match=r"^save_at="):
        s.solve(np.ones(16), 1.0, [0.5, 0.2])
    with pytest.raises(ValueError, match=r"^dt="):
        s.solve(np.ones(16), 1.0, dt=0.0)
