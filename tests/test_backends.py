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
import math
import subprocess
import sys

import numpy as np
import pytest
from variant_reference import naive_heads

import attnflow as af
from attnflow.backends import backends, choose, get_backend, prepare

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
        variants = [m for mask in (None, "causal") for m in variant_models(d, 3, 2.0, "usa", mask)]
        for model in [*models(d, 2.0, "usa"), *variants]:                 # also 3 heads, the mask
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


# -- the variants: heads, the causal mask, beta="log" --------------------------------------------
# Semantics (docs/theory/numerics.md#heads-and-the-causal-mask): y_i = sum_h y_i^(h), each head the
# single-head formula with its own A_h, V_h; under the causal mask row i sums over j <= i (SA
# normalized over j <= i, USA divided by N).
VARIANT_BETAS = (-10.0, 0.0, 9.0, 200.0)


def heads_scale(model, x):
    """1 + |beta| max_{h, i} |A_h x_i|: the largest exponent of any head."""
    beta = model.for_tokens(x.shape[-2]).beta
    return 1.0 + abs(beta) * max(np.linalg.norm(x @ model.head(h).A_matrix.T, axis=-1).max()
                                 for h in range(model.heads))


def variant_models(d, H, beta, normalization, mask):
    """H-head models: A and V stacks; a shared A with a V stack; an A stack with a shared V; for
    H = 1 a general (d, d) pair and the identity (one head, as today)."""
    rng = np.random.default_rng(10 * d + H)
    A = rng.standard_normal((H, d, d)) / np.sqrt(d)
    V = rng.standard_normal((H, d, d)) / np.sqrt(d)
    kw = {"d": d, "beta": beta, "normalization": normalization, "mask": mask}
    if H == 1:
        yield af.AttentionModel(A=A[0], V=V[0], **kw)
        yield af.AttentionModel(**kw)
        return
    yield af.AttentionModel(A=A, V=V, **kw)
    yield af.AttentionModel(A=A[0], V=V, **kw)
    yield af.AttentionModel(A=A, V=None, **kw)


@pytest.mark.parametrize("d", [2, 3, 8])
@pytest.mark.parametrize("mask", [None, "causal"])
def test_heads_and_mask_agree_with_the_naive_formula(backend, d, mask):
    checked = 0
    for H in (1, 2, 3):
        for normalization in ("sa", "usa"):
            for beta in VARIANT_BETAS:
                for model in variant_models(d, H, beta, normalization, mask):
                    for n in (1, 7, 300):
                        x = af.sphere.uniform(n, d, seed=n + d + H)
                        if not applies(backend, model, x):
                            continue
                        try:
                            ref, size = naive_heads(model, x)
                        except FloatingPointError:
                            with pytest.raises(FloatingPointError, match="overflows float64"):
                                prepare(model, x, backend).output(x)
                            continue
                        y = prepare(model, x, backend).output(x)
                        assert y.shape == x.shape and y.dtype == np.float64
                        err = np.abs(y - ref).max() / size
                        assert err <= 32 * EPS64 * heads_scale(model, x), (H, beta, n, model)
                        checked += 1
    if backend != "spectral":
        assert checked                    # every backend but spectral evaluates every variant


@pytest.mark.parametrize("d", [2, 3, 8])
def test_variants_in_float32(backend, d):
    for mask in (None, "causal"):
        for normalization in ("sa", "usa"):
            for beta in (-2.0, 1.0, 20.0):
                for model in variant_models(d, 2, beta, normalization, mask):
                    x32 = af.sphere.uniform(300, d, seed=d).astype(np.float32)
                    if not applies(backend, model, x32):
                        continue
                    y32 = prepare(model, x32, backend).output(x32)
                    assert y32.dtype == np.float32 and y32.shape == x32.shape
                    x64 = x32.astype(np.float64)
                    ref, size = naive_heads(model, x64)
                    err = np.abs(y32 - ref).max() / size
                    assert err <= 16 * EPS32 * heads_scale(model, x64), (beta, model)


