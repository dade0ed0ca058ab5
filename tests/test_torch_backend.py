"""The optional PyTorch backend: options (block, device), registry behaviour without torch or GPU.

Agreement with the exact formula, the underflow fallback, overflow, batches and float32 run for
every backend, torch included, in tests/test_backends.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import attnflow as af
from attnflow.backends import backends, prepare

torch = pytest.importorskip("torch")

from attnflow.backends import torch_backend  # noqa: E402  (after the skip: needs torch)

EPS64 = np.finfo(np.float64).eps


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


def test_blocks_do_not_change_the_result():
    m = model(3, 9.0, "sa", seed=1)
    x = af.sphere.uniform(301, 3, seed=1)
    ref = prepare(m, x, "dense").output(x)
    for block in (1, 7, 64, 301, 1000):
        y = prepare(m, x, "torch", {"block": block}).output(x)
        assert rel_err(y, ref) <= 16 * EPS64                  # measured 6.2 eps
    with pytest.raises(ValueError, match="block=0"):
        prepare(m, x, "torch", {"block": 0})


def test_explicit_device_cpu():
    m = model(2, 1.0, "usa", seed=5)
    x = af.sphere.uniform(50, 2, seed=5)
    ev = prepare(m, x, "torch", {"device": "cpu"})
    assert ev.options == {"device": "cpu"}
    assert rel_err(ev.output(x), prepare(m, x, "dense").output(x)) <= 4 * EPS64     # measured 1.6 eps
    with pytest.raises(ValueError, match=r"device='quantum': is not a torch device"):
        prepare(m, x, "torch", {"device": "quantum"})


def test_through_the_registry():
    m = model(3, 4.0, "sa", seed=3)
    x = af.sphere.uniform(300, 3, seed=3)
    assert "torch" in backends()
    y = af.attention_output(m, x.astype(np.float32), backend="torch")
    assert y.dtype == np.float32
    # auto picks torch only with a GPU (on the CPU the NumPy/Numba evaluators are faster)
    if not torch.cuda.is_available():
        assert prepare(m, x).name != "torch"
    assert torch_backend.cuda_available() == torch.cuda.is_available()


def test_not_applicable_without_torch(monkeypatch):
    m = model(3, 1.0, "sa")
    x = af.sphere.uniform(10, 3, seed=0)
    monkeypatch.setitem(sys.modules, "torch", None)     # torch "not installed"
    assert not torch_backend.available()
    with pytest.raises(ValueError, match=r"backend='torch'.*does not apply.*pip install 'attnflow\[gpu\]'"):
        af.velocity(m, x, backend="torch")
    assert prepare(m, x).name != "torch"


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
