"""What the noise costs next to the drift, and whether the weak-order-2 splitting pays for itself.

Usage: OMP_NUM_THREADS=1 python benchmarks/bench_noise.py [--repeat 3] [--steps 100]

Table 1 (overhead): the time per step of a noisy run against the deterministic run with the same
number of drift evaluations, on the same model and state: ``euler_maruyama`` against ``euler``
(one evaluation, one retraction; the noise adds the normals and one tangent projection) and
``strang`` against ``midpoint`` (two evaluations; the noise adds two geodesic heat steps). Best of
``--repeat`` runs of ``--steps`` steps each, in this process.

Table 2 (accuracy per cost): the stationary mean <x, e> of dX = P_X e dt + dB on S^2 (diffusivity
1/2, so the invariant law is von Mises-Fisher with concentration 2 and mean
I_{3/2}(2)/I_{1/2}(2)) by each scheme at several steps, with the drift evaluations per unit time;
2e5 tokens from uniform, saves over t in [12, 20] (statistical error ~ 4e-4).
All numbers come from this run on this machine; one BLAS thread (``OMP_NUM_THREADS=1``) keeps the
two timings of a pair from competing with their own threads on a shared machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import ive

import attnflow as af
from attnflow.fields import FunctionField, NoisyField
from attnflow.manifolds import Sphere
from attnflow.solve import BrownianIncrements, ConstantStep, SaveAt, solve

PAIRS = (("euler", "euler_maruyama"), ("midpoint", "strang"))


def step_time(model, x0, method, steps, repeat, backend, seed):
    """Best wall time per step of ``steps`` steps of ``method`` (dt = 0.01)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        af.simulate(model, x0, steps * 0.01, 0.01, method=method, seed=seed, backend=backend,
                    save_at=[0.0, steps * 0.01], save_states=False, observables=["order_parameter"],
                    progress=False)
        best = min(best, (time.perf_counter() - t) / steps)
    return best


def overhead(repeat: int, steps: int) -> None:
    cases = [("S^1", 2, 1.0, 100_000, "spectral"), ("S^1", 2, 1.0, 1_000, "dense"),
             ("S^2", 3, 1.0, 2_000, "dense"), ("S^2", 3, 1.0, 100_000, "spectral")]
    print("| sphere | N | drift backend | deterministic | ms/step | noisy | ms/step | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, d, beta, n, backend in cases:
        x0 = af.sphere.uniform(n, d, seed=0)
        plain = af.AttentionModel(d, beta, normalization="usa")
        noisy = af.AttentionModel(d, beta, normalization="usa", kappa=2.0)
        for det, sto in PAIRS:
            t0 = step_time(plain, x0, det, steps, repeat, backend, None)
            t1 = step_time(noisy, x0, sto, steps, repeat, backend, 0)
            print(f"| {name} | {n} | {backend} | {det} | {1e3 * t0:.2f} | {sto} | {1e3 * t1:.2f} | "
                  f"{t1 / t0:.3f} |", flush=True)


def accuracy() -> None:
    d, D, n = 3, 0.5, 200_000
    e = np.zeros(d)
    e[0] = 1.0
    field = NoisyField(FunctionField(lambda t, y: e - (y @ e)[..., None] * y, manifold=Sphere(d)), D)
    x0 = af.sphere.uniform(n, d, seed=4)
    exact = ive(d / 2, 1 / D) / ive(d / 2 - 1, 1 / D)
    print("\n| scheme | h | drift evaluations per unit time | stationary <x, e> - exact |")
    print("|---|---|---|---|")
    for name, hs, evals in (("euler_maruyama", (0.1, 0.05, 0.025), 1), ("strang", (0.2, 0.1, 0.05), 2)):
        for h in hs:
            traj = solve(field, x0, 0.0, 20.0, solver=name, stepsize=ConstantStep(h),
                         noise=BrownianIncrements(8), saveat=SaveAt(ts=np.arange(12.0, 20.01, 1.0)))
            got = float(np.mean(traj.ys[..., 0]))
            print(f"| {name} | {h:g} | {evals / h:g} | {got - exact:+.2e} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--steps", type=int, default=100)
    args = p.parse_args()
    overhead(args.repeat, args.steps)
    accuracy()


if __name__ == "__main__":
    main()