@pytest.mark.parametrize("mask", [None, "causal"])
@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_heads_are_the_sum_of_one_head_evaluations_bit_for_bit(backend, mask, normalization):
    # each head is evaluated as the one-head model model.head(h) is, and the heads are added in
    # order: so H heads fused equal H separate evaluations summed, to the last bit (float64)
    for d in (2, 3, 8):
        for model in variant_models(d, 4, 3.0, normalization, mask):
            x = af.sphere.uniform(300, d, seed=d)
            if not applies(backend, model, x):
                continue
            parts = [prepare(model.head(h), x, backend).output(x) for h in range(model.heads)]
            total = parts[0].copy()
            for y in parts[1:]:
                total += y
            np.testing.assert_array_equal(prepare(model, x, backend).output(x), total)


def test_one_head_stacks_and_shared_matrices_are_the_same_model(backend):
    rng = np.random.default_rng(3)
    d, H = 3, 2
    A, V = rng.standard_normal((d, d)), rng.standard_normal((H, d, d))
    x = af.sphere.uniform(200, d, seed=3)
    for mask in (None, "causal"):
        single = af.AttentionModel(d=d, beta=2.0, A=A, V=V[0], mask=mask)
        stacked = af.AttentionModel(d=d, beta=2.0, A=A[None], V=V[:1], mask=mask)    # (1, d, d)
        if not applies(backend, single, x):
            continue
        np.testing.assert_array_equal(prepare(stacked, x, backend).output(x),
                                      prepare(single, x, backend).output(x))
        shared = af.AttentionModel(d=d, beta=2.0, A=A, V=V, mask=mask)               # A for both heads
        repeated = af.AttentionModel(d=d, beta=2.0, A=np.stack([A, A]), V=V, mask=mask)
        np.testing.assert_array_equal(prepare(shared, x, backend).output(x),
                                      prepare(repeated, x, backend).output(x))


@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_causal_first_token_never_moves_with_v_identity(backend, normalization):
    # token 0 attends to itself alone: y_0 = sum_h c_h x_0 (SA: c_h = 1), so with x_0 = e_1
    # every rounding is exact and its velocity is exactly 0; with any V, SA gives y_0 = sum_h V_h x_0
    rng = np.random.default_rng(7)
    for d in (2, 3, 8):
        x = af.sphere.uniform(50, d, seed=d)
        x[0] = np.eye(d)[1]
        for H in (1, 2):
            model = af.AttentionModel(d=d, beta=5.0, A=rng.standard_normal((H, d, d)), mask="causal",
                                      normalization=normalization)
            if not applies(backend, model, x):
                continue
            v = prepare(model, x, backend).velocity(x)
            assert np.all(v[0] == 0.0) and np.abs(v[1:]).max() > 0.01
            if normalization == "sa":
                V = rng.standard_normal((H, d, d))
                y = prepare(model.replace(V=V), x, backend).output(x)
                np.testing.assert_allclose(y[0], V.sum(axis=0) @ x[0], rtol=0, atol=8 * EPS64 * H * d)


@pytest.mark.parametrize("normalization", ["sa", "usa"])
def test_causal_output_ignores_later_tokens_bit_for_bit(backend, normalization):
    # the output of token i depends on x_0..x_i only: perturb the tokens after i, rows <= i
    # keep every bit (n = 1000 spans two default row blocks of the dense evaluators)
    d, n = 3, 1000
    rng = np.random.default_rng(8)
    model = af.AttentionModel(d=d, beta=4.0, A=rng.standard_normal((2, d, d)),
                              V=rng.standard_normal((2, d, d)), mask="causal", normalization=normalization)
    x = af.sphere.uniform(n, d, seed=9)
    if not applies(backend, model, x):
        pytest.skip(f"{backend} does not apply to a causal model")
    ev = prepare(model, x, backend)
    y = ev.output(x)
    for i in (0, 100, 600, n - 2):
        z = x.copy()
        z[i + 1:] = af.sphere.uniform(n - i - 1, d, seed=i)
        yz = ev.output(z)
        np.testing.assert_array_equal(yz[:i + 1], y[:i + 1])
        assert np.abs(yz[i + 1:] - y[i + 1:]).max() > 1e-3            # the later rows did change


