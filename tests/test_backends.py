"""Every registered backend, over one fixture: agreement, overflow, batches, float32, reuse.

The reference is the exact O(N^2) formula written here in NumPy (the weights shifted by the
exact row maximum, float64). Tolerances are in units of the rounding unit times the size of
the exponent, 1 + |beta| max_i |A x_i|: the weights e^{beta <A x_i, x_j>} carry a relative
error of eps times the exponent. Measured worst cases over the grid below (d = 2, 3, 8, 13;
SA, USA; beta from -30 to 800; n = 1, 7, 300; random and identity A, V): 14 eps (float64) for
every backend; in float32, 7.8 eps32 for dense and torch (computed in float32) and 0.6 eps32
for numba and spectral (computed in float64, rounded once).
"""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys

import numpy as np
import pytest

import attnflow as af
from attnflow.backends import backends, get_backend, prepare

EPS64 = np.finfo(np.float64).eps
EPS32 = float(np.finfo(np.float32).eps)
BETAS = (-30.0, -2.0, 0.0, 0.1, 1.0, 9.0, 50.0, 800.0)
MODULES = {"dense": "dense", "numba": "numba_dense", "spectral": "spectral", "torch": "torch_backend"}


@pytest.fixture(params=backends())
def backend(request):
    """Every registered backend; torch only where PyTorch is installed, on one thread."""
    name = request.param
    if name == "torch":
        torch = pytest.importorskip("torch", reason="the torch backend needs PyTorch")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)          # small problems; OpenMP threads crawl on busy cores
        yield name
        torch.set_num_threads(threads)
    else:
        yield name


def exact_output(model, x):
    """y_i = sum_j e^{s_ij} V x_j / (sum_j e^{s_ij} or N), s_ij = beta <A x_i, x_j>, in float64."""
    x = np.asarray(x, dtype=np.float64)
    s = model.beta * (x @ model.A_matrix.T) @ x.T
    m = s.max(axis=1, keepdims=True)
    w = np.exp(s - m)
    num = w @ (x @ model.V_matrix.T)
    if model.normalization == "sa":
        return num / w.sum(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        y = num / x.shape[0] * np.exp(m)
    if not np.all(np.isfinite(y)):
        raise FloatingPointError("the exact USA output overflows float64")
    return y


def exponent_scale(model, x):
    """1 + |beta| max_i |A x_i|: the largest exponent, which multiplies the rounding error."""
    return 1.0 + abs(model.beta) * np.linalg.norm(x @ model.A_matrix.T, axis=-1).max()


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def models(d, beta, normalization):
    """A random (non-symmetric) A, V model and the identity model (where spectral applies)."""
    rng = np.random.default_rng(d)
    yield af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                            V=rng.standard_normal((d, d)) / np.sqrt(d), normalization=normalization)
    yield af.AttentionModel(d=d, beta=beta, normalization=normalization)


def applies(name, model, x):
    return get_backend(name).applies(model, x)


@pytest.mark.parametrize("d", [2, 3, 8, 13])
@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_agrees_with_the_exact_formula(backend, d, normalization):
    checked = 0
    for beta in BETAS:
        for model in models(d, beta, normalization):
            for n in (1, 7, 300):
                x = af.sphere.uniform(n, d, seed=n + d)
                if not applies(backend, model, x):
                    continue
                try:
                    ref = exact_output(model, x)
                except FloatingPointError:
                    with pytest.raises(FloatingPointError, match="overflows float64"):
                        prepare(model, x, backend).output(x)
                    continue
                ev = prepare(model, x, backend)
                y = ev.output(x)
                assert y.shape == x.shape and y.dtype == np.float64
                assert rel(y, ref) <= 32 * EPS64 * exponent_scale(model, x), (beta, n, model)
                np.testing.assert_array_equal(ev.velocity(x), af.sphere.tangent_project(x, y))
                checked += 1
    if not checked:
        pytest.skip(f"{backend} applies to no model of this grid at d={d}")


def test_closed_form_on_the_circle(backend):
    # USA on S^1, A = V = I: dtheta_i/dt = (1/N) sum_j e^{beta cos(th_j - th_i)} sin(th_j - th_i)
    beta = 3.0
    th = np.random.default_rng(2).uniform(0, 2 * np.pi, 64)
    x = af.sphere.angles_to_points(th)
    m = af.AttentionModel(d=2, beta=beta, normalization="usa")
    diff = th[None, :] - th[:, None]
    dth = (np.exp(beta * np.cos(diff)) * np.sin(diff)).mean(axis=1)
    expected = dth[:, None] * np.stack([-np.sin(th), np.cos(th)], axis=1)
    v = af.velocity(m, x, backend=backend)
    assert rel(v, expected) <= 32 * EPS64 * (1 + beta)


def test_permutation_equivariance(backend):
    for model in models(3, 4.0, "usa"):
        x = af.sphere.uniform(100, 3, seed=5)
        if not applies(backend, model, x):
            continue
        perm = np.random.default_rng(0).permutation(100)
        ev = prepare(model, x, backend)
        # the sums over j run in another order: equal up to rounding
        assert rel(ev.output(x[perm]), ev.output(x)[perm]) <= 32 * EPS64 * exponent_scale(model, x)


