"""The fused Numba kernel: its exp, the chunked kernel, threads, float32 rounding, auto selection.

Agreement with the exact formula, the underflow fallback, overflow, batches and float32 run for
every backend in tests/test_backends.py.
"""

import numpy as np

import attnflow as af
from attnflow.backends import numba_dense, prepare

EPS64 = np.finfo(np.float64).eps
EPS32 = float(np.finfo(np.float32).eps)


def _out(model, x, backend="numba"):
    return prepare(model, x, backend).output(x)


def _random_model(d, beta, norm, seed):
    rng = np.random.default_rng(seed)
    return af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                             V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=norm)


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


def test_chunk_boundaries():
    # token counts around the chunk size of the chunked kernel (d > FUSED_MAX_D)
    m = _random_model(numba_dense.FUSED_MAX_D + 1, 2.0, "sa", seed=3)
    for n in (numba_dense._CHUNK - 1, numba_dense._CHUNK + 1, 2 * numba_dense._CHUNK + 3):
        x = af.sphere.uniform(n, m.d, seed=n)
        assert _rel(_out(m, x), _out(m, x, "dense")) <= 16 * EPS64       # measured 4.4 eps


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


def test_float32_is_computed_in_float64_and_rounded_once():
    m = _random_model(3, 2.0, "sa", seed=0)
    x32 = af.sphere.uniform(300, 3, seed=4).astype(np.float32)
    y32 = _out(m, x32)
    assert y32.dtype == np.float32
    # the float64 evaluation of the same float32 points, rounded to float32: within half an ulp
    x64 = x32.astype(np.float64)                        # |x| = 1 to float32 rounding only
    ref = prepare(m, x64 / np.linalg.norm(x64, axis=1, keepdims=True), "numba").output(x64)
    np.testing.assert_array_equal(y32, ref.astype(np.float32))


def test_threads_do_not_change_the_result():
    import numba

    m = _random_model(3, 4.0, "sa", seed=5)
    x = af.sphere.uniform(999, 3, seed=7)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _out(m, x)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, _out(m, x))   # rows are independent


def test_auto_selection():
    general = _random_model(3, 1.0, "sa", seed=1)
    x = af.sphere.uniform(2000, 3, seed=0)
    assert prepare(general, x).name == "numba"
    assert prepare(general, x[:numba_dense.AUTO_MIN_N - 1]).name == "dense"     # too small
    circle = af.AttentionModel(d=2, beta=1.0)
    assert prepare(circle, af.sphere.uniform(2000, 2, seed=0)).name == "spectral"
    wide = _random_model(numba_dense.AUTO_MAX_D * 2, 1.0, "sa", seed=1)
    xw = af.sphere.uniform(2000, wide.d, seed=0)
    assert prepare(wide, xw).name == "dense"
    assert prepare(wide, xw, "numba").name == "numba"      # explicit: still applies


def test_simulate_matches_dense():
    m = _random_model(3, 4.0, "sa", seed=3)
    x0 = af.sphere.uniform(64, 3, seed=8)
    kw = {"t1": 0.5, "dt": 0.05, "method": "rk4", "save_at": np.linspace(0, 0.5, 3)}
    a = af.simulate(m, x0, backend="numba", **kw)
    b = af.simulate(m, x0, backend="dense", **kw)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-15)         # measured 2.2e-16
