"""[GLPR]: trajectories on S^1, the equiangular clustering time, random-matrix phase diagrams.

[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on transformers",
arXiv 2312.10794. The paper's text could not be read here beyond its table of contents (a short
search of the stored pages found no figure captions); the setups below follow docs/theory/equiangular.md,
docs/theory/equiangular.md#equiangular-ode and the authors' public reference code (``sphere.py`` and
``phase-diagrams.py`` of their repository), whose conventions are reproduced explicitly.

The reference code's layer (both scripts): with tokens as rows of M,
``M <- normalize(M + eta * softmax(beta * (M BF) M^T) M V)``, i.e. one post-LN layer
x_i <- (x_i + eta y_i)/|x_i + eta y_i| with y_i = sum_j w_ij V_ref^T x_j and weights
∝ exp(beta x_i^T BF x_j) = exp(beta <BF^T x_i, x_j>). In attnflow's convention (score
beta <A x_i, x_j>, output sum_j w_ij V x_j) this is ``method="layer"`` with A = BF^T and
V = V_ref^T (:func:`reference_matrices`). Step: eta = 0.1 for SA; for USA the code rescales it
to eta = 0.1 / max(sqrt(beta) e^{beta - 1/2}, 1) (:func:`reference_step`).

Parts (every row is computed from the runs made here):

1. Trajectories on S^1 (d = 2, A = V = I, SA, n = 64, eta = 0.1: the parameters of
   ``sphere.py``). GLPR's picture: tokens cluster to a single point for small beta, and for
   larger beta they first gather into several clusters that persist over long times
   (metastability) before merging. Rows: beta = 1 ends in one cluster; beta = 5 sits in a
   multi-cluster plateau that lasts from t = 15 to t = 30.
2. Equiangular reduction (docs/theory/equiangular.md#equiangular-ode): from x_i = e_i in R^32 (n = d =
   32) the tokens stay equiangular, g = <x_i, x_j> follows the SA/USA ODE, and
   :func:`attnflow.theory.equiangular_clustering_time` (1 - g <= 1e-2) is compared with an RK4
   particle run (relative tolerance 1e-3). The layer scheme keeps the configuration equiangular
   too, and maps g to an explicit F_eta(g) (:func:`attnflow.theory.equiangular_layer_map`): its
   clustering time is compared with a layer-scheme particle run, and its shift against the ODE,
   first order in eta (docs/theory/equiangular.md#layer-scheme-versus-flow), is measured.
3. Random matrices, d = 128, n = 32 (``phase-diagrams.py``): SA, layer scheme eta = 0.1,
   t <= 30, iid uniform tokens, clustering density = fraction of pairs with <x_i, x_j> > 0.999
   (:func:`attnflow.observables.clustering_density` with tol = 1e-3, the code's threshold).
   Cases: identity (the code's default), Ginibre K^T Q with V = I, GOE, "Wigner" (the code's
   ``randomKQ=2``), and V = +Q^T K (``randomV=2``) with Ginibre K^T Q; matrices scaled as the
   code scales them (:func:`reference_matrices`), not as :func:`attnflow.random_matrices` does.
   For the identity the near-orthogonal start in d = 128 is close to equiangular, so the onset
   of clustering is predicted by the equiangular layer map (threshold 1e-3) and the phase
   boundary at t = 30 by T(beta_c) = 30 (the survey arXiv 2512.01868 restates GLPR: the
   transition aligns with the equiangular curve as d grows). For the random cases the rows test
   the phase-diagram structure: a single cluster at small beta (beta = 0.5) and several clusters
   at t = 30 for beta = 9, with the spread over matrix draws and initial conditions. The paper's
   own statements about its random-matrix figure could not be read, so nothing more is claimed
   (a monotone density in beta, tested in an earlier version, is not GLPR's claim).
4. Energy (:mod:`.claims_energy`): for V = A symmetric (A = V = I and a random symmetric A = V),
   E = (1/(2 beta n^2)) sum e^{beta <A x_i, x_j>} increases along USA and SA, at the rate
   derived from the gradient formula.
5. V's spectrum (:mod:`.claims_value`): with A = I and a symmetric V, tight clusters follow
   dx/dt = P_x V x, so the tokens end at +-v_1 and approach it at rate lambda_1 - lambda_2.

Modules: :mod:`.reference` (the reference code's conventions), one ``claims_*`` module per part
(:mod:`.claims_circle` 1, :mod:`.claims_equiangular` 2, :mod:`.claims_phase` 3,
:mod:`.claims_energy` 4, :mod:`.claims_value` 5) and :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...analysis import blas_threads
from ..report import Report, start
from . import claims_circle, claims_energy, claims_equiangular, claims_phase, claims_value
from .figures import circle_figure, energy_value_figure, equiangular_figure, phase_figure
from .reference import CASES, reference_matrices, reference_step

__all__ = [
    "CASES",
    "PAPER",
    "TITLE",
    "reference_matrices",
    "reference_step",
    "run",
]

TITLE = "GLPR: trajectories on S^1, equiangular clustering time, random-matrix phase diagrams"
PAPER = ("Geshkovski, Letrouit, Polyanskiy, Rigollet, \"A mathematical perspective on transformers\", "
         "arXiv 2312.10794")

#: run sizes per mode
MODES = {
    "quick": {"circle_seeds": 4, "rm_betas": (0.5, 9.0), "rm_mats": 1, "rm_batch": 4, "rm_save": 0.1},
    "full": {"circle_seeds": 16, "rm_betas": (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
             "rm_mats": 3, "rm_batch": 8, "rm_save": 0.1},
}


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the five parts (module docstring) with one BLAS thread; figures go into ``out_dir``."""
    with blas_threads(1):
        return _run(out_dir, quick)


