import numpy as np
import pytest
from conftest import naive_velocity
from scipy.integrate import solve_ivp

import attnflow as af


def _reference(model, x0, times):
    """Tight independent solve of the stated ODE (full-matrix field, DOP853)."""
    n, d = x0.shape
    A, V = model.A_matrix, model.V_matrix

    def rhs(_t, z):
        return naive_velocity(model.beta, A, V, z.reshape(n, d), model.normalization).ravel()

    out = solve_ivp(rhs, (times[0], times[-1]), x0.ravel(), method="DOP853", t_eval=times,
                    rtol=1e-13, atol=1e-13)
    assert out.success
    return out.y.T.reshape(len(times), n, d)


def _random_model(d, beta, norm, seed):
    rng = np.random.default_rng(seed)
    return af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                             V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=norm)


CASES = {
    "usa-circle": (_random_model(2, 2.0, "usa", 0), 16),
    "sa-S3": (_random_model(4, 3.0, "sa", 1), 16),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rk4_matches_tight_ode_solve(case):
    model, n = CASES[case]
    x0 = af.sphere.uniform(n, model.d, seed=7)
    times = np.linspace(0, 4, 9)
    sol = af.simulate(model, x0, t1=4.0, dt=0.01, method="rk4", save_at=times)
    ref = _reference(model, x0, times)
    np.testing.assert_array_equal(sol.t, times)                     # save times hit exactly
    assert np.abs(sol.x - ref).max() < 5e-10                       # measured 1.4e-10
    np.testing.assert_allclose(np.linalg.norm(sol.x, axis=-1), 1.0, atol=1e-12)


@pytest.mark.parametrize("rtol", [1e-6, 1e-9])
def test_adaptive_meets_tolerance(rtol):
    model, n = CASES["usa-circle"]
    x0 = af.sphere.uniform(n, 2, seed=1)
    times = np.linspace(0, 4, 5)
    sol = af.simulate(model, x0, 4.0, 0.1, "dopri5", save_at=times, rtol=rtol, atol=rtol / 100)
    err = np.abs(sol.x - _reference(model, x0, times)).max()
    assert err < 2 * rtol, err                                      # measured 0.14-0.3 rtol
    np.testing.assert_array_equal(sol.t, times)
    np.testing.assert_allclose(np.linalg.norm(sol.x, axis=-1), 1.0, atol=1e-12)
    assert sol.metadata["n_steps"] > 0


@pytest.mark.parametrize("model", [
    af.AttentionModel(d=3, beta=2.0, normalization="usa"),
    af.AttentionModel(d=3, beta=2.0, normalization="sa"),
    af.AttentionModel(d=2, beta=5.0, normalization="usa"),
])
def test_energy_non_decreasing_gradient_flows(model):
    x0 = af.sphere.uniform(60, model.d, seed=11)
    sol = af.simulate(model, x0, 6.0, 0.01, "rk4", save_at=np.linspace(0, 6, 121),
                      observables=["energy"])
    e = sol.observables["energy"]
    assert np.all(np.diff(e) >= -1e-12 * np.abs(e).max())
    assert e[-1] > e[0] * (1 + 1e-3)                  # it really moved


def test_energy_non_decreasing_usa_v_equals_a_symmetric():
    g = np.random.default_rng(4).standard_normal((3, 3))
    S = (g + g.T) / 3
    model = af.AttentionModel(d=3, beta=1.5, A=S, V=S, normalization="usa")
    sol = af.simulate(model, af.sphere.uniform(50, 3, seed=2), 5.0, 0.01, "rk4",
                      save_at=np.linspace(0, 5, 101), observables=["energy"])
    e = sol.observables["energy"]
    assert np.all(np.diff(e) >= -1e-12 * np.abs(e).max())
    assert e[-1] > e[0]


@pytest.mark.parametrize("method", ["layer", "euler", "rk4"])
def test_batch_equals_single_runs(method):
    model = _random_model(3, 1.0, "sa", 5)
    xb = af.sphere.uniform(20, 3, seed=8, batch=3)
    names = ["order_parameter", "clustering_density", "energy", "cluster_count"]
    # registry observables see the whole batch at once, a user's callable one member at a time
    user = {"first_coordinate": lambda m, x: float(x[0, 0])}
    sb = af.simulate(model, xb, 1.0, 0.05, method, save_at=[0, 0.5, 1.0], observables=[*names, user])
    assert sb.x.shape == (3, 3, 20, 3) and sb.observables["order_parameter"].shape == (3, 3)
    for b in range(3):
        s1 = af.simulate(model, xb[b], 1.0, 0.05, method, save_at=[0, 0.5, 1.0],
                         observables=[*names, user])
        np.testing.assert_array_equal(sb.x[:, b], s1.x)
        for name in [*names, "first_coordinate"]:
            np.testing.assert_array_equal(sb.observables[name][:, b], s1.observables[name])


def test_permuting_particles_permutes_trajectories():
    model = _random_model(3, 2.0, "usa", 6)
    x0 = af.sphere.uniform(30, 3, seed=9)
    perm = np.random.default_rng(1).permutation(30)
    a = af.simulate(model, x0, 1.0, 0.05).x
    b = af.simulate(model, x0[perm], 1.0, 0.05).x
    np.testing.assert_allclose(b, a[:, perm], rtol=1e-12, atol=1e-13)


def test_save_times_off_grid_and_states_optional():
    model = af.AttentionModel(d=2, beta=1.0)
    x0 = af.sphere.uniform(10, 2, seed=0)
    save = [0.0, 0.0333, 0.5, 0.77777, 1.0]
    sol = af.simulate(model, x0, 1.0, 0.1, "rk4", save_at=save)
    np.testing.assert_array_equal(sol.t, save)
    assert af.integrate.time_grid(0.0, 1.0, 0.1, np.array(save)).size == 13  # 11 + 2 saves
    lean = af.simulate(model, x0, 1.0, 0.1, "rk4", save_at=save, save_states=False,
                       observables=["energy", "order_parameter"])
    assert lean.x is None and lean.observables["energy"].shape == (5,)
    np.testing.assert_allclose(lean.observables["order_parameter"][-1],
                               np.linalg.norm(sol.x[-1].mean(axis=0)), rtol=1e-14)


def test_simulate_input_errors():
    model = af.AttentionModel(d=3, beta=1.0)
    x0 = af.sphere.uniform(5, 3, seed=0)
    with pytest.raises(ValueError, match=r"dt=0.*> 0"):
        af.simulate(model, x0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"dt=-0.1"):
        af.simulate(model, x0, 1.0, -0.1)
    with pytest.raises(ValueError, match=r"save_at=.*outside \[t0, t1\]"):
        af.simulate(model, x0, 1.0, 0.1, save_at=[0.0, 2.0])
    with pytest.raises(ValueError, match=r"method='rk5'.*rk4"):
        af.simulate(model, x0, 1.0, 0.1, "rk5")
    with pytest.raises(ValueError, match=r"x0=.*expected \(n, 3\)"):
        af.simulate(model, np.ones((5, 4)) / 2, 1.0, 0.1)
    bad = x0.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"x0=.*NaN.*index \(3,\)"):
        af.simulate(model, bad, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"method=\['rk4'\]: is not a known integrator"):
        af.simulate(model, x0, 1.0, 0.1, ["rk4"])
    with pytest.raises(ValueError, match=r"normalize='no': is not True or False"):
        af.simulate(model, x0, 1.0, 0.1, normalize="no")
    with pytest.raises(ValueError, match=r"x0=.*is complex"):
        af.simulate(model, x0 + 0j, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"x0=.*batch of zero systems"):
        af.simulate(model, np.empty((0, 5, 3)), 1.0, 0.1)
    with pytest.raises(ValueError, match=r"observables\['vec'\]=.*not one real number"):
        af.simulate(model, x0, 1.0, 0.1, observables={"vec": lambda m, x: x.mean(axis=0)})
    big = af.sphere.uniform(20_000, 3, seed=0)                   # 480 kB a state, 10^5 saves: 48 GB
    with pytest.raises(ValueError, match=r"save_at=.*would keep 44.7 GiB"):
        af.simulate(model, big, 0.2, 0.1, save_at=np.linspace(0, 0.2, 10**5))
    with pytest.raises(ValueError, match=r"x0=.*particle \(0,\).*normalize=True"):
        af.simulate(model, 1.5 * x0, 1.0, 0.1)
    sol = af.simulate(model, 1.5 * x0, 0.2, 0.1, normalize=True)
    np.testing.assert_allclose(sol.x[0], x0, rtol=1e-15)
    with pytest.raises(ValueError, match=r"t1=.*greater than t0"):
        af.simulate(model, x0, 0.0, 0.1)
    with pytest.raises(ValueError, match=r"observables|unknown"):
        af.simulate(model, x0, 1.0, 0.1, observables=["entropy"])


def test_blow_up_is_reported_with_time():
    model = af.AttentionModel(d=3, beta=710.0, normalization="usa")
    with pytest.warns(af.integrate.StepSizeWarning), \
            pytest.raises(FloatingPointError, match=r"at t=0 .*overflow.*step is too large"):
        af.simulate(model, af.sphere.uniform(5, 3, seed=0), 1.0, 0.1)
    model = model.replace(beta=900.0)
    with pytest.raises(FloatingPointError, match=r"overflows float64.*normalization='sa'"):
        af.simulate(model, af.sphere.uniform(5, 3, seed=0), 1.0, 0.1)