@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_underflowing_rows_use_the_exact_maximum(backend, normalization):
    if not applies(backend, af.AttentionModel(d=3, beta=1.0, A=2 * np.eye(3)), np.zeros((1, 3))):
        pytest.skip(f"{backend} does not apply to a general A")
    # (a) A x_i = 3 x_i[0] e_3 while the tokens lie near the equator: the scores stay within
    # [-30, 30] but the bound shift m_i = 3 beta |x_i0| reaches 3000, so most rows underflow.
    rng = np.random.default_rng(4)
    th = rng.uniform(0, 2 * np.pi, 50)
    x = np.stack([np.cos(th), np.sin(th), 0.01 * rng.uniform(-1, 1, 50)], axis=1)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    A = np.zeros((3, 3))
    A[2, 0] = 3.0
    m = af.AttentionModel(d=3, beta=1000.0, A=A, normalization=normalization)
    shift = m.beta * np.linalg.norm(x @ A.T, axis=1)
    assert np.sum((m.beta * (x @ A.T) @ x.T).max(axis=1) - shift < -746) > 20   # exercised
    y = prepare(m, x, backend).output(x)
    assert np.all(np.isfinite(y))
    assert rel(y, exact_output(m, x)) <= 32 * EPS64 * exponent_scale(m, x)
    # (b) A = 3 I, x_0 far from every other token: at beta = 2000 row 0 underflows; the softmax
    # is then a hardmax, each token attends to its argmax (alone or in a batch, float32 too)
    x = np.concatenate([af.sphere.angles_to_points(np.array([0.0, 2.0, 4.0])), np.zeros((3, 1))], axis=1)
    x[0] = [0.0, 0.0, 1.0]
    hot = af.AttentionModel(d=3, beta=2000.0, A=3.0 * np.eye(3), normalization="sa")
    hard = x[np.argmax(x @ x.T, axis=1)]
    np.testing.assert_allclose(prepare(hot, x, backend).output(x), hard, rtol=0, atol=1e-15)
    xb = np.stack([af.sphere.uniform(3, 3, seed=1), x])
    np.testing.assert_allclose(prepare(hot, xb, backend).output(xb)[1], hard, rtol=0, atol=1e-15)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(prepare(hot, x32, backend).output(x32), hard, rtol=0, atol=EPS32)


@pytest.mark.parametrize("d", [2, 3])
def test_usa_overflow_is_a_clear_error(backend, d):
    x = af.sphere.uniform(10, d, seed=0)
    m = af.AttentionModel(d=d, beta=800.0, normalization="usa")       # e^800 > float64 max ~ e^709.8
    with pytest.raises(FloatingPointError, match=r"overflows float64 at beta=800.*normalization='sa'"):
        af.velocity(m, x, backend=backend)
    m32 = m.replace(beta=100.0)                                       # e^100 > float32 max ~ e^88.7
    with pytest.raises(FloatingPointError, match=r"overflows float32 at beta=100.*~e\^89"):
        af.velocity(m32, x.astype(np.float32), backend=backend)
    assert np.all(np.isfinite(af.velocity(m32, x, backend=backend)))  # fits float64
    sa = m.replace(normalization="sa")                                # SA is bounded
    assert rel(af.attention_output(sa, x, backend=backend), exact_output(sa, x)) <= 32 * EPS64 * 801


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [7, 60, 300])                           # 60: dense's stacked products
def test_batch_equals_single_bit_for_bit(backend, dtype, n):
    for d in (2, 3, 8):
        for model in models(d, 2.0, "usa"):
            xb = af.sphere.uniform(n, d, seed=6, batch=4).astype(dtype)
            if not applies(backend, model, xb):
                continue
            ev = prepare(model, xb, backend)
            yb = ev.output(xb)
            assert yb.shape == xb.shape and yb.dtype == dtype
            for k in range(len(xb)):
                np.testing.assert_array_equal(yb[k], ev.output(np.ascontiguousarray(xb[k])))


@pytest.mark.parametrize("d", [2, 3, 8])
def test_float32_in_float32_out(backend, d):
    for normalization in ("sa", "usa"):
        for beta in (-2.0, 0.1, 1.0, 9.0, 20.0):
            for model in models(d, beta, normalization):
                x32 = af.sphere.uniform(300, d, seed=d).astype(np.float32)
                if not applies(backend, model, x32):
                    continue
                y32 = prepare(model, x32, backend).output(x32)
                assert y32.dtype == np.float32 and y32.shape == x32.shape
                x64 = x32.astype(np.float64)                       # the same points in float64
                ref = exact_output(model, x64)
                assert rel(y32, ref) <= 16 * EPS32 * exponent_scale(model, x64), (beta, model)
                v32 = prepare(model, x32, backend).velocity(x32)
                assert v32.dtype == np.float32