def _run(out_dir: Path, quick: bool) -> Report:
    rep, out = start("glpr2023", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    walls: dict[str, float] = {}
    figs: list[str] = []

    t0 = time.perf_counter()
    circle = claims_circle.add_claims(rep, P)
    walls["S^1 trajectories"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    equi = claims_equiangular.add_claims(rep)
    walls["equiangular"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rm = claims_phase.add_claims(rep, P)
    walls["random matrices"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    energy = claims_energy.add_claims(rep)
    value = claims_value.add_claims(rep)
    walls["energy and V's spectrum"] = time.perf_counter() - t0

    figs.append(circle_figure(out, circle))
    figs.append(equiangular_figure(out, equi))
    figs.append(phase_figure(out, rm))
    figs.append(energy_value_figure(out, energy, value))
    rep.figures += figs
    rep.data.update({
        "circle_t": circle["t"], "circle_counts_beta1": circle["counts"][1.0],
        "circle_counts_beta5": circle["counts"][5.0],
        "rm_t": rm["t"], "rm_betas": np.asarray(rm["betas"]),
        "rm_theory_beta": rm["theory_curve"][0], "rm_theory_T": rm["theory_curve"][1],
        **{f"rm_density_{c}": rm["density"][c] for c in CASES},
        **{f"rm_median_clusters_{c}": rm["count"][c] for c in CASES},
        "equi_times": np.array([[r["T_ode"], r["T_rk4"], r["T_map"], r["T_layer"]] for r in equi["rows"]]),
        **{f"energy_{k}": v for k, v in energy.items()},
        **{f"value_{k}": v for k, v in value.items()},
    })
    rep.notes += [
        "GLPR's text (figure captions, Figure 5's statements) could not be read: a short search of the "
        "stored pages found only the table of contents. The setups follow the authors' public reference code "
        "(sphere.py: n = 64, T = 15, dt = 0.1, beta = 1; phase-diagrams.py: n = 32, step 0.1, maxtime 30 for "
        "softmax, pair threshold 0.999, betas 0.1-9), with its conventions made explicit in the module "
        "docstring.",
        "The reference code runs 2048 systems per beta on a GPU with fresh matrices per system; here each "
        f"(case, beta) uses {P['rm_mats']} matrix draw(s) x {P['rm_batch']} initial conditions.",
        "The reference code counts clusters as the rank of the thresholded (> 0.9999) Gram matrix; here the "
        "count is the number of connected components of <x_i, x_j> >= 0.999 (attnflow.observables.clusters).",
        "Layer-scheme time shift against the ODE at eta = 0.1 (equiangular, n = 32): "
        + ", ".join(f"{r['norm'].upper()} beta = {r['beta']:g} (eta = {r['h']:.3g}): "
                    f"{100 * (r['T_layer'] - r['T_ode']) / r['T_ode']:.1f}%" for r in equi["rows"])
        + ". docs/theory/equiangular.md#layer-scheme-versus-flow quotes about 6-11% at h = 0.1.",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + ".",
    ]
    return rep
