"""Time the dense evaluator against a plain full-matrix NumPy evaluation, in one run.

Usage: python benchmarks/bench_velocity.py [--n 1024 4096 8192] [--d 3]

Prints, per N: the blocked evaluator's time, the full-matrix baseline's time, their ratio,
the fraction of the one-core exp bound (N^2 / measured np.exp rate), and the peak extra
memory of each (tracemalloc). Ratios are measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import attnflow as af
from attnflow.backends import prepare


def full_matrix(beta, A, V, x):
    """Baseline: the whole N x N softmax matrix at once (O(N^2) memory)."""
    s = beta * (x @ A.T) @ x.T
    s -= s.max(axis=1, keepdims=True)
    w = np.exp(s)
    y = (w @ (x @ V.T)) / w.sum(axis=1, keepdims=True)
    return y - np.sum(x * y, axis=1, keepdims=True) * x


def best_of(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def peak_bytes(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def exp_rate() -> float:
    z = np.random.default_rng(0).standard_normal(1 << 22)
    out = np.empty_like(z)
    np.exp(z, out=out)
    return z.size / best_of(lambda: np.exp(z, out=out), 5)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", default=[1024, 4096, 8192])
    p.add_argument("--d", type=int, default=3)
    args = p.parse_args()
    rate = exp_rate()
    rng = np.random.default_rng(1)
    d = args.d
    A, V = rng.standard_normal((d, d)) / np.sqrt(d), rng.standard_normal((d, d)) / np.sqrt(d)
    model = af.AttentionModel(d=d, beta=1.0, A=A, V=V, normalization="sa")
    print(f"np.exp rate (1 core): {rate:.3g}/s; d={d}, SA, general A and V, float64")
    print(f"{'N':>7} {'dense s':>9} {'full s':>9} {'speedup':>8} {'exp-bound':>9} "
          f"{'dense MB':>9} {'full MB':>9} {'max rel err':>11}")
    for n in args.n:
        x = af.sphere.uniform(n, d, seed=0)
        t_dense = best_of(lambda x=x: af.velocity(model, x, backend="dense"))
        t_full = best_of(lambda x=x: full_matrix(1.0, A, V, x))
        m_dense = peak_bytes(lambda x=x: prepare(model, x, "dense").output(x)) / 2**20
        m_full = peak_bytes(lambda x=x: full_matrix(1.0, A, V, x)) / 2**20
        ref = full_matrix(1.0, A, V, x)
        err = np.abs(af.velocity(model, x) - ref).max() / np.abs(ref).max()
        bound = n * n / rate
        print(f"{n:>7} {t_dense:>9.4f} {t_full:>9.4f} {t_full / t_dense:>8.2f} "
              f"{bound / t_dense:>9.2f} {m_dense:>9.1f} {m_full:>9.1f} {err:>11.1e}")


if __name__ == "__main__":
    main()
