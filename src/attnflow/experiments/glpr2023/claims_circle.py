"""GLPR part 1: trajectories on S^1 (d = 2, A = V = I, SA, n = 64, eta = 0.1, as ``sphere.py``).

GLPR's picture: the tokens cluster to a single point for small beta, and for larger beta they
first gather into several clusters that persist over long times (metastability) before merging.
"""

from __future__ import annotations

import numpy as np

from ... import sphere
from ...integrate import simulate
from ...model import AttentionModel
from ...observables import clusters
from ..report import Report, compare, format_floats
from .reference import STEP, TOL_PAIR

__all__ = ["add_claims"]


def add_claims(rep: Report, P: dict) -> dict:
    """Add the two S^1 rows to ``rep``; return the saved times, cluster counts and states per beta."""
    n, T = 64, 30.0
    seeds = P["circle_seeds"]
    ts = np.arange(0.0, T + 1e-9, 0.5)
    x0 = np.stack([sphere.uniform(n, 2, seed=s) for s in range(seeds)])
    out = {"t": ts, "counts": {}, "states": {}}
    par = f"d = 2, A = V = I, SA, n = {n} iid uniform, layer scheme eta = {STEP:g}, {seeds} seeds"
    for beta in (1.0, 5.0):
        model = AttentionModel(d=2, beta=beta, normalization="sa")
        sol = simulate(model, x0, T, STEP, "layer", save_at=ts, backend="dense")
        counts = np.array([[clusters(sol.x[k, b], TOL_PAIR).count for b in range(seeds)]
                           for k in range(ts.size)])
        out["counts"][beta] = counts
        out["states"][beta] = sol.x[:, 0]
    c1, c5 = out["counts"][1.0], out["counts"][5.0]
    i15 = int(np.argmin(np.abs(ts - 15.0)))
    one = float(np.mean(c1[-1] == 1))
    rep.add(compare("beta = 1 on S^1: the tokens cluster to a single point (fraction of seeds with one "
                    f"cluster at t = {T:g})", 1.0, one, 0.0, f"{par}; clusters: <x_i, x_j> >= 0.999",
                    note=f"time of the last merge per seed: {format_floats(_last_change(ts, c1))}. "
                         "Tolerance 0: "
                         "every seed must end in one cluster (beta = 1 is far below the metastable regime: "
                         "[B]'s k_max(1, d=2) = 1)",
                    foil=0.0, foil_note="no seed clusters (the large-beta picture)"))
    plateau = (c5[i15:] == c5[i15]).all(axis=0) & (c5[i15] >= 2)
    rep.add(compare("beta = 5 on S^1: metastability: a multi-cluster state (>= 2 clusters) persists "
                    "unchanged from t = 15 to t = 30 (fraction of seeds)", 1.0, float(plateau.mean()), 0.25,
                    f"{par}; clusters: <x_i, x_j> >= 0.999",
                    note=f"cluster counts at t = 15: {c5[i15].tolist()}; at t = 30: {c5[-1].tolist()}. For "
                         "comparison, [B]'s linearization predicts k_max(5, d=2) = 3 first clusters "
                         "(n -> inf). Tolerance 0.25: one seed in four may merge inside the window (the "
                         "plateaus are saddles, [B]), not more",
                    foil=0.0, foil_note="no plateau: the small-beta picture (merging into one cluster)"))
    return out


def _last_change(ts: np.ndarray, counts: np.ndarray) -> list[float]:
    res = []
    for b in range(counts.shape[1]):
        ch = np.flatnonzero(np.diff(counts[:, b]) != 0)
        res.append(float(ts[ch[-1] + 1]) if ch.size else 0.0)
    return res
