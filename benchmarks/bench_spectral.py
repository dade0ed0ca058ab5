"""Time the spectral evaluator (A = V = I) against the dense one, in one run.

Usage: python benchmarks/bench_spectral.py [--repeat 3] [--dense-max 65536]

Prints one table: per sphere, beta and N, the number of harmonics h (K + 2 powers on S^1,
(L+1)(L+2)/2 on S^2), the spectral time (best of ``--repeat``), its peak extra memory
(tracemalloc, a separate call), the dense time, their ratio and the maximum relative error
of the spectral output against the dense one (max abs error / max abs value). The dense time
is measured for N <= ``--dense-max`` (best of ``--repeat``, once if it takes over 5 s); above
it the dense time is extrapolated as N^2 from the largest measured N of the same row group
(marked "~") and the error is measured on 1024 random rows summed directly (marked "r").
All numbers come from this run on this machine.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import attnflow as af
from attnflow.backends import prepare, spectral


def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
        if best > 5.0:
            break
    return best, out


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def sampled_rows(m, x, rows):
    """The exact output of some rows by direct summation (max-shifted weights)."""
    s = m.beta * (x[rows] @ x.T)
    s -= s.max(axis=1, keepdims=True)
    w = np.exp(s)
    return (w @ x) / w.sum(axis=1, keepdims=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dense-max", type=int, default=1 << 16)
    args = p.parse_args()
    cases = [(2, 9.0, [1 << 14, 1 << 16, 1 << 20]),
             (3, 1.0, [1 << 12, 1 << 14, 1 << 16]),
             (3, 9.0, [1 << 12, 1 << 14, 1 << 16])]
    print("normalization=sa, float64, uniform points; ratio = dense time / spectral time")
    head = (f"{'sphere':>6} {'beta':>5} {'N':>8} {'h':>5} {'spectral s':>11} {'peak MiB':>9} "
            f"{'dense s':>10} {'ratio':>8} {'max rel err':>12}")
    print(head)
    print("-" * len(head))
    for d, beta, sizes in cases:
        m = af.AttentionModel(d=d, beta=beta, normalization="sa")
        h = spectral.harmonic_count(d, beta)
        example = af.sphere.uniform(8, d, seed=0)
        spectral_out = prepare(m, example, "spectral").output
        dense_out = prepare(m, example, "dense").output
        last = None                                          # (N, dense time) largest measured
        for n in sizes:
            x = af.sphere.uniform(n, d, seed=0)
            ts, ys = best_of(lambda x=x, f=spectral_out: f(x), args.repeat)
            mem = peak_mib(lambda x=x, f=spectral_out: f(x))
            if n <= args.dense_max:
                td, yd = best_of(lambda x=x, f=dense_out: f(x), args.repeat)
                err = f"{np.abs(ys - yd).max() / np.abs(yd).max():12.1e}"
                dense_s = f"{td:10.3f}"
                last = (n, td)
            else:
                td = last[1] * (n / last[0]) ** 2
                rows = np.random.default_rng(1).choice(n, 1024, replace=False)
                ref = sampled_rows(m, x, rows)
                err = f"{np.abs(ys[rows] - ref).max() / np.abs(ref).max():11.1e}r"
                dense_s = f"{'~' + format(td, '.0f'):>10}"
            print(f"{'S^' + str(d - 1):>6} {beta:5g} {n:8d} {h:5d} {ts:11.3f} {mem:9.1f} "
                  f"{dense_s} {td / ts:8.0f} {err}", flush=True)
    print("~ : dense time extrapolated as N^2 from the largest measured one of the same rows; "
          "r : error on 1024 random rows summed directly")


if __name__ == "__main__":
    main()