def test_prepared_evaluator_equals_fresh_calls(backend):
    for model in models(3, 4.0, "sa"):
        x0 = af.sphere.uniform(200, 3, seed=0)
        if not applies(backend, model, x0):
            continue
        ev = prepare(model, x0, backend)
        first = ev.output(x0)
        states = [x0, af.sphere.uniform(50, 3, seed=1), af.sphere.uniform(200, 3, seed=2, batch=2),
                  1.01 * x0]                                     # off the sphere, as an RK stage
        for x in states:
            y = ev.output(x)
            np.testing.assert_array_equal(y, prepare(model, x / np.linalg.norm(x, axis=-1, keepdims=True),
                                                     backend).output(x))
            if x is not states[-1]:
                np.testing.assert_array_equal(y, af.attention_output(model, x, backend=backend))
        np.testing.assert_array_equal(ev.output(x0), first)


# -- the registry and the API -------------------------------------------------------------------
def test_declared_options_are_the_keywords_of_prepare(backend):
    import importlib

    module = importlib.import_module(f"attnflow.backends.{MODULES[backend]}")
    keywords = tuple(p.name for p in inspect.signature(module.prepare).parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY)
    assert set(keywords) == set(get_backend(backend).options)


def test_options_are_checked():
    m = af.AttentionModel.random(3, 1.0, seed=0)
    x = af.sphere.uniform(100, 3, seed=0)
    ev = prepare(m, x, "dense", {"block": 7})
    assert ev.options == {"block": 7} and ev.name == "dense"
    assert rel(ev.output(x), prepare(m, x, "dense").output(x)) <= 4 * EPS64      # blocks: rounding only
    with pytest.raises(ValueError, match=r"'blok', which is not an option of the dense backend.*"
                                         r"Fix: use only 'block'"):
        prepare(m, x, "dense", {"blok": 7})
    with pytest.raises(ValueError, match=r"'block'.*numba backend \(chosen by backend='auto'\).*takes none"):
        prepare(m, x, "auto", {"block": 7})
    with pytest.raises(ValueError, match=r"block=0: must be an integer >= 1"):
        prepare(m, x, "dense", {"block": 0})
    with pytest.raises(ValueError, match=r"options=.*is not a dict"):
        prepare(m, x, "dense", [("block", 7)])
    with pytest.raises(ValueError, match=r"backend='cuda'.*Fix: use \"auto\" or one of"):
        prepare(m, x, "cuda")


def test_evaluator_is_frozen_and_checks_shape_and_dtype():
    m = af.AttentionModel(d=3, beta=1.0)
    x = af.sphere.uniform(100, 3, seed=0)
    ev = prepare(m, x, "dense")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.name = "numba"
    with pytest.raises(TypeError):
        ev.options["block"] = 3
    with pytest.raises(ValueError, match=r"is not an \(n, 3\) or \(B, n, 3\) float64 array"):
        ev.output(x.astype(np.float32))
    with pytest.raises(ValueError, match="prepared for"):
        ev.output(x[:, :2])
    assert prepare(m, x.astype(np.float32), "dense").dtype == np.float32


def test_registry_and_top_level_names():
    assert set(backends()) == {"dense", "numba", "spectral", "torch"}
    import attnflow.backends as ab

    assert af.velocity is ab.velocity and af.attention_output is ab.attention_output
    import importlib.util

    assert importlib.util.find_spec("attnflow.velocity") is None        # no module it could shadow


def test_import_attnflow_imports_no_backend_dependency():
    code = ("import sys, attnflow\n"
            "loaded = [m for m in ('numba', 'torch', 'attnflow.backends.numba_dense') if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_huge_beta_on_spheres_is_answered_at_once():
    # A = V = I on S^1 and S^2 at |beta| >= 2e9: scipy's ive is NaN there, and the spectral
    # coefficient loop used to run forever (also under "auto"). Now spectral does not apply,
    # and "auto" takes a dense evaluator, exact at any beta. Runs in a subprocess with a timeout.
    code = """
import numpy as np, attnflow as af
for d in (2, 3):
    x = af.sphere.uniform(100, d, seed=0)
    for beta in (2e9, 1e12, -1e12):
        sa = af.AttentionModel(d=d, beta=beta, normalization="sa")
        try:
            af.velocity(sa, x, backend="spectral")
            raise AssertionError("spectral accepted beta=%g" % beta)
        except ValueError as exc:
            assert "does not apply" in str(exc) and "MAX_ORDER" in str(exc), exc
        y = af.attention_output(sa, x)          # auto: the hardmax, exactly
        g = x @ x.T
        expected = x[np.argmax(g, axis=1)] if beta > 0 else x[np.argmin(g, axis=1)]
        assert np.abs(y - expected).max() <= 1e-15, (d, beta, np.abs(y - expected).max())
        try:
            af.velocity(sa.replace(normalization="usa"), x)
            raise AssertionError("USA did not overflow")
        except FloatingPointError as exc:
            assert "overflows float64" in str(exc)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
