"""The demo behind ``attnflow demo`` / ``make demo``: two small runs, their figures, a report.

1. **Circle** (S^1, USA, A = V = I, beta = 5, n = 500 uniform tokens, RK4, dt = 0.005 up
   to t = 1.5). The linear growth rates k^2 I_k(beta) / beta peak at k_max = 3, so the tokens
   gather into about three clusters by t ~ 0.5, which then persist (meta-stability [B]).
   The report compares the measured cluster angles with the prediction
   (2 pi m - arg mu_hat_{k_max}(0)) / k_max from the initial Fourier coefficient
   (docs/theory/linear-stability.md#cluster-angles).
2. **Sphere** (S^2, SA, A = V = I, beta = 1, n = 200, RK4, dt = 0.05 up to t = 10): the
   tokens synchronize into a single cluster, R(t) -> 1 [GLPR, C].

For each run the output directory receives ``<name>.zarr`` (:func:`attnflow.io.save`) and
``<name>.png`` (:func:`attnflow.plot.summary_figure`); ``summary.md`` reports the parameters,
wall time, final cluster count, energy at start and end (and whether it was non-decreasing,
as the gradient structure predicts) and the largest deviation max | |x_i| - 1 | from the
sphere. The whole demo takes a few seconds on two cores.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .config import RunConfig, parse_config

__all__ = ["CLUSTER_TOL", "demo_configs", "run_demo"]

#: tolerance of :func:`attnflow.observables.clusters` in the report: tokens with
#: <x_i, x_j> >= 1 - tol (angle below ~ sqrt(2 tol) = 0.14 rad) are linked
CLUSTER_TOL = 1e-2
#: relative slack when testing that the energy never decreased (rounding of the sums)
_ENERGY_SLACK = 1e-12


def demo_configs(large: bool = False) -> dict[str, RunConfig]:
    """The two demo runs as validated :class:`~attnflow.config.RunConfig` objects.

    Parameters
    ----------
    large : bool
        Use the particle counts of the papers' experiments (n = 20000 on S^1 as in [B],
        n = 2000 on S^2) instead of the quick defaults (500 and 200); minutes, not seconds,
        unless a fast exact backend applies.
    """
    circle = {
        "name": "circle",
        "description": "USA on S^1, beta = 5: meta-stable clustering into k_max = 3 clusters",
        "model": {"d": 2, "beta": 5.0, "normalization": "usa"},
        "init": {"kind": "uniform", "n": 20_000 if large else 500, "seed": 2},
        "run": {"t1": 1.5, "dt": 0.005, "method": "rk4", "save_every": 0.01,
                "observables": ["energy", "order_parameter", "order_parameter_2"]},
    }
    sphere = {
        "name": "sphere",
        "description": "SA on S^2, beta = 1: synchronization into one cluster",
        "model": {"d": 3, "beta": 1.0, "normalization": "sa"},
        "init": {"kind": "uniform", "n": 2_000 if large else 200, "seed": 0},
        "run": {"t1": 10.0, "dt": 0.05, "method": "rk4", "save_every": 0.1,
                "observables": ["energy", "order_parameter"]},
    }
    return {"circle": parse_config(circle), "sphere": parse_config(sphere)}


def _circle_prediction(x0: np.ndarray, beta: float, centers: np.ndarray) -> dict[str, Any]:
    """Predicted cluster angles from the initial k_max-th Fourier mode, matched to the measured."""
    from .analysis import angle_mismatch
    from .sphere import points_to_angles
    from .theory import k_max, predicted_cluster_angles

    k = k_max(beta, 2)
    predicted = predicted_cluster_angles(x0, beta, k=k)
    measured = np.sort(points_to_angles(centers))
    # distance on the circle from each measured center to its nearest predicted angle
    return {"k_max": k, "predicted_angles": predicted.tolist(),
            "measured_angles": measured.tolist(),
            "max_angle_error": angle_mismatch(measured, predicted)}


def _run_one(cfg: RunConfig, out_dir: Path, progress: bool | None) -> dict[str, Any]:
    from . import io, observables, plot

    model = cfg.build_model()
    start = time.perf_counter()
    sol = cfg.simulate(progress=progress)
    wall = time.perf_counter() - start
    x = np.asarray(sol.x)
    final = x[-1] if x.ndim == 3 else x[-1, 0]
    found = observables.clusters(final, CLUSTER_TOL)
    energy = np.asarray(sol.observables["energy"], dtype=np.float64)
    steps = np.diff(energy)
    slack = _ENERGY_SLACK * np.maximum(np.abs(energy[:-1]), 1.0)
    norms = np.linalg.norm(x, axis=-1)
    store = io.save(sol, out_dir / f"{cfg.name}.zarr", overwrite=True)
    figure = out_dir / f"{cfg.name}.png"
    plot.summary_figure(sol, figure)
    result: dict[str, Any] = {
        "name": cfg.name,
        "description": cfg.description,
        "model": repr(model),
        "n": cfg.init.n,
        "seed": cfg.init.seed,
        "method": cfg.run.method,
        "dt": cfg.run.dt,
        "t1": cfg.run.t1,
        "wall_time": wall,
        "steps": sol.metadata.get("n_steps"),
        "backend": sol.metadata.get("backend"),
        "cluster_count": int(found.count),
        "cluster_sizes": found.sizes.tolist(),
        "energy_start": float(energy[0]),
        "energy_end": float(energy[-1]),
        "energy_nondecreasing": bool(np.all(steps >= -slack)),
        "largest_energy_drop": float(max(0.0, -steps.min())) if steps.size else 0.0,
        "order_parameter_start": float(sol.observables["order_parameter"][0]),
        "order_parameter_end": float(sol.observables["order_parameter"][-1]),
        "max_norm_error": float(np.abs(norms - 1.0).max()),
        "store": str(store),
        "figure": str(figure),
    }
    if model.d == 2:
        first = x[0] if x.ndim == 3 else x[0, 0]
        result["prediction"] = _circle_prediction(first, model.beta, found.centers)
    return result


def _report(results: dict[str, dict[str, Any]], total: float, large: bool) -> str:
    lines = ["# attnflow demo", "",
             f"Total wall time: {total:.2f} s ({'large' if large else 'quick'} settings). "
             f"Clusters: connected components of <x_i, x_j> >= 1 - {CLUSTER_TOL:g}.", ""]
    for r in results.values():
        mono = "yes" if r["energy_nondecreasing"] else \
            f"**no** (largest drop {r['largest_energy_drop']:.3g})"
        lines += [
            f"## {r['name']}: {r['description']}", "",
            "| quantity | value |", "|---|---|",
            f"| model | `{r['model']}` |",
            f"| tokens n, seed | {r['n']}, {r['seed']} (uniform) |",
            f"| integrator | {r['method']}, dt = {r['dt']:g}, t1 = {r['t1']:g}, "
            f"{r['steps']} steps, backend {r['backend']} |",
            f"| wall time | {r['wall_time']:.2f} s |",
            f"| final cluster count | {r['cluster_count']} (sizes {r['cluster_sizes']}) |",
            f"| energy start -> end | {r['energy_start']:.8g} -> {r['energy_end']:.8g} |",
            f"| energy non-decreasing | {mono} |",
            f"| order parameter R start -> end | {r['order_parameter_start']:.4f} -> "
            f"{r['order_parameter_end']:.4f} |",
            f"| max over saves of \\| \\|x_i\\| - 1 \\| | {r['max_norm_error']:.2e} |",
        ]
        if "prediction" in r:
            p = r["prediction"]
            fmt = ", ".join
            lines += [
                f"| k_max (argmax k^2 I_k(beta)) | {p['k_max']} |",
                f"| predicted cluster angles | {fmt(f'{a:.3f}' for a in p['predicted_angles'])} |",
                f"| measured cluster angles | {fmt(f'{a:.3f}' for a in p['measured_angles'])} |",
                f"| largest angle error | {p['max_angle_error']:.3f} rad |",
            ]
        lines += ["", f"Store: `{r['store']}`; figure: `{r['figure']}`.", ""]
    return "\n".join(lines)


def run_demo(out_dir: str | Path = "out", large: bool = False,
             progress: bool | None = None) -> dict[str, Any]:
    """Run both demo simulations and write stores, figures and ``summary.md`` to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output directory (created; existing demo outputs in it are overwritten).
    large : bool
        Paper-sized particle counts (see :func:`demo_configs`).
    progress : bool or None
        Progress bars (None: only when stderr is a terminal).

    Returns
    -------
    dict
        ``{"circle": {...}, "sphere": {...}, "summary": path of summary.md,
        "out_dir": path, "wall_time": seconds}``; each run's dict holds the numbers of the
        report (``cluster_count``, ``energy_start``, ``energy_end``,
        ``energy_nondecreasing``, ``max_norm_error``, ``store``, ``figure``, ...).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = {name: _run_one(cfg, out, progress) for name, cfg in demo_configs(large).items()}
    total = time.perf_counter() - start
    summary = out / "summary.md"
    summary.write_text(_report(results, total, large), encoding="utf-8")
    return {**results, "summary": str(summary), "out_dir": str(out), "wall_time": total}
