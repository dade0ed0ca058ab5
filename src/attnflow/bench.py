"""Benchmark every velocity backend against two baselines, measured in one run.

Baselines written here, not in the package's evaluators:

- ``numpy-full``: the whole N x N weight matrix at once in NumPy (O(N^2) memory);
- ``torch-full``: the approach of [GLPR]'s reference code: inner products, ``softmax`` over
  the full (N, N) matrix and a matrix product in PyTorch (float64), when torch is installed.

For each backend that applies, the table reports the time per evaluation (best of
``repeat``), its ratio to each baseline, the fraction of the all-core exp bound
N^2 / (cores x one-core np.exp rate), the error against the float64 reference, and the
growth of peak resident memory over the process's baseline (measured in a fresh subprocess
per entry, so allocations made by compiled code are seen too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["BenchRow", "exp_rate", "run_bench"]


@dataclass
class BenchRow:
    name: str
    n: int
    d: int
    seconds: float
    error: float | None
    peak_mb: float | None


def exp_rate(size: int = 1 << 22) -> float:
    """Measured np.exp throughput of one core (float64 values per second, best of 5)."""
    z = np.random.default_rng(0).uniform(-5, 0, size)
    out = np.empty_like(z)
    best = np.inf
    for _ in range(5):
        t = time.perf_counter()
        np.exp(z, out=out)
        best = min(best, time.perf_counter() - t)
    return size / best


def _problem(n: int, d: int, beta: float, identity: bool):
    import attnflow as af

    rng = np.random.default_rng(1)
    if identity:
        model = af.AttentionModel(d=d, beta=beta, normalization="sa")
    else:
        model = af.AttentionModel(d=d, beta=beta, A=rng.standard_normal((d, d)) / np.sqrt(d),
                                  V=rng.standard_normal((d, d)) / np.sqrt(d), normalization="sa")
    return model, af.sphere.uniform(n, d, seed=0)


def _numpy_full(model, x):
    s = model.beta * (x @ model.A_matrix.T) @ x.T
    s -= s.max(axis=1, keepdims=True)
    w = np.exp(s)
    y = (w @ (x @ model.V_matrix.T)) / w.sum(axis=1, keepdims=True)
    return y - np.sum(x * y, axis=1, keepdims=True) * x


def _torch_full(model, x):
    import torch

    X = torch.from_numpy(x)
    A = torch.from_numpy(np.ascontiguousarray(model.A_matrix.T))
    V = torch.from_numpy(np.ascontiguousarray(model.V_matrix.T))
    sm = torch.nn.functional.softmax(model.beta * (X @ A) @ X.T, dim=1)
    y = (sm @ X @ V).numpy()
    return y - np.sum(x * y, axis=1, keepdims=True) * x


def _measure(name: str, n: int, d: int, beta: float, identity: bool, repeat: int) -> dict:
    """Run in a subprocess: time one entry and report its peak-RSS growth."""
    import attnflow as af

    model, x = _problem(n, d, beta, identity)

    def vm_hwm() -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM"):
                    return float(line.split()[1]) / 1024
        return float("nan")

    def evaluator(z):
        if name == "numpy-full":
            return lambda: _numpy_full(model, z)
        if name == "torch-full":
            return lambda: _torch_full(model, z)
        return lambda: af.velocity(model, z, backend=name)

    evaluator(x[:64])()              # compile / import on a tiny problem, outside the memory count
    fn = evaluator(x)
    base = vm_hwm()
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        v = fn()
        best = min(best, time.perf_counter() - t)
    peak = vm_hwm() - base
    err = None
    if n <= 16384:
        ref = af.velocity(model, x, backend="dense")
        err = float(np.abs(v - ref).max() / np.abs(ref).max())
    return {"seconds": best, "error": err, "peak_mb": peak}


def _subprocess(name, n, d, beta, identity, repeat, timeout) -> dict | None:
    code = ("import json, sys; from attnflow.bench import _measure; "
            f"print(json.dumps(_measure({name!r}, {n}, {d}, {beta}, {identity}, {repeat})))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout, env=dict(os.environ), check=True)
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_bench(sizes=(4096, 16384), d: int = 3, beta: float = 1.0, identity: bool = False,
              repeat: int = 3, full_max: int = 16384, timeout: float = 600.0, progress=print):
    """Time every applicable backend and the baselines; returns (rows, exp rate, cores)."""
    import importlib.util

    from .backends import backends, get_backend

    rate = exp_rate()
    cores = os.cpu_count() or 1
    model, x = _problem(8, d, beta, identity)
    names = [name for name in backends() if get_backend(name).applies(model, x)]
    baselines = ["numpy-full"] + (["torch-full"] if importlib.util.find_spec("torch") else [])
    rows = []
    for n in sizes:
        for name in names + [b for b in baselines if n <= full_max]:
            res = _subprocess(name, n, d, beta, identity, repeat, timeout)
            if res is None:
                progress(f"{name} at N = {n}: failed or timed out")
                continue
            rows.append(BenchRow(name, n, d, res["seconds"], res["error"], res["peak_mb"]))
            progress(f"{name:>12} N = {n:>7}: {res['seconds']:.4f} s")
    return rows, rate, cores


def table(rows: list[BenchRow], rate: float, cores: int) -> str:
    """Markdown table with ratios to the baselines and the fraction of the all-core exp bound."""
    lines = [f"one-core np.exp rate {rate:.3g}/s, {cores} cores; bound = N^2 / (cores x rate)", "",
             "| backend | N | d | s / evaluation | vs numpy-full | vs torch-full | "
             "fraction of all-core exp bound | peak MB | max rel. error |",
             "|---|---|---|---|---|---|---|---|---|"]
    base = {(r.name, r.n): r.seconds for r in rows if r.name in ("numpy-full", "torch-full")}
    for r in rows:
        bound = r.n * r.n / (cores * rate)
        vs = [base.get((b, r.n)) for b in ("numpy-full", "torch-full")]
        ratio = ["-" if v is None else f"{v / r.seconds:.1f}x" for v in vs]
        err = "-" if r.error is None else f"{r.error:.1e}"
        peak = "-" if r.peak_mb is None else f"{r.peak_mb:.0f}"
        lines.append(f"| {r.name} | {r.n} | {r.d} | {r.seconds:.4g} | {ratio[0]} | {ratio[1]} | "
                     f"{bound / r.seconds:.2f} | {peak} | {err} |")
    return "\n".join(lines)
