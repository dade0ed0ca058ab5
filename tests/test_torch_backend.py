"""The optional PyTorch backend agrees with the NumPy reference evaluator to rounding."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import attnflow as af
from attnflow.velocity import backends, dense, resolve_backend

torch = pytest.importorskip("torch")

from attnflow.velocity import torch_backend  # noqa: E402  (after the skip: needs torch)

BETAS = (0.1, 1.0, 9.0, 50.0)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    # small problems; and torch's OpenMP threads crawl when other processes hold the cores
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def rel_err(y, ref):
    return float(np.abs(y - ref).max() / np.abs(ref).max())


def model(d, beta, normalization, seed=0):
    # Ginibre A = K^T Q and V: non-symmetric
    m = af.AttentionModel.random(d, beta, "ginibre", seed=seed, normalization=normalization)
    assert not np.allclose(m.A, m.A.T) and not np.allclose(m.V, m.V.T)
    return m


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("d", [2, 3, 8])
def test_agrees_with_dense_float64(d, normalization):
    for beta in BETAS:
        m = model(d, beta, normalization, seed=d)
        for n in (1, 100, 1000):
            x = af.sphere.uniform(n, d, seed=n + d)
            ref = dense.attention_output(m, x)
            y = torch_backend.attention_output(m, x)
            assert y.dtype == np.float64 and y.shape == x.shape
            assert rel_err(y, ref) < 1e-12, (beta, n)


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("d", [2, 3, 8])
def test_agrees_with_dense_float32(d, normalization):
    for beta in BETAS:
        m = model(d, beta, normalization, seed=d)
        for n in (1, 100, 1000):
            x = af.sphere.uniform(n, d, seed=n + d).astype(np.float32)
            try:
                ref = dense.attention_output(m, x)
            except FloatingPointError:              # e^{beta |A x|} beyond float32 (~e^88)
                with pytest.raises(FloatingPointError, match="overflows float32"):
                    torch_backend.attention_output(m, x)
                continue
            y = torch_backend.attention_output(m, x)
            assert y.dtype == np.float32 and y.shape == x.shape
            # USA at beta = 50: the exponent beta <A x_i, x_j> - m_i ~ 150 carries an absolute
            # rounding error ~ eps32 * 150 ~ 1e-5, which e^{m_i} turns into a relative one.
            tol = 3e-5 if (normalization == "usa" and beta > 10) else 1e-5
            assert rel_err(y, ref) < tol, (beta, n)


def test_identity_weights_and_negative_beta():
    x = af.sphere.uniform(500, 3, seed=4)
    for beta in (-3.0, 0.0, 5.0):
        for norm in ("sa", "usa"):
            m = af.AttentionModel(d=3, beta=beta, normalization=norm)
            ref = dense.attention_output(m, x)
            assert rel_err(torch_backend.attention_output(m, x), ref) < 1e-12


def test_blocks_do_not_change_the_result():
    m = model(3, 9.0, "sa", seed=1)
    x = af.sphere.uniform(301, 3, seed=1)
    ref = dense.attention_output(m, x)
    for block in (1, 7, 64, 301, 1000):
        assert rel_err(torch_backend.attention_output(m, x, block=block), ref) < 1e-12
    with pytest.raises(ValueError, match="block=0"):
        torch_backend.attention_output(m, x, block=0)


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batched_equals_single(normalization, dtype):
    m = model(3, 9.0, normalization, seed=2)
    xb = np.stack([af.sphere.uniform(200, 3, seed=s) for s in range(4)]).astype(dtype)
    yb = torch_backend.attention_output(m, xb)
    assert yb.shape == xb.shape and yb.dtype == dtype
    tol = 1e-13 if dtype == np.float64 else 1e-5
    for b in range(len(xb)):
        assert rel_err(yb[b], torch_backend.attention_output(m, xb[b])) < tol
        assert rel_err(yb[b], dense.attention_output(m, xb[b])) < 100 * tol


def test_usa_overflow_raises():
    m = af.AttentionModel(d=3, beta=800.0, normalization="usa")
    x = af.sphere.uniform(10, 3, seed=0)
    with pytest.raises(FloatingPointError, match=r"overflows float64.*normalization='sa'"):
        torch_backend.attention_output(m, x)
    with pytest.raises(FloatingPointError, match=r"overflows.*normalization='sa'"):
        af.velocity(m, x, backend="torch")


def test_sa_large_beta_underflow_rows_recomputed():
    # as tests/test_velocity.py: with |A x_i| = 3 the shift m_i = 3 beta makes every shifted
    # weight of row 0 underflow at beta = 2000; the exact-row-max fallback must recover it
    d = 3
    A = 3.0 * np.eye(d)
    x = af.sphere.angles_to_points(np.array([0.0, 2.0, 4.0]))
    x = np.concatenate([x, np.zeros((3, 1))], axis=1)
    x[0] = [0.0, 0.0, 1.0]
    m = af.AttentionModel(d=d, beta=2000.0, A=A, normalization="sa")
    y = torch_backend.attention_output(m, x)
    assert np.all(np.isfinite(y))
    scores = (x @ A.T) @ x.T
    np.testing.assert_allclose(y, x[np.argmax(scores, axis=1)], atol=1e-12)
    np.testing.assert_allclose(y, dense.attention_output(m, x), atol=1e-14)
    # batched, with the underflowing row in the second member only, and in float32
    xb = np.stack([np.roll(x, 1, axis=0), x])
    np.testing.assert_allclose(torch_backend.attention_output(m, xb), dense.attention_output(m, xb),
                               atol=1e-14)
    y32 = torch_backend.attention_output(m, x.astype(np.float32))
    np.testing.assert_allclose(y32, dense.attention_output(m, x.astype(np.float32)), atol=1e-6)


def test_through_the_registry():
    m = model(3, 4.0, "sa", seed=3)
    x = af.sphere.uniform(300, 3, seed=3)
    assert "torch" in backends()
    v = af.velocity(m, x, backend="torch")
    assert rel_err(v, af.velocity(m, x, backend="dense")) < 1e-12
    y = af.attention_output(m, x.astype(np.float32), backend="torch")
    assert y.dtype == np.float32
    # auto picks torch only with a GPU (on the CPU the NumPy/Numba evaluators are faster)
    if not torch.cuda.is_available():
        assert resolve_backend(m, x).name != "torch"
    assert torch_backend.cuda_available() == torch.cuda.is_available()


def test_explicit_device_cpu():
    m = model(2, 1.0, "usa", seed=5)
    x = af.sphere.uniform(50, 2, seed=5)
    y = torch_backend.attention_output(m, x, device="cpu")
    assert rel_err(y, dense.attention_output(m, x)) < 1e-12


def test_not_applicable_without_torch(monkeypatch):
    m = model(3, 1.0, "sa")
    x = af.sphere.uniform(10, 3, seed=0)
    monkeypatch.setitem(sys.modules, "torch", None)     # torch "not installed"
    assert not torch_backend.available()
    with pytest.raises(ValueError, match=r"backend='torch'.*does not apply"):
        af.velocity(m, x, backend="torch")
    assert resolve_backend(m, x).name != "torch"


def test_import_attnflow_does_not_import_torch():
    code = "import attnflow, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(torch.version.cuda is not None or torch.version.hip is not None,
                    reason="a CUDA/ROCm build of torch must be imported to ask for a GPU")
def test_auto_on_cpu_build_does_not_import_torch():
    code = ("import sys, numpy as np, attnflow as af\n"
            "m = af.AttentionModel.random(3, 1.0, seed=0)\n"
            "af.velocity(m, af.sphere.uniform(20, 3, seed=0))\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
