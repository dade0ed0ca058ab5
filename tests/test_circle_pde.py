import numpy as np
import pytest
from scipy.special import iv

import attnflow as af
from attnflow.meanfield import CircleSolver, ResolutionWarning


def _gamma(k, beta, norm):
    g = k**2 * iv(k, beta) / beta          # docs/theory/linear-stability.md#growth-rates, d = 2
    return g if norm == "usa" else g / iv(0, beta)


@pytest.mark.parametrize("norm", ["usa", "sa"])
@pytest.mark.parametrize("beta,k", [(1.0, 1), (1.0, 2), (5.0, 3), (5.0, 4), (7.0, 4)])
def test_small_mode_grows_at_gamma_k(norm, beta, k):
    g = _gamma(k, beta, norm)
    t1 = 5.0 / g                           # amplitude 1e-7 -> 1.5e-5: still linear
    sol = CircleSolver(beta, 128, norm).solve(lambda th: (1 + 1e-7 * np.cos(k * th)) / (2 * np.pi),
                                              t1, np.linspace(0, t1, 11))
    assert sol.status == "complete"
    rate = np.polyfit(sol.t, np.log(np.abs(sol.fourier(k)[:, k])), 1)[0]
    assert abs(rate / g - 1) < 1e-3, (rate, g)


def test_growth_rates_closed_form():
    s = CircleSolver(5.0, 64, "usa")
    np.testing.assert_allclose(s.growth_rates()[1:9],
                               [4.867, 14.00, 18.59, 16.34, 10.79, 5.704, 2.513, 0.948],
                               # docs/theory/linear-stability.md#growth-rates (measured values quoted there)
                               rtol=2e-3)
    assert np.argmax(s.growth_rates()) == 3


def _nonlinear(M, norm="usa", beta=2.0, t1=0.5, dt=2e-3):
    rho0 = lambda th: (1 + 0.5 * np.cos(th) + 0.3 * np.sin(2 * th)) / (2 * np.pi)  # noqa: E731
    # a fixed small step, so the time error (~dt^4) stays below the spatial one
    return CircleSolver(beta, M, norm, tail_tol=np.inf).solve(rho0, t1, [0, t1], dt=dt)


@pytest.mark.parametrize("norm", ["usa", "sa"])
def test_mass_conserved_and_spectral_convergence(norm):
    ref = _nonlinear(256, norm).fourier(12)[-1]
    errs = []
    for M in (16, 24, 32, 48, 64):
        sol = _nonlinear(M, norm)
        np.testing.assert_allclose(sol.mass(), 1.0, atol=1e-12)
        errs.append(np.abs(sol.fourier(min(12, M // 3))[-1] - ref[: min(12, M // 3) + 1]).max())
    errs = np.array(errs)
    assert np.all(np.diff(np.log(errs)) < -1.0), errs      # each refinement gains > e
    assert errs[-1] < 1e-10, errs              # measured: 5e-12 (USA), 7e-16 (SA)
    # spectral: log error falls linearly in M (fit of log err against M, not log M)
    assert np.polyfit([16, 24, 32, 48, 64], np.log(errs), 1)[0] < -0.3


def test_fourier_path_equals_quadrature_path():
    th = 2 * np.pi * np.arange(96) / 96
    rho = (1 + 0.4 * np.cos(th - 1) + 0.2 * np.cos(3 * th)) / (2 * np.pi)
    for norm in ("usa", "sa"):
        fast = CircleSolver(3.0, 96, norm).velocity(rho)
        quad = CircleSolver(3.0, 96, norm, A=np.eye(2), V=np.eye(2)).velocity(rho)
        np.testing.assert_allclose(quad, fast, atol=1e-13 * np.abs(fast).max())
        # A = 2 I at beta = 1.5 is the identity at beta = 3
        np.testing.assert_allclose(CircleSolver(1.5, 96, norm, A=2 * np.eye(2)).velocity(rho),
                                   fast, rtol=1e-12, atol=1e-14)
    # direct quadrature of the stated integral
    diff = th[None, :] - th[:, None]
    u = (np.exp(3.0 * np.cos(diff)) * np.sin(diff) * rho[None, :]).sum(axis=1) * 2 * np.pi / 96
    np.testing.assert_allclose(CircleSolver(3.0, 96, "usa").velocity(rho), u, atol=1e-13)


def test_matches_particles_through_fourier_modes():
    # N quantile-spaced particles from rho0 and the PDE from rho0: the first modes agree
    # to O(1/N) times the growth over the run (a weak-form check of the coupling)
    beta, N, t1 = 3.0, 1500, 0.3
    rho0 = lambda th: (1 + 0.2 * np.cos(2 * th) + 0.1 * np.sin(3 * th)) / (2 * np.pi)  # noqa: E731
    fine = np.linspace(0, 2 * np.pi, 200001)
    cdf = np.concatenate([[0], np.cumsum((rho0(fine[1:]) + rho0(fine[:-1])) / 2 * np.diff(fine))])
    theta0 = np.interp((np.arange(N) + 0.5) / N, cdf / cdf[-1], fine)
    model = af.AttentionModel(d=2, beta=beta, normalization="usa")
    part = af.simulate(model, af.sphere.angles_to_points(theta0), t1, 0.01, save_at=[0, t1])
    ang = af.sphere.points_to_angles(part.x[-1])
    modes_p = np.exp(-1j * np.outer(np.arange(6), ang)).mean(axis=1)
    pde = CircleSolver(beta, 256, "usa").solve(rho0, t1, [0, t1])
    modes_f = pde.fourier(5)[-1]
    assert np.abs(modes_p - modes_f).max() < 2e-3, np.abs(modes_p - modes_f)
    assert np.abs(modes_f[2]) > 0.2                        # the run did move away from rho0


def test_underresolved_run_stops_with_warning():
    s = CircleSolver(5.0, 64, "usa")
    with pytest.warns(ResolutionWarning, match="under-resolved.*increase M"):
        sol = s.solve(lambda th: (1 + 1e-3 * np.cos(3 * th)) / (2 * np.pi), 2.0)
    assert sol.status == "under-resolved"
    assert sol.t[-1] < 2.0 and sol.rho.shape == (sol.t.size, 64)


def test_save_and_errors(tmp_path):
    sol = _nonlinear(32)
    path = sol.save(tmp_path / "pde.zarr")
    import xarray as xr

    ds = xr.open_zarr(path, consolidated=False)
    np.testing.assert_array_equal(ds["rho"].values, sol.rho)
    assert ds.attrs["beta"] == 2.0 and ds.attrs["status"] == "complete"
    with pytest.raises(ValueError, match="M=31"):
        CircleSolver(1.0, 31)
    s = CircleSolver(1.0, 32)
    with pytest.raises(ValueError, match=r"rho0=.*mass 2.*normalize=True"):
        s.solve(np.full(32, 1 / np.pi), 1.0)
    with pytest.raises(ValueError, match=r"rho0=.*shape \(16,\)"):
        s.solve(np.ones(16), 1.0)
    with pytest.raises(ValueError, match="save_at="):
        s.solve(lambda th: np.full_like(th, 1 / (2 * np.pi)), 1.0, [0.0, 2.0])
    with pytest.raises(ValueError, match="normalization="):
        CircleSolver(1.0, 32, "softmax")
