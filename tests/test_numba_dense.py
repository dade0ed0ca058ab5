import numpy as np
import pytest

pytest.importorskip("numba")

from conftest import naive_output

import attnflow as af
from attnflow.velocity import dense, numba_dense, resolve_backend


def _random_model(d, beta, norm, seed):
    rng = np.random.default_rng(seed)
    return af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                             V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=norm)


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("d", [2, 3, 8, numba_dense.FUSED_MAX_D + 1])     # the last: the chunked kernel
@pytest.mark.parametrize("norm", ["sa", "usa"])
def test_matches_dense(d, norm):
    for beta in (0.1, 1.0, 9.0, 50.0, -2.0):
        m = _random_model(d, beta, norm, seed=d)
        for n in (1, 7, 1000):
            x = af.sphere.uniform(n, d, seed=n + d)
            ref = af.velocity(m, x, backend="dense")
            got = af.velocity(m, x, backend="numba")
            assert got.dtype == np.float64 and got.shape == x.shape
            assert _rel(got, ref) < 1e-13, (beta, n)
            if n == 7:                                   # the unprojected output too
                y = numba_dense.attention_output(m, x)
                assert _rel(y, dense.attention_output(m, x)) < 1e-13


def test_chunk_boundaries():
    # token counts around the chunk size of the chunked kernel (d > FUSED_MAX_D)
    m = _random_model(numba_dense.FUSED_MAX_D + 1, 2.0, "sa", seed=3)
    for n in (numba_dense._CHUNK - 1, numba_dense._CHUNK + 1, 2 * numba_dense._CHUNK + 3):
        x = af.sphere.uniform(n, m.d, seed=n)
        assert _rel(numba_dense.attention_output(m, x), dense.attention_output(m, x)) < 1e-13


def test_exp_against_numpy():
    x = np.concatenate([np.linspace(-745.0, 0.0, 1_000_001),
                        -np.random.default_rng(0).exponential(3.0, 200_000),
                        np.linspace(-0.5, 0.0, 10_001), [-0.0, -5e-324]])
    got = numba_dense.exp_nonpositive(x)
    ref = np.exp(x)
    assert np.all(np.abs(got - ref) <= 2 * np.spacing(ref))          # 2 ulp, subnormals included
    normal = ref > np.finfo(np.float64).tiny
    assert np.max(np.abs(got - ref)[normal] / ref[normal]) <= 4.5e-16
    assert np.all(got[x == 0] == 1.0)
    below = np.array([-745.14, -745.5, -746.0, -800.0, -1e5, -1e300, -np.inf])
    assert np.all(numba_dense.exp_nonpositive(below) == 0.0)
    assert np.all(np.exp(below) == 0.0)


def test_exp_keeps_its_accuracy_inside_a_reassociating_loop():
    # the kernels' sums carry the "reassoc" fast-math flag; the inlined exp must not be rewritten
    from numba import njit

    exp = numba_dense._exp

    @njit(fastmath={"reassoc", "contract", "nsz", "arcp"}, error_model="numpy")
    def sum_exp(x, out):
        s = 0.0
        for i in range(x.size):
            w = exp(x[i])
            out[i] = w
            s += w
        return s

    x = np.concatenate([np.linspace(-745.0, 0.0, 200_001),
                        -np.random.default_rng(1).exponential(2.0, 100_000)])
    out = np.empty_like(x)
    sum_exp(x, out)
    ref = np.exp(x)
    assert np.all(np.abs(out - ref) <= 2 * np.spacing(ref))


@pytest.mark.parametrize("norm", ["sa", "usa"])
def test_large_beta_underflow_rows_recomputed(norm):
    # A x_i points along e_3 while the tokens lie near the equator: the scores beta <A x_i, x_j>
    # stay within [-30, 30] but the bound shift m_i = 3 beta |x_i0| reaches 3000, so every shifted
    # weight of most rows underflows; the exact-max fallback must reproduce the plain formula.
    rng = np.random.default_rng(4)
    th = rng.uniform(0, 2 * np.pi, 50)
    x = np.stack([np.cos(th), np.sin(th), 0.01 * rng.uniform(-1, 1, 50)], axis=1)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    A = np.zeros((3, 3))
    A[2, 0] = 3.0
    beta = 1000.0
    m = af.AttentionModel(d=3, beta=beta, A=A, normalization=norm)
    scores = beta * (x @ A.T) @ x.T
    shift = beta * np.linalg.norm(x @ A.T, axis=1)
    assert np.sum(scores.max(axis=1) - shift < -746) > 20          # the fallback is exercised
    ref = naive_output(beta, A, np.eye(3), x, norm)
    y = af.attention_output(m, x, backend="numba")
    assert np.all(np.isfinite(y))
    assert _rel(y, ref) < 1e-13
    assert _rel(y, af.attention_output(m, x, backend="dense")) < 1e-13


def test_usa_overflow_is_reported():
    m = af.AttentionModel(d=3, beta=800.0, normalization="usa")
    x = af.sphere.uniform(10, 3, seed=0)
    with pytest.raises(FloatingPointError, match=r"overflows.*normalization='sa'"):
        af.velocity(m, x, backend="numba")


def test_batch_equals_single():
    m = _random_model(4, 1.5, "usa", seed=2)
    xb = af.sphere.uniform(50, 4, seed=6, batch=3)
    vb = af.velocity(m, xb, backend="numba")
    assert vb.shape == xb.shape
    for b in range(3):
        np.testing.assert_array_equal(vb[b], af.velocity(m, xb[b], backend="numba"))


def test_float32():
    m = _random_model(3, 2.0, "sa", seed=0)
    x = af.sphere.uniform(300, 3, seed=4)
    x32 = x.astype(np.float32)
    v32 = af.velocity(m, x32, backend="numba")
    assert v32.dtype == np.float32 and v32.shape == x.shape
    # computed in float64 from the float32 points: only the final rounding to float32 is lost
    x64 = x32.astype(np.float64)
    ref = af.sphere.tangent_project(x64, dense.attention_output(m, x64))
    assert _rel(v32.astype(np.float64), ref) < 1e-6
    np.testing.assert_allclose(v32, af.velocity(m, x), rtol=1e-5, atol=1e-5)


def test_threads_do_not_change_the_result():
    import numba

    m = _random_model(3, 4.0, "sa", seed=5)
    x = af.sphere.uniform(999, 3, seed=7)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = numba_dense.attention_output(m, x)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, numba_dense.attention_output(m, x))   # rows are independent


def test_auto_selection():
    general = _random_model(3, 1.0, "sa", seed=1)
    x = af.sphere.uniform(2000, 3, seed=0)
    assert resolve_backend(general, x).name == "numba"
    circle = af.AttentionModel(d=2, beta=1.0)
    assert resolve_backend(circle, af.sphere.uniform(2000, 2, seed=0)).name == "spectral"
    wide = _random_model(numba_dense.AUTO_MAX_D * 2, 1.0, "sa", seed=1)
    xw = af.sphere.uniform(2000, wide.d, seed=0)
    assert resolve_backend(wide, xw).name != "numba"
    assert resolve_backend(wide, xw, "numba").name == "numba"      # explicit: still applies


def test_simulate_matches_dense():
    m = _random_model(3, 4.0, "sa", seed=3)
    x0 = af.sphere.uniform(64, 3, seed=8)
    kw = {"t1": 0.5, "dt": 0.05, "method": "rk4", "save_at": np.linspace(0, 0.5, 3)}
    a = af.simulate(m, x0, backend="numba", **kw)
    b = af.simulate(m, x0, backend="dense", **kw)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-12)
