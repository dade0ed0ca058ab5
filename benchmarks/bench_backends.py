"""A baseline checkout against this one, side by side: bench ratios, per-call timings, RK4 loops.

Usage: python benchmarks/bench_backends.py --baseline-src /tmp/old/src [--rounds 5]
                                           [--only bench calls rk4] [--json out.json]

The baseline is the ``src`` directory of another checkout, e.g. of the previous commit:
``git worktree add /tmp/old <commit>``. The tables give medians over ``--rounds`` rounds, each
in fresh processes, and the ratio new / baseline.

1. ``bench``: ``attnflow bench`` (``attnflow.bench.run_bench``: d = 3, beta = 1, general A and
   V, N = 4096 and 16384, best of 3) with PYTHONPATH set to the baseline's src and to this
   checkout's, alternately (baseline, new, new, baseline, ...): each backend's speed-up over the
   full-matrix baselines (numpy-full, torch-full), the ratios to keep within 5 %.
2. ``calls`` and ``rk4`` run both versions in ONE process, so that they see the same machine
   load at the same moment (on a shared machine, times of separate processes differ by up to 2x):
   the baseline's package is copied to a temporary directory as ``attnflow_baseline`` (its
   imports are relative) and imported next to this checkout's ``attnflow``; calls alternate.

   ``calls``: ``af.velocity(model, x, backend=...)`` per call (``--calls`` calls of each, in
   alternating order; median and minimum): spectral on S^1 (beta = 9, N = 2^16, 2^18) and S^2
   (beta = 1 and 9, N = 2^14), SA; numba and dense at N = 16384, d = 3, general A and V. The
   outputs of the two versions are checked to be equal bit for bit.

   ``rk4``: 200 classical RK4 steps (800 field evaluations, as two runs of 100 steps from the
   same start, in the order A B C C B A) with a retraction per step, the field evaluated
   (A) as the baseline's integrator does (``resolve_backend(model, x, name)`` once, then
   ``.output(model, z)`` per stage), (B) through this checkout's compatibility
   ``resolve_backend``, (C) with this checkout's prepared evaluator
   (``attnflow.backends.prepare(model, x0, name)``, then ``.velocity(z)``): numba at N = 4096,
   d = 3 (general A and V, SA, beta = 1), and spectral on S^1 at N = 2^16 (A = V = I, USA,
   beta = 5). The final states of A, B and C are compared bit for bit.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1] / "src"
CALL_CASES = (("spectral", 2, 9.0, 1 << 16), ("spectral", 2, 9.0, 1 << 18), ("spectral", 3, 1.0, 1 << 14),
              ("spectral", 3, 9.0, 1 << 14), ("numba", 3, 1.0, 1 << 14), ("dense", 3, 1.0, 1 << 14))
RK4_CASES = {"numba": (3, 1.0, 4096, False, "sa"), "spectral": (2, 5.0, 1 << 16, True, "usa")}
RK4_STEPS = 200


# -- workers (run in subprocesses) ---------------------------------------------------------------
def work_bench() -> dict:
    """attnflow bench with whichever attnflow PYTHONPATH gives."""
    from attnflow.bench import run_bench

    rows, _, _ = run_bench((4096, 16384), d=3, beta=1.0, identity=False, repeat=3,
                           progress=lambda msg: None)
    return {f"{r.name}@{r.n}": r.seconds for r in rows}


def _both(baseline_src: str):
    """This checkout's attnflow and the baseline's, imported as attnflow_baseline."""
    tmp = Path(tempfile.mkdtemp(prefix="attnflow-baseline-"))
    atexit.register(shutil.rmtree, tmp, True)
    shutil.copytree(Path(baseline_src) / "attnflow", tmp / "attnflow_baseline")
    sys.path.insert(0, str(tmp))
    import attnflow as new

    return new, importlib.import_module("attnflow_baseline")


def _model(pkg, d, beta, identity, normalization):
    if identity:
        return pkg.AttentionModel(d=d, beta=beta, normalization=normalization)
    ref = pkg.AttentionModel.random(d, beta, seed=0)
    return pkg.AttentionModel(d=d, beta=beta, A=ref.A, V=ref.V, normalization=normalization)


def work_calls(baseline_src: str, calls: int) -> dict:
    new, old = _both(baseline_src)
    out = {}
    for backend, d, beta, n in CALL_CASES:
        identity = backend == "spectral"
        x = new.sphere.uniform(n, d, seed=0)
        fns = {"baseline": (old.velocity, _model(old, d, beta, identity, "sa")),
               "new": (new.velocity, _model(new, d, beta, identity, "sa"))}
        ys = {k: f(m, x, backend=backend) for k, (f, m) in fns.items()}        # warm-up
        assert np.array_equal(ys["baseline"], ys["new"]), backend
        times: dict[str, list[float]] = {k: [] for k in fns}
        for i in range(calls):
            for k in (("baseline", "new") if i % 2 == 0 else ("new", "baseline")):
                f, m = fns[k]
                t = time.perf_counter()
                f(m, x, backend=backend)
                times[k].append(time.perf_counter() - t)
        key = f"{backend} d={d} beta={beta:g} N={n}"
        for k, ts in times.items():
            out[f"{key}|{k}|median"] = statistics.median(ts)
            out[f"{key}|{k}|min"] = min(ts)
    return out


def _rk4(field, retract, x, h, steps):
    for _ in range(steps):
        k1 = field(x)
        k2 = field(x + (0.5 * h) * k1)
        k3 = field(x + (0.5 * h) * k2)
        k4 = field(x + h * k3)
        x = retract(x + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4))
    return x


def work_rk4(baseline_src: str, name: str) -> dict:
    new, old = _both(baseline_src)
    from attnflow_baseline.velocity import resolve_backend as old_resolve

    from attnflow.backends import prepare, resolve_backend
    from attnflow.sphere import retract, tangent_project

    d, beta, n, identity, norm = RK4_CASES[name]
    m_old, m_new = _model(old, d, beta, identity, norm), _model(new, d, beta, identity, norm)
    x0 = new.sphere.uniform(n, d, seed=1)
    chosen_old, chosen_new = old_resolve(m_old, x0, name), resolve_backend(m_new, x0, name)
    fields = {"baseline per-call": lambda z: tangent_project(z, chosen_old.output(m_old, z)),
              "new per-call (compat)": lambda z: tangent_project(z, chosen_new.output(m_new, z)),
              "new prepared": prepare(m_new, x0, name).velocity}
    for field in fields.values():
        field(x0)                                         # compile / import outside the timing
    out: dict = {mode: 0.0 for mode in fields}
    for mode in list(fields) + list(reversed(fields)):   # A B C C B A: a load drift cancels
        t = time.perf_counter()
        x = _rk4(fields[mode], retract, x0, 0.01, RK4_STEPS // 2)
        out[mode] += (time.perf_counter() - t) / (4 * RK4_STEPS)
        out[mode + " state"] = hashlib.sha256(x.tobytes()).hexdigest()[:16]
    return out


# -- the parent ----------------------------------------------------------------------------------
def run(src: Path, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, __file__, "--worker", *args]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def med(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results if key in r)


def report_bench(res: dict[str, list[dict]]) -> None:
    print("\n## attnflow bench: speed-up over the full-matrix baselines (median over rounds)\n")
    print("| backend | N | vs numpy-full: baseline | new | new / baseline | "
          "vs torch-full: baseline | new | new / baseline |")
    print("|---|---|---|---|---|---|---|---|")
    keys = sorted({k for r in res["new"] for k in r if not k.split("@")[0].endswith("-full")},
                  key=lambda k: (int(k.split("@")[1]), k))
    for key in keys:
        name, n = key.split("@")
        cells = []
        for base in ("numpy-full", "torch-full"):
            ratios = {}
            for version in ("baseline", "new"):
                per_round = [r[f"{base}@{n}"] / r[key] for r in res[version]
                             if f"{base}@{n}" in r and key in r]
                ratios[version] = statistics.median(per_round) if per_round else float("nan")
            cells += [f"{ratios['baseline']:.2f}x", f"{ratios['new']:.2f}x",
                      f"{ratios['new'] / ratios['baseline']:.3f}"]
        print(f"| {name} | {n} | " + " | ".join(cells) + " |")
    print("\nseconds per evaluation (median over rounds, baseline -> new): " + ", ".join(
        f"{k}: {med(res['baseline'], k):.4g} -> {med(res['new'], k):.4g}" for k in sorted(res["new"][0])))


def report_calls(res: list[dict]) -> None:
    print("\n## Per-call af.velocity, both versions in one process (seconds, median over rounds)\n")
    print("| case | baseline median | new median | new / baseline (median) | "
          "baseline min | new min | new / baseline (min) |")
    print("|---|---|---|---|---|---|---|")
    for case in dict.fromkeys(k.split("|")[0] for k in res[0]):
        bm, nm = med(res, f"{case}|baseline|median"), med(res, f"{case}|new|median")
        bn, nn = med(res, f"{case}|baseline|min"), med(res, f"{case}|new|min")
        print(f"| {case} | {bm:.4g} | {nm:.4g} | {nm / bm:.3f} | {bn:.4g} | {nn:.4g} | {nn / bn:.3f} |")


def report_rk4(res: dict[str, list[dict]]) -> None:
    print(f"\n## RK4 loop, {RK4_STEPS} steps, both versions in one process: seconds per field "
          "evaluation (median over rounds)\n")
    modes = ("baseline per-call", "new per-call (compat)", "new prepared")
    print("| backend | " + " | ".join(modes) + " | prepared / baseline | same final state |")
    print("|---|---|---|---|---|---|")
    for name, r in res.items():
        t = [med(r, mode) for mode in modes]
        same = all(len({o[m + " state"] for m in modes}) == 1 for o in r)
        print(f"| {name} | " + " | ".join(f"{v:.4g}" for v in t) + f" | {t[2] / t[0]:.3f} | {same} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline-src", type=Path, help="src directory of the baseline checkout")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=20, help="calls of each version per case and round")
    p.add_argument("--only", nargs="*", default=["bench", "calls", "rk4"])
    p.add_argument("--json", type=Path, help="also write every round's raw numbers here")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = {"bench": lambda: work_bench(),
                  "calls": lambda: work_calls(rest[0], int(rest[1])),
                  "rk4": lambda: work_rk4(rest[0], rest[1])}[kind]()
        print(json.dumps(result))
        return
    if args.baseline_src is None:
        p.error("--baseline-src is required")
    base = args.baseline_src.resolve()
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    raw: dict[str, dict | list] = {}
    bench: dict[str, list[dict]] = {"baseline": [], "new": []}
    calls: list[dict] = []
    rk4: dict[str, list[dict]] = {name: [] for name in RK4_CASES}
    for i in range(args.rounds):
        if "bench" in args.only:
            order = ("baseline", "new") if i % 2 == 0 else ("new", "baseline")
            for version in order:
                bench[version].append(run(base if version == "baseline" else HERE, "bench"))
        if "calls" in args.only:
            calls.append(run(HERE, "calls", str(base), str(args.calls)))
        if "rk4" in args.only:
            for name in RK4_CASES:
                rk4[name].append(run(HERE, "rk4", str(base), name))
        print(f"round {i + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    if "bench" in args.only:
        report_bench(bench)
        raw["bench"] = bench
    if "calls" in args.only:
        report_calls(calls)
        raw["calls"] = calls
    if "rk4" in args.only:
        report_rk4(rk4)
        raw["rk4"] = rk4
    print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
