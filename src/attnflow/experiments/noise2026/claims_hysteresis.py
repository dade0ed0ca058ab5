"""Rows of the hysteresis loop: a quasi-static sweep of kappa with the noisy PDE at beta = 5 > beta_*.

USA on S^1 (zonal solver, d = 2, M = 96; the states stay even about their centre), beta = 5:
kappa_# = 0.2055 and the clustered branch folds at kappa_f = 0.1843 (continuation). The sweep
goes up through ``P["hysteresis_kappas"]``, each value run for ``P["hysteresis_time"]`` from the
previous end state plus a degree-1 perturbation of amplitude 0.01 (a floor of fluctuations, as
finite-N noise provides), then down from the last state without the floor. The exponential
scheme's fixed points are the stationary states, so dt = 0.01 resolves them to rounding.

Rows: the up sweep leaves the uniform state at the first grid value above kappa_#, the down
sweep stays clustered down to the last grid value above the fold, and on the values in between
the two sweeps sit on different stable states (the loop).
"""

from __future__ import annotations

import numpy as np

from ...meanfield import ZonalSolver
from ...theory import noise_threshold
from ..report import Report, check, compare

__all__ = ["BETA", "add_claims", "sweep"]

BETA = 5.0
_M, _DT, _FLOOR, _CLUSTERED = 96, 0.01, 0.01, 0.1


def sweep(kappas, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """(R_up, R_down) of the quasi-static sweep (module docstring) at each kappa of ``kappas``."""
    up, down = [], []
    c = None
    for kappa in kappas:
        z = ZonalSolver(BETA, 2, _M, "usa", kappa=kappa)
        if c is None:
            c = np.zeros(z.K + 1)
            c[0] = 1.0
        c = c.copy()
        c[1] = max(c[1], 2 * _FLOOR)                        # R = c_1 / 2 at least the floor
        c = z.solve(z.synthesize(c), t1, [0.0, t1], dt=_DT).coefficients[-1]
        up.append(c[1] / 2)
    for kappa in kappas[::-1]:
        z = ZonalSolver(BETA, 2, _M, "usa", kappa=kappa)
        c = z.solve(z.synthesize(c), t1, [0.0, t1], dt=_DT).coefficients[-1]
        down.append(c[1] / 2)
    return np.array(up), np.array(down[::-1])


def add_claims(rep: Report, P: dict, fold: float) -> dict:
    """The rows (module docstring); ``fold`` from the continuation at beta = 5. Returns the sweep."""
    kappas = np.array(P["hysteresis_kappas"])
    t1 = P["hysteresis_time"]
    R_up, R_down = sweep(kappas, t1)
    k0 = noise_threshold(BETA, 2)
    step = float(np.diff(kappas).max())
    par = (f"USA, S^1, beta = {BETA:g}, zonal PDE M = {_M}, dt = {_DT:g}, {t1:g} time units per kappa, kappa "
           f"grid {kappas[0]:g}..{kappas[-1]:g} step {step:g}; up: + degree-1 floor R = {_FLOOR:g}")
    jumped = kappas[R_up > _CLUSTERED]
    k_up = float(jumped[0]) if jumped.size else float("nan")
    rep.add(compare("hysteresis (beta = 5): the up sweep leaves the uniform state at kappa_#",
                    k0, k_up, step, par, note="measured: the first grid kappa with R > 0.1; tolerance the "
                    "grid step (the jump is at the first grid value above kappa_#)",
                    foil=fold, foil_note="the jump at the fold (no metastable uniform state)"))
    stayed = kappas[R_down > _CLUSTERED]
    k_down = float(stayed[0]) if stayed.size else float("nan")
    rep.add(compare("hysteresis (beta = 5): the down sweep stays clustered down to the fold of the branch",
                    fold, k_down, step, par,
                    note="measured: the smallest grid kappa still clustered (R > 0.1); "
                    "predicted: the fold of the continuation; tolerance the grid step",
                    foil=k0, foil_note="no hysteresis: the clustered state lost at kappa_#"))
    inside = (kappas > fold) & (kappas < k0)
    both = inside & (R_up < 1e-2) & (R_down > _CLUSTERED)
    rep.add(check("hysteresis (beta = 5): between the fold and kappa_# the uniform and the clustered states "
                  "are both stable (the loop)",
                  f"at every grid kappa in ({fold:.4g}, {k0:.4g}): R_up ~ 0, R_down = clustered",
                  f"{int(both.sum())} of {int(inside.sum())} grid values: R_up = "
                  + ", ".join(f"{r:.1e}" for r in R_up[inside]) + "; R_down = "
                  + ", ".join(f"{r:.3f}" for r in R_down[inside]),
                  bool(inside.any() and both.sum() == inside.sum()), par,
                  foil="no loop: the two sweeps on one state at every grid kappa",
                  foil_passed=bool(np.all(np.abs(R_up[inside] - R_down[inside]) < _CLUSTERED)),
                  foil_note="a continuous transition (unique stable state at each kappa)"))
    return {"kappas": kappas, "R_up": R_up, "R_down": R_down}
