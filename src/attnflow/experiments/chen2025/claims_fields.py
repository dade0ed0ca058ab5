"""Configurations with their velocity arrows, in the manner of [C]'s Figs. 1-2 (figure only, no rows).

[C]'s Fig. 1 draws Example 2.5's initial atoms with "the arrows indicate velocity fields for initial
angles", Fig. 2 Example 2.6's density "and the arrows indicate velocity fields at the boundaries of
the support" ([V-src], captions; the constructions were not found [U]). Drawn here, at three times
each, with the velocity v_i = P_{x_i} (1/N) sum_j e^{beta <A x_i, x_j>} V x_j of every token:

- S^1, two antipodal arcs of half-width 0.4 and masses 0.7/0.3 (the stand-in of Example 2.6), at
  beta = 0.2 (below the narrow-arc threshold ln(p/q)/2 = 0.42: the light arc is pushed apart and
  joins the heavy one) and at beta = 1 (above it: both arcs contract, R -> p - q);
- S^2, a draw of general (A, V) of :mod:`.claims_general`: tokens from a cap collapse to one cluster
  that travels to the top eigenvector v_1 of V.

The crosses mark the mean m = (1/N) sum_i x_i, as in [C]'s figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ... import sphere
from ...backends import velocity
from ...densities import sample_circle
from ...integrate import simulate
from ...model import AttentionModel
from ..report import Report
from .claims_general import cap_points, draw_matrices
from .initial import arc_density, circle_grid_density
from .settings import Settings

__all__ = ["add_claims"]


def _snapshots(model: AttentionModel, x0: np.ndarray, times: tuple, dt: float) -> list:
    """[(t, x, v)] at the given times (RK4 with step ``dt``)."""
    ts = np.asarray(times, dtype=float)
    sol = simulate(model, x0, float(ts[-1]), dt, "rk4", save_at=ts)
    return [(float(t), x, velocity(model, x)) for t, x in zip(sol.t, sol.x, strict=True)]


def add_claims(rep: Report, cfg: Settings, out: Path) -> dict:
    """Draw chen2025_fields.png into ``out`` (no rows); return the final mean resultants."""
    from . import figures_extra

    rho = circle_grid_density(arc_density(0.7, 0.4), 4096)
    x0 = sphere.angles_to_points(sample_circle(rho, cfg.fields_N, method="quantile"))
    panels = []
    for beta, times in ((0.2, (0.0, 6.0, 30.0)), (1.0, (0.0, 1.0, 10.0))):
        model = AttentionModel(d=2, beta=beta, normalization="usa")
        panels.append((f"S^1, arcs 0.7/0.3, beta = {beta:g}", _snapshots(model, x0, times, 0.05)))
    A, V = draw_matrices(3, 0)
    model = AttentionModel(d=3, beta=1.0, A=A, V=V, normalization="usa")
    x3 = cap_points(cfg.fields_N, 3, 1.0, np.random.default_rng(1000))
    v1 = np.linalg.eigh(V)[1][:, -1]
    panels.append(("S^2, random A, V, beta = 1", _snapshots(model, x3, (0.0, 1.0, 4.0), 0.02)))
    figures_extra.fields(panels, v1, out / "chen2025_fields.png")
    return {"R_final": np.array([float(np.linalg.norm(p[1][-1][1].mean(axis=0))) for p in panels]),
            "beta_c_narrow": np.array([0.5 * math.log(0.7 / 0.3)])}
