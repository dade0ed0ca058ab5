"""The spectral (Fourier / spherical-harmonic) evaluator: clustered states, truncation, range.

Agreement with the exact formula on uniform points, overflow, batches and float32 run for every
backend in tests/test_backends.py.
"""

import numpy as np
import pytest
from conftest import naive_output
from scipy.special import eval_legendre

import attnflow as af
from attnflow.backends import prepare, spectral

# measured worst cases (max abs error / max abs value, or per row) and the bounds used here
TOL_DENSE = 1e-13     # clustered states, n = 1000: measured 2.5e-14
TOL_ROW = 5e-13       # every row of isolated / repelled tokens: measured 1.7e-13
TOL_BLOCK = 1e-14     # block sizes: measured 2.9e-15 (13 eps)
TOL_RADIAL = 1e-15    # x and r x, r in [1, 1.01]: measured 4.2e-16 (1.9 eps)
TOL_RK4 = 5e-12       # RK4 trajectories of the two extensions of the field: measured 1.2e-12


def _out(model, x, backend="spectral", options=None):
    return prepare(model, x, backend, options).output(x)


def _rel(a, b):
    """max abs error / max abs value."""
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [0.1, 1.0, 9.0, 30.0, -2.0, 0.0])
def test_clustered_state_matches_dense(d, norm, beta):
    # a von Mises-Fisher cluster of 1000 tokens (uniform points: tests/test_backends.py)
    m = af.AttentionModel(d=d, beta=beta, normalization=norm)
    x = af.sphere.von_mises_fisher(1000, np.eye(d)[-1], 8.0, seed=1)
    y = _out(m, x)
    assert y.shape == x.shape and y.dtype == np.float64
    assert _rel(y, _out(m, x, "dense")) < TOL_DENSE


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [60.0, -30.0])
def test_every_row_accurate_isolated_and_repelled(d, norm, beta):
    # a tight cluster plus a few isolated tokens: at large beta the isolated rows and at
    # negative beta the clustered rows have tiny Z_i and are summed exactly; every row must
    # keep its own relative accuracy
    m = af.AttentionModel(d=d, beta=beta, normalization=norm)
    x = af.sphere.von_mises_fisher(500, np.eye(d)[0], 40.0, seed=2)
    x[:4] = af.sphere.uniform(4, d, seed=3)
    ref = _out(m, x, "dense")
    y = _out(m, x)
    row = np.linalg.norm(y - ref, axis=1) / np.linalg.norm(ref, axis=1)
    assert row.max() < TOL_ROW


@pytest.mark.parametrize("d", [2, 3])
def test_blocks_do_not_matter(d):
    m = af.AttentionModel(d=d, beta=5.0, normalization="usa")
    x = af.sphere.uniform(203, d, seed=4)
    y = _out(m, x)
    for block in (1, 7, 64, 1000):
        assert _rel(_out(m, x, options={"block": block}), y) <= TOL_BLOCK


def test_addition_theorem_of_the_harmonic_table():
    # sum_m eps_m q_lm(x) q_lm(y) Re(E_m(y) conj E_m(x)) = (2l + 1) P_l(<x, y>)
    L = 40
    nh = (L + 1) * (L + 2) // 2
    x = af.sphere.uniform(50, 3, seed=5)
    x[0] = [0.0, 0.0, 1.0]                                 # a pole
    H = spectral._harmonics(x, L, np.empty((2 * nh, 50)))
    l_of = np.repeat(np.arange(L + 1), np.arange(1, L + 2))
    m_of = np.arange(nh) - l_of * (l_of + 1) // 2
    eps = np.where(m_of == 0, 1.0, 2.0)
    t = np.clip(x @ x.T, -1, 1)
    for l in (0, 1, 2, 7, 40):
        sel = l_of == l
        re, im = H[:nh][sel], H[nh:][sel]
        got = (eps[sel, None] * re).T @ re + (eps[sel, None] * im).T @ im
        np.testing.assert_allclose(got, (2 * l + 1) * eval_legendre(l, t), rtol=0,
                                   atol=1e-12 * (2 * l + 1))


def test_truncation_orders():
    # first omitted term below 1e-18 of the leading one; K ~ sqrt(84 beta) for large beta
    assert spectral.order(2, 0.0) == 0
    assert spectral.order(2, 9.0) == spectral.order(2, -9.0)
    assert 25 <= spectral.order(2, 9.0) <= 45
    assert 25 <= spectral.order(3, 9.0) <= 45
    assert spectral.harmonic_count(3, 9.0) == (spectral.order(3, 9.0) + 1) * (spectral.order(3, 9.0) + 2) // 2
    assert abs(spectral.order(2, 1e6) / np.sqrt(84e6) - 1) < 0.01


