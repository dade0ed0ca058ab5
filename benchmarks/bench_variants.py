"""The cost of the transformer variants in the fused evaluators, as ratios within one run.

Usage: python benchmarks/bench_variants.py [--n 1024 4096 16384] [--heads 2 4] [--d 3]
                                           [--backends dense numba] [--repeat 5] [--json out.json]

Two questions, for the dense (NumPy row blocks) and Numba (fused kernel) evaluators, d = 3,
general A_h and V_h (Ginibre / sqrt(d), seed 0), beta = 1, SA, float64, points uniform on S^2:

1. **Heads.** One evaluation of an H-head model (``prepare(model, x, backend).output``: all heads
   in one pass over the row blocks / one parallel kernel) against H evaluations of its one-head
   models ``model.head(h)`` summed (what a caller would do without heads). "fused / separate" is
   the ratio of the two times (below 1: the fused evaluation is cheaper); "fused / (H x one)"
   compares with H times the one-head model ``model.head(0)``. The fused output is checked to
   equal the summed one bit for bit (the evaluators' contract).
2. **Causal mask.** The masked model (``mask="causal"``, one head) against the same model with full
   attention: "causal / full" (the masked part is skipped, so about 1/2 is the ideal at large N).

Every timing is the median of ``--repeat`` calls; the calls of the compared evaluators alternate
(A B B A ...), so that a change of the machine's load affects both alike (on a shared machine
absolute times drift by up to 2x; the ratios within one run are what count). The load average is
printed before and after. On oversubscribed cores, run the dense rows with one BLAS thread
(``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_variants.py --backends dense``): multi-threaded
BLAS calls then swing by 2x from call to call, which the medians of a few calls do not absorb.
Measured numbers: README ("Heads and the causal mask inside the fused evaluators").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np


def alternate(fns: dict, repeat: int) -> dict[str, float]:
    """Median seconds of each callable, the calls alternating A B B A ... (one warm-up call each)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for i in range(repeat):
        for k in (keys if i % 2 == 0 else keys[::-1]):
            t = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(ts) for k, ts in times.items()}


def heads_row(af, prepare, backend: str, n: int, d: int, H: int, repeat: int) -> dict:
    rng = np.random.default_rng(0)
    A, V = rng.standard_normal((2, H, d, d)) / np.sqrt(d)
    model = af.AttentionModel(d=d, beta=1.0, A=A, V=V)
    x = af.sphere.uniform(n, d, seed=1)
    fused = prepare(model, x, backend).output
    parts = [prepare(model.head(h), x, backend).output for h in range(H)]

    def separate():
        total = parts[0](x)
        for part in parts[1:]:
            total += part(x)
        return total

    assert np.array_equal(fused(x), separate()), "H heads fused must equal H one-head evaluations summed"
    t = alternate({"fused": lambda: fused(x), "separate": separate, "one": lambda: parts[0](x)}, repeat)
    return {"backend": backend, "n": n, "H": H, **t, "fused/separate": t["fused"] / t["separate"],
            "fused/(H one)": t["fused"] / (H * t["one"])}


def causal_row(af, prepare, backend: str, n: int, d: int, repeat: int) -> dict:
    full = af.AttentionModel.random(d, 1.0, seed=0)
    x = af.sphere.uniform(n, d, seed=1)
    f_full = prepare(full, x, backend).output
    f_causal = prepare(full.replace(mask="causal"), x, backend).output
    t = alternate({"full": lambda: f_full(x), "causal": lambda: f_causal(x)}, repeat)
    return {"backend": backend, "n": n, **t, "causal/full": t["causal"] / t["full"]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1024, 4096, 16384])
    ap.add_argument("--heads", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--d", type=int, default=3)
    ap.add_argument("--backends", nargs="+", default=["dense", "numba"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import attnflow as af
    from attnflow.backends import prepare

    print(f"load average before: {os.getloadavg()}")
    print(f"d = {args.d}, SA, general A_h and V_h; median of {args.repeat} alternating calls, s per call")
    print(f"{'backend':8} {'N':>6} {'case':>8} {'time s':>9} {'reference s':>11} {'ratio':>6}  ratio means")
    heads, causal = [], []
    for backend in args.backends:
        for n in args.n:
            for H in args.heads:
                r = heads_row(af, prepare, backend, n, args.d, H, args.repeat)
                heads.append(r)
                print(f"{backend:8} {n:6d} {f'H = {H}':>8} {r['fused']:9.4f} {r['separate']:11.4f} "
                      f"{r['fused/separate']:6.2f}  fused / {H} one-head evaluations summed "
                      f"(fused / (H x one head) = {r['fused/(H one)']:.2f})", flush=True)
            r = causal_row(af, prepare, backend, n, args.d, args.repeat)
            causal.append(r)
            print(f"{backend:8} {n:6d} {'causal':>8} {r['causal']:9.4f} {r['full']:11.4f} "
                  f"{r['causal/full']:6.2f}  causal / full attention", flush=True)
    print(f"load average after: {os.getloadavg()}")
    result = {"heads": heads, "causal": causal}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
