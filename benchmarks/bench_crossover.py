"""Where the spectral evaluator starts to beat the Numba dense kernel (A = V = I, S^1 and S^2).

Usage: python benchmarks/bench_crossover.py [--repeat 7]

For each sphere and beta, times both evaluators (best of ``--repeat`` after a warm-up call) on
uniform points for n on a sqrt(2)-spaced grid from 64, and prints the ratio numba time /
spectral time at each n (> 1: spectral is faster), the first n of two consecutive spectral wins
(the crossover; isolated wins are timing noise at sub-millisecond times) and the n from which
``backend="auto"`` picks spectral (``attnflow.backends.spectral.faster``). The rule in
spectral.py was fitted to this table on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import attnflow as af
from attnflow.backends import prepare, spectral

CASES = ((2, (0.1, 1.0, 5.0, 9.0, 30.0, 100.0)), (3, (0.1, 1.0, 5.0, 9.0, 30.0)))
NS = [round(64 * 2 ** (k / 2)) for k in range(21)]


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def auto_from(model: af.AttentionModel) -> int:
    """Smallest n of the grid for which auto prefers the spectral evaluator."""
    for n in range(1, 10**6, 16):
        if spectral.faster(model, np.zeros((n, model.d))):
            return n
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'sphere':>6} {'beta':>6} {'h':>5} {'crossover':>14} {'auto from':>9}  ratios numba/spectral")
    for d, betas in CASES:
        for beta in betas:
            model = af.AttentionModel(d=d, beta=beta, normalization="usa")
            example = af.sphere.uniform(8, d, seed=0)
            numba_out = prepare(model, example, "numba").output
            spectral_out = prepare(model, example, "spectral").output
            wins, prev, cross, rows = 0, None, None, []
            for n in NS:
                x = af.sphere.uniform(n, d, seed=0)
                r = (best(lambda x=x, f=numba_out: f(x), args.repeat)
                     / best(lambda x=x, f=spectral_out: f(x), args.repeat))
                rows.append(f"{n}:{r:.2f}")
                if r > 1:
                    wins += 1
                    cross = cross or (prev, n)
                    if wins == 2:
                        break
                else:
                    wins, cross = 0, None
                prev = n
            where = f"({cross[0]}, {cross[1]}]" if cross else "not reached"
            print(f"{'S^' + str(d - 1):>6} {beta:>6g} {spectral.harmonic_count(d, beta):>5} {where:>14} "
                  f"{auto_from(model):>9}  {' '.join(rows)}", flush=True)


if __name__ == "__main__":
    main()
