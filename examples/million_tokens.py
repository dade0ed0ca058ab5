"""One million tokens on S^1 through the meta-stable phase (USA, beta = 5, A = V = I).

The linear phase ends near t = log(N) / (2 gamma_max) = 0.37 for N = 1e6 ([B];
docs/theory/linear-stability.md#phases-from-a-uniform-start); tokens then gather into k_max = 3
clusters at the angles predicted from the initial
third Fourier coefficient, which persist (meta-stability). The run uses the exact spectral
backend (O(N K) per evaluation), writes its store as it goes (resumable), and reports the
wall time and the peak memory.

Run: .venv/bin/python examples/million_tokens.py [--n 1000000] [--out out/million]
(about 10 minutes on 2 cores for N = 1e6.)
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

import attnflow as af
from attnflow import theory


def mode(k: int):
    def amplitude(model, x):
        return float(np.abs(af.observables.fourier_modes(x, k)[k]))
    return amplitude


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--beta", type=float, default=5.0)
    p.add_argument("--t1", type=float, default=3.0)
    p.add_argument("--dt", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("out/million"))
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    model = af.AttentionModel(d=2, beta=args.beta, normalization="usa")
    x0 = af.sphere.uniform(args.n, 2, seed=args.seed)
    save_at = np.unique(np.concatenate([np.linspace(0, 0.6, 13), np.linspace(0.8, args.t1, 7)]))
    save_at = save_at[save_at <= args.t1]
    observables = {"order_parameter": af.observables.OBSERVABLES["order_parameter"],
                   "energy": af.observables.OBSERVABLES["energy"],
                   **{f"mode_{k}": mode(k) for k in range(1, 7)}}
    store = args.out / "run.zarr"
    start = time.perf_counter()
    sol = af.simulate(model, x0, args.t1, args.dt, "rk4", save_at=save_at, observables=observables,
                      store=store, resume=store.exists(), seed=args.seed, progress=True)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    theta0 = af.sphere.points_to_angles(x0)
    k = theory.k_max(args.beta, 2)
    predicted = np.sort(theory.predicted_cluster_angles(theta0, args.beta))
    # clusters of a 20000-token subsample: at N = 1e6 stray tokens between clusters make the
    # full single-linkage graph slow and can chain clusters together
    rng = np.random.default_rng(0)
    sub = sol.x[-1][rng.choice(args.n, min(args.n, 20000), replace=False)]
    final = af.observables.clusters(sub, tol=1e-3)
    big = final.sizes >= 0.01 * sub.shape[0]
    centers = np.sort(af.sphere.points_to_angles(final.centers[big]))
    gamma = theory.growth_rates(args.beta, 2, 8, "usa")
    amp = np.array([sol.observables[f"mode_{j}"] for j in range(1, 7)])
    early = sol.t <= 0.2
    fitted = [np.polyfit(sol.t[early], np.log(a[early]), 1)[0] for a in amp]
    lines = [
        f"# {args.n} tokens on S^1, USA, beta = {args.beta:g}, rk4 dt = {args.dt:g}, t1 = {args.t1:g}",
        "",
        f"- wall time: {wall:.0f} s ({sol.metadata.get('n_evals')} field evaluations, backend "
        f"{sol.metadata['backend']}); peak resident memory {peak_mb:.0f} MB",
        f"- predicted end of the linear phase log(N)/(2 gamma_max) = "
        f"{theory.linear_phase_end(args.n, args.beta, 2):.3f}",
        f"- k_max = {k}; clusters holding >= 1% of tokens at t = {sol.t[-1]:g}: {int(big.sum())} "
        f"(fractions {np.round(final.sizes[big] / sub.shape[0], 3).tolist()}, 20000-token subsample)",
        f"- predicted angles {np.round(predicted, 3).tolist()}, measured {np.round(centers, 3).tolist()}",
        "",
        "| k | gamma_k (theory) | fitted rate of |mu_hat_k| on t <= 0.2 |",
        "|---|---|---|",
        *[f"| {j} | {gamma[j]:.3f} | {fitted[j - 1]:.3f} |" for j in range(1, 7)],
    ]
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for j in range(1, 7):
        line, = a1.semilogy(sol.t, amp[j - 1], label=f"k = {j}")
        a1.semilogy(sol.t[early], amp[j - 1][0] * np.exp(gamma[j] * sol.t[early]), ":",
                    color=line.get_color())
    a1.set(xlabel="t", ylabel="|mu_hat_k|", title="Fourier modes (dotted: e^{gamma_k t})", ylim=(1e-4, 1.5))
    a1.legend(fontsize=8)
    a2.hist(af.sphere.points_to_angles(sol.x[-1]), bins=720, color="C0")
    for c in predicted:
        a2.axvline(c, color="r", lw=1)
    a2.set(xlabel="angle", ylabel="tokens", title=f"t = {sol.t[-1]:g}; red: predicted clusters", yscale="log")
    fig.savefig(args.out / "million_tokens.png", dpi=110)


if __name__ == "__main__":
    main()
