"""[B] on S^2 from iid starts: the degree of the first structure against k_max(beta, 3).

On S^{d-1}, d >= 3, [B]'s linear analysis predicts that the first structure is the degree-k_max
harmonic (there is no "equally spaced clusters" statement). From N iid uniform tokens on S^2 the
degree-l power a_l = sqrt((1/N^2) sum_{i,j} P_l(<x_i, x_j>)) starts at ~N^{-1/2}
(E a_l^2 = 1/N, docs/theory/linear-stability.md#phases-from-a-uniform-start) and grows like
e^{gamma_l t}; the leading degree is the first to reach THRESHOLD.

Mode competition (derived as on S^1, docs/theory/linear-stability.md#mode-competition): N a_l^2 is
the mean of 2 l + 1 squared Gaussian coordinates (the degree-l harmonics), i.e. chi-square with
2 l + 1 degrees of freedom divided by 2 l + 1, so the initial amplitudes vary less than the
Rayleigh amplitudes of S^1 (2 degrees of freedom) and k_max wins more often at the same N
(:func:`~.iid.mc_win_probability` with d = 3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import analysis, sphere, theory
from ...integrate import simulate
from ...model import AttentionModel
from .settings import BETA, IID_DT, THRESHOLD

__all__ = ["s2_run"]

#: degrees tracked
S2_K = 8


def s2_run(N: int, seed: int, beta: float = BETA, dt: float = IID_DT) -> dict[str, Any]:
    """USA on S^2 from N iid uniform tokens until the largest degree power reaches THRESHOLD (rk4,
    spectral backend); returns the leading degree (0 if none by t_lin + 3 / gamma_max) and the time."""
    km = theory.k_max(beta, 3)
    gmax = float(theory.growth_rates(beta, 3, km)[km])
    t_end = dt * math.ceil((theory.linear_phase_end(N, beta, 3, "usa") + 3.0 / gmax) / dt)
    saves = dt * np.arange(round(t_end / dt) + 1)
    x0 = sphere.uniform(N, 3, seed=seed)
    model = AttentionModel(d=3, beta=beta, normalization="usa")
    sol = simulate(model, x0, float(saves[-1]), dt, "rk4", save_at=saves, backend="spectral",
                   provenance={"init": {"kind": "uniform", "seed": seed}})
    amps = analysis.mode_amplitudes(sol, S2_K)
    top = amps.max(axis=1)
    hit = np.flatnonzero(top >= THRESHOLD)
    lead = int(np.argmax(amps[hit[0]])) + 1 if hit.size else 0
    return {"N": N, "seed": seed, "lead": lead, "t": float(saves[hit[0]]) if hit.size else math.nan,
            "backend": sol.metadata["backend"]}