def test_causal_blocks_change_rounding_only(backend):
    if backend not in ("dense", "torch"):
        pytest.skip(f"{backend} has no block option")
    model = af.AttentionModel.random(3, 9.0, seed=1).replace(mask="causal")
    x = af.sphere.uniform(301, 3, seed=1)
    ref, size = naive_heads(model, x)
    for block in (1, 7, 64, 301, 1000):
        y = prepare(model, x, backend, {"block": block}).output(x)
        assert np.abs(y - ref).max() / size <= 32 * EPS64 * heads_scale(model, x), block


def test_log_beta_is_the_numeric_beta_of_the_token_count(backend):
    gamma = 1.5
    for d, n in ((2, 300), (3, 7), (3, 1)):
        x = af.sphere.uniform(n, d, seed=n)
        for mask in (None, "causal"):
            logm = af.AttentionModel(d=d, beta="log", gamma=gamma, mask=mask)
            numeric = af.AttentionModel(d=d, beta=gamma * math.log(n), mask=mask)
            assert get_backend(backend).applies(logm, x) == get_backend(backend).applies(numeric, x)
            assert choose(logm, x).name == choose(numeric, x).name
            if not applies(backend, numeric, x):
                with pytest.raises(ValueError, match="does not apply"):
                    prepare(logm, x, backend)
                continue
            ev = prepare(logm, x, backend)
            assert ev.model == numeric and ev.tokens == n
            np.testing.assert_array_equal(ev.output(x), prepare(numeric, x, backend).output(x))
            np.testing.assert_array_equal(af.velocity(logm, x, backend=backend),
                                          af.velocity(numeric, x, backend=backend))
            np.testing.assert_array_equal(af.attention_output(logm, x, backend=backend),
                                          af.attention_output(numeric, x, backend=backend))
            other = af.sphere.uniform(n + 1, d, seed=0)
            with pytest.raises(ValueError, match=r"has \d+ tokens, but this evaluator resolved beta=\"log\""):
                ev.output(other)


def test_spectral_refuses_masks_and_heads():
    x = af.sphere.uniform(5000, 2, seed=0)
    full = af.AttentionModel(d=2, beta=1.0)
    assert choose(full, x).name == "spectral"                        # where spectral is the fastest ...
    causal = full.replace(mask="causal")
    assert choose(causal, x).name != "spectral"                      # ... auto does not take it for a mask
    with pytest.raises(ValueError, match=r"backend='spectral': does not apply.*mask 'causal'.*"
                                         r"it needs one head with A = V = I, no mask"):
        prepare(causal, x, "spectral")
    heads = af.AttentionModel(d=2, beta=1.0, A=np.stack([np.eye(2)] * 2), V=np.stack([np.eye(2)] * 2))
    assert choose(heads, x).name != "spectral"
    with pytest.raises(ValueError, match=r"does not apply.*the model has 2 heads"):
        prepare(heads, x, "spectral")
    ref, size = naive_heads(heads, x[:300])                          # the heads add: 2 y
    assert np.abs(af.attention_output(heads, x[:300]) - ref).max() / size <= 32 * EPS64 * 2


def test_energy_refuses_heads_and_masks():
    x = af.sphere.uniform(20, 3, seed=0)
    rng = np.random.default_rng(0)
    heads = af.AttentionModel(d=3, beta=1.0, A=rng.standard_normal((2, 3, 3)))
    for fn in (af.observables.energy, af.observables.log_energy):
        with pytest.raises(ValueError, match=r"has 2 heads.*defined for one head.*Fix: .*model.head\(h\)"):
            fn(heads, x)
        with pytest.raises(ValueError, match=r"mask 'causal'.*full attention.*Fix: .*replace\(mask=None\)"):
            fn(af.AttentionModel(d=3, beta=1.0, mask="causal"), x)
    assert af.observables.energy(heads.head(1), x) > 0
