"""The spectral (Fourier / spherical-harmonic) evaluator against the dense reference."""

import numpy as np
import pytest
from conftest import naive_output
from scipy.special import eval_legendre

import attnflow as af
from attnflow.velocity import dense, resolve_backend, spectral


def _points(kind, n, d, seed=1):
    if kind == "uniform":
        return af.sphere.uniform(n, d, seed=seed)
    return af.sphere.von_mises_fisher(n, np.eye(d)[-1], 8.0, seed=seed)


def _rel(a, b):
    """max abs error / max abs value."""
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["sa", "usa"])
@pytest.mark.parametrize("beta", [0.1, 1.0, 9.0, 30.0, -2.0, 0.0])
@pytest.mark.parametrize("kind", ["uniform", "vmf"])
@pytest.mark.parametrize("n", [10, 1000])
def test_matches_dense(d, norm, beta, kind, n):
    m = af.AttentionModel(d=d, beta=beta, normalization=norm)
    x = _points(kind, n, d)
    ref = dense.attention_output(m, x)
    y = af.attention_output(m, x, backend="spectral")
    assert y.shape == x.shape and y.dtype == np.float64
    assert _rel(y, ref) < 1e-11
    v_ref = af.velocity(m, x, backend="dense")
    assert _rel(af.velocity(m, x, backend="spectral"), v_ref) < 1e-11


@pytest.mark.parametrize("d", [2, 3])
def test_matches_full_matrix_oracle(d):
    # independent of dense.py: the test suite's own full-matrix formula
    m = af.AttentionModel(d=d, beta=3.0, normalization="sa")
    x = af.sphere.uniform(300, d, seed=8)
    ref = naive_output(3.0, np.eye(d), np.eye(d), x, "sa")
    assert _rel(spectral.attention_output(m, x), ref) < 1e-12


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
    ref = dense.attention_output(m, x)
    y = spectral.attention_output(m, x)
    row = np.linalg.norm(y - ref, axis=1) / np.linalg.norm(ref, axis=1)
    assert row.max() < 1e-11


@pytest.mark.parametrize("d", [2, 3])
def test_blocks_do_not_matter(d):
    m = af.AttentionModel(d=d, beta=5.0, normalization="usa")
    x = af.sphere.uniform(203, d, seed=4)
    y = spectral.attention_output(m, x)
    for block in (1, 7, 64, 1000):
        np.testing.assert_allclose(spectral.attention_output(m, x, block=block), y,
                                   rtol=0, atol=1e-13 * np.abs(y).max())


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
    # first omitted term below 1e-18 of the leading one; K ~ sqrt(83 beta) for large beta
    assert spectral.order(2, 0.0) == 0
    assert spectral.order(2, 9.0) == spectral.order(2, -9.0)
    assert 25 <= spectral.order(2, 9.0) <= 45
    assert 25 <= spectral.order(3, 9.0) <= 45
    assert spectral.harmonic_count(3, 9.0) == (spectral.order(3, 9.0) + 1) * (spectral.order(3, 9.0) + 2) // 2


@pytest.mark.parametrize("d", [2, 3])
def test_float32(d):
    m = af.AttentionModel(d=d, beta=4.0, normalization="sa")
    x = af.sphere.uniform(500, d, seed=6)
    ref = dense.attention_output(m, x)
    y32 = af.attention_output(m, x.astype(np.float32), backend="spectral")
    assert y32.dtype == np.float32
    assert _rel(y32.astype(np.float64), ref) < 1e-5
    v32 = af.velocity(m, x.astype(np.float32), backend="spectral")
    assert v32.dtype == np.float32


@pytest.mark.parametrize("d", [2, 3])
def test_batch_equals_single(d):
    m = af.AttentionModel(d=d, beta=2.0, normalization="usa")
    xb = af.sphere.uniform(60, d, seed=7, batch=3)
    yb = af.attention_output(m, xb, backend="spectral")
    assert yb.shape == xb.shape
    for b in range(3):
        np.testing.assert_array_equal(yb[b], af.attention_output(m, xb[b], backend="spectral"))


def test_off_sphere_points_use_the_radial_projection():
    # the RK4 stages evaluate the field slightly off the sphere: this backend uses x / |x|
    m = af.AttentionModel(d=3, beta=2.0, normalization="usa")
    x = af.sphere.uniform(40, 3, seed=9)
    r = 1.0 + 0.01 * np.random.default_rng(0).random((40, 1))
    np.testing.assert_allclose(spectral.attention_output(m, r * x), spectral.attention_output(m, x),
                               rtol=1e-13, atol=1e-14)


def test_auto_selection():
    circle = af.AttentionModel(d=2, beta=9.0)
    big = af.sphere.uniform(4096, 2, seed=0)
    small = af.sphere.uniform(16, 2, seed=0)
    assert resolve_backend(circle, big).name == "spectral"
    assert resolve_backend(circle, small).name in ("dense", "numba")   # too small for spectral
    assert resolve_backend(circle, small, "spectral").name == "spectral"   # explicit: any n
    s2 = af.AttentionModel(d=3, beta=1.0)
    assert resolve_backend(s2, af.sphere.uniform(4096, 3, seed=0)).name == "spectral"
    general = af.AttentionModel(d=2, beta=9.0, A=np.diag([1.0, 2.0]))
    assert resolve_backend(general, big).name in ("dense", "numba")  # spectral does not apply
    d4 = af.AttentionModel(d=4, beta=1.0)
    x4 = af.sphere.uniform(8192, 4, seed=0)
    assert resolve_backend(d4, x4).name in ("dense", "numba")
    for model, x in ((general, big), (d4, x4)):
        with pytest.raises(ValueError, match="does not apply"):
            af.velocity(model, x, backend="spectral")
    with pytest.raises(ValueError, match="A = V = I"):
        spectral.attention_output(d4, x4)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("norm", ["sa", "usa"])
def test_rk4_run_matches_dense(d, norm):
    # the two backends extend the field off the sphere differently, so the RK4 trajectories
    # differ at the level of the RK4 error (O(dt^4)), here far below 1e-9
    m = af.AttentionModel(d=d, beta=1.0, normalization=norm)
    x0 = af.sphere.uniform(64, d, seed=3)
    times = np.linspace(0.0, 1.0, 5)
    a = af.simulate(m, x0, t1=1.0, dt=0.01, method="rk4", save_at=times, backend="spectral")
    b = af.simulate(m, x0, t1=1.0, dt=0.01, method="rk4", save_at=times, backend="dense")
    assert a.metadata["backend"] == "spectral" and b.metadata["backend"] == "dense"
    assert np.abs(a.x - b.x).max() < 1e-9


@pytest.mark.parametrize("d", [2, 3])
def test_usa_overflow_is_reported(d):
    m = af.AttentionModel(d=d, beta=800.0, normalization="usa")
    x = af.sphere.uniform(10, d, seed=0)
    with pytest.raises(FloatingPointError, match=r"overflows.*normalization='sa'"):
        af.velocity(m, x, backend="spectral")
    y = af.attention_output(m.replace(normalization="sa"), x, backend="spectral")   # SA is fine
    np.testing.assert_allclose(y, dense.attention_output(m.replace(normalization="sa"), x),
                               rtol=0, atol=1e-11)


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