def test_range_of_beta():
    # the order stays within MAX_ORDER; beyond, the backend does not apply (answered at once)
    for d, beta_max in ((2, 3.18e6), (3, 2.7e3)):
        for sign in (1, -1):
            assert spectral.order(d, sign * beta_max) <= spectral.MAX_ORDER[d]
            assert spectral.supports(af.AttentionModel(d=d, beta=sign * beta_max))
            assert not spectral.supports(af.AttentionModel(d=d, beta=sign * 1.01 * beta_max))
        for beta in (2e9, 1e12, 1e300):
            assert not spectral.supports(af.AttentionModel(d=d, beta=beta))
            with pytest.raises(ValueError, match=r"beta=.*beyond order .*backend='numba'"):
                spectral.order(d, beta)


def test_off_sphere_points_use_the_radial_projection():
    # the RK4 stages evaluate the field slightly off the sphere: this backend uses x / |x|
    m = af.AttentionModel(d=3, beta=2.0, normalization="usa")
    x = af.sphere.uniform(40, 3, seed=9)
    r = 1.0 + 0.01 * np.random.default_rng(0).random((40, 1))
    ev = prepare(m, x, "spectral")
    assert _rel(ev.output(r * x), ev.output(x)) <= TOL_RADIAL


def test_auto_selection():
    circle = af.AttentionModel(d=2, beta=9.0)
    big = af.sphere.uniform(4096, 2, seed=0)
    small = af.sphere.uniform(16, 2, seed=0)
    assert prepare(circle, big).name == "spectral"
    assert prepare(circle, small).name == "dense"                   # too small for spectral
    assert prepare(circle, small, "spectral").name == "spectral"    # explicit: any n
    s2 = af.AttentionModel(d=3, beta=1.0)
    assert prepare(s2, af.sphere.uniform(4096, 3, seed=0)).name == "spectral"
    general = af.AttentionModel(d=2, beta=9.0, A=np.diag([1.0, 2.0]))
    assert prepare(general, big).name == "numba"                    # spectral does not apply
    d4 = af.AttentionModel(d=4, beta=1.0)
    x4 = af.sphere.uniform(8192, 4, seed=0)
    assert prepare(d4, x4).name == "numba"
    for model, x in ((general, big), (d4, x4)):
        with pytest.raises(ValueError, match=r"does not apply.*A = V = I"):
            af.velocity(model, x, backend="spectral")
    with pytest.raises(ValueError, match="A = V = I"):
        spectral.prepare(d4, np.float64)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["sa", "usa"])
def test_rk4_run_matches_dense(d, norm):
    # the two backends extend the field off the sphere differently, so the RK4 trajectories
    # differ at the level of the RK4 error (O(dt^4)), not of rounding
    m = af.AttentionModel(d=d, beta=1.0, normalization=norm)
    x0 = af.sphere.uniform(64, d, seed=3)
    times = np.linspace(0.0, 1.0, 5)
    a = af.simulate(m, x0, t1=1.0, dt=0.01, method="rk4", save_at=times, backend="spectral")
    b = af.simulate(m, x0, t1=1.0, dt=0.01, method="rk4", save_at=times, backend="dense")
    assert a.metadata["backend"] == "spectral" and b.metadata["backend"] == "dense"
    assert np.abs(a.x - b.x).max() < TOL_RK4


def test_rk4_order_is_kept_with_the_radial_extension():
    from scipy.integrate import solve_ivp

    m = af.AttentionModel(d=3, beta=2.0, normalization="usa")
    x0 = af.sphere.uniform(12, 3, seed=11)

    def rhs(_t, z):
        z = z.reshape(12, 3)
        y = naive_output(2.0, np.eye(3), np.eye(3), z, "usa")
        return (y - np.sum(z * y, axis=1, keepdims=True) * z).ravel()

    ref = solve_ivp(rhs, (0, 1), x0.ravel(), method="DOP853", rtol=1e-13, atol=1e-13).y[:, -1]
    dts = [0.2, 0.1, 0.05]
    errs = [np.abs(af.simulate(m, x0, 1.0, dt, "rk4", backend="spectral").x[-1].ravel() - ref).max()
            for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 3.6 < slope < 4.6
