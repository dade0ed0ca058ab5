"""Time the dense evaluators (Numba kernel, NumPy row blocks, NumPy full matrix), in one run.

Usage: python benchmarks/bench_dense.py [--n 4096 16384 65536] [--d-sweep 8 12 16 32 64 128]
                                        [--sweep-n 16384] [--full-max 16384] [--repeat 3]

The case is the exact SA attention output, general A and V (Ginibre, seed 0), beta = 1, float64,
points uniform on S^{d-1}. Each measurement runs in a fresh subprocess, which:

- builds the input, then calls the evaluator once on 64 points (for Numba: the first-call
  compile time, reported as "compile s");
- resets the peak RSS (/proc/self/clear_refs) and calls the evaluator on the full input: the
  peak RSS growth over the RSS before the call ("peak MB") counts every allocation (tracemalloc
  would miss Numba's); then times the best of ``--repeat`` calls (one if a call takes over 5 s);
- checks 256 random rows against a direct max-shifted summation ("err": max abs error / max
  abs value).

"bound" is the fraction of the all-core exp-throughput bound N^2 / (cores x rate) reached, with
rate = np.exp on a 2^22 float64 array (one thread, measured here in the parent process);
"x numba" is the time over the Numba time with all threads for the same N and d. Rows: "numba"
with 1 and all threads (numba.set_num_threads), "numpy blocked" = attnflow.backends.dense (BLAS
uses all cores), "numpy full" = the whole N x N weight matrix at once, in place (N <= --full-max).
The d sweep (--d-sweep at N = --sweep-n) compares Numba (all threads) with the NumPy blocks to
locate the dimension where BLAS row blocks win. The load average of the machine is printed
before and after: other processes on the cores make every number slower.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SAMPLE_ROWS = 256


def best_of(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        if best > 5.0:
            break
    return best


def exp_rate() -> float:
    z = -np.abs(np.random.default_rng(0).standard_normal(1 << 22)) * 10
    out = np.empty_like(z)
    np.exp(z, out=out)
    return z.size / best_of(lambda: np.exp(z, out=out), 7)


def _status(key: str) -> int:
    """A memory field of /proc/self/status, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def full_matrix(model, x: np.ndarray) -> np.ndarray:
    """Baseline: the whole N x N weight matrix at once (O(N^2) memory, in-place exp)."""
    s = (x @ model.A_matrix.T) @ x.T
    s *= model.beta
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    return (s @ (x @ model.V_matrix.T)) / s.sum(axis=1, keepdims=True)


def worker(method: str, n: int, d: int, threads: int, repeat: int) -> dict:
    """One measurement (runs in its own process); returns a JSON-able dict."""
    import attnflow as af
    from attnflow.backends import prepare

    model = af.AttentionModel.random(d, 1.0, seed=0)
    x = af.sphere.uniform(n, d, seed=1)
    t = time.perf_counter()
    if method == "numba":
        import numba

        numba.set_num_threads(threads)
    if method in ("numba", "dense"):
        output = prepare(model, x, method).output          # Numba: compiles the kernel for d here

        def fn(model, z):
            return output(z)
    else:
        fn = full_matrix
    fn(model, x[:64])
    compile_s = time.perf_counter() - t
    try:                                        # reset the peak RSS to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    rss0 = _status("VmRSS")
    y = fn(model, x)
    peak = _status("VmHWM") - rss0
    seconds = best_of(lambda: fn(model, x), repeat)
    rows = np.random.default_rng(2).choice(n, size=min(n, SAMPLE_ROWS), replace=False)
    s = model.beta * (x[rows] @ model.A_matrix.T) @ x.T
    w = np.exp(s - s.max(axis=1, keepdims=True))
    ref = (w @ (x @ model.V_matrix.T)) / w.sum(axis=1, keepdims=True)
    err = float(np.abs(y[rows] - ref).max() / np.abs(ref).max())
    return {"seconds": seconds, "peak": peak, "compile": compile_s, "err": err}


def measure(method: str, n: int, d: int, threads: int, repeat: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, str(n), str(d), str(threads), str(repeat)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="*", default=[4096, 16384, 65536])
    p.add_argument("--d", type=int, default=3)
    p.add_argument("--d-sweep", type=int, nargs="*", default=[8, 12, 16, 32, 64, 128])
    p.add_argument("--sweep-n", type=int, default=16384)
    p.add_argument("--full-max", type=int, default=16384)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        method, n, d, threads, repeat = args.worker
        print(json.dumps(worker(method, int(n), int(d), int(threads), int(repeat))))
        return

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rate = exp_rate()
    print(f"np.exp rate (1 core): {rate:.3g}/s; cores: {cores}; SA, general A and V, beta = 1, float64")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    head = (f"{'N':>6} {'d':>4} {'method':<14} {'threads':>7} {'time s':>8} {'bound':>6} {'x numba':>8} "
            f"{'peak MB':>8} {'compile s':>9} {'err':>8}")
    print(head)
    print("-" * len(head))
    cases = [(n, args.d) for n in args.n] + [(args.sweep_n, d) for d in args.d_sweep]
    for n, d in cases:
        sweep = d != args.d
        rows = [("numba", cores)] if sweep else [("numba", 1), ("numba", cores)]
        rows.append(("dense", cores))
        if not sweep and n <= args.full_max:
            rows.append(("full", cores))
        results = [(method, threads, measure(method, n, d, threads, args.repeat))
                   for method, threads in rows]
        ref = next(r["seconds"] for m, t, r in results if m == "numba" and t == cores)
        for method, threads, r in results:
            name = {"numba": "numba", "dense": "numpy blocked", "full": "numpy full"}[method]
            bound = n * n / (cores * rate) / r["seconds"]
            shown_threads = str(threads) if method == "numba" else "blas"
            comp = f"{r['compile']:9.2f}" if method == "numba" else f"{'':>9}"
            print(f"{n:>6} {d:>4} {name:<14} {shown_threads:>7} {r['seconds']:>8.3f} {bound:>6.2f} "
                  f"{r['seconds'] / ref:>8.2f} {r['peak'] / 2**20:>8.1f} {comp} {r['err']:>8.1e}", flush=True)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
