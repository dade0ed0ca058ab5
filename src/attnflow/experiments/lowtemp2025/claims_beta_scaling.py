"""[L] beta-scaling (rows group 3): the finite-beta error at the early time T_ERR against beta.

Coupled runs (same x_0) of SA at beta and of the hardmax flow; e(beta) = mean_i
|x_i^beta(T_ERR) - x_i^inf(T_ERR)| from a rotated Fibonacci lattice (the continuum error), against
the log-log slope of [L]'s beta-factor sqrt(log(beta + 1)/beta) and the notes' 1/beta; from iid
starts, the finite-N floor ~ N^{-1/2}.
"""

from __future__ import annotations

import math

import numpy as np

from ... import sphere
from ...analysis import line_fit
from ...integrate import simulate
from ...model import AttentionModel
from ..report import Report, at_most, compare, format_floats
from .hardmax import hardmax_flow
from .setting import T_ERR, Example, fibonacci_sphere

__all__ = ["add_claims"]


def add_claims(rep: Report, P: dict, ex: Example) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run the coupled SA/hardmax pairs, add the three rows of group 3 to ``rep``; return the betas and
    the errors per start ("fibonacci", "iid N=...")."""
    A, V, mats = ex.A, ex.V, ex.words
    betas_e = np.asarray(P["betas_err"])
    err_runs = {"fibonacci": (fibonacci_sphere(P["n_err"], seed=0), P["n_err"])}
    for n_iid in P["n_err_iid"]:
        err_runs[f"iid N={n_iid}"] = (sphere.uniform(n_iid, 3, seed=2), n_iid)
    errors = {}
    for key, (xe, _) in err_runs.items():
        ref = hardmax_flow(A, V, xe, np.array([T_ERR]), 0.005)[0]
        vals = []
        for beta in betas_e:
            model = AttentionModel(d=3, beta=float(beta), A=A, V=V, normalization="sa")
            sol = simulate(model, xe, T_ERR, 0.0125, "rk4", save_at=[T_ERR], backend=P["backend"])
            vals.append(float(np.linalg.norm(sol.x[-1] - ref, axis=1).mean()))
        errors[key] = np.array(vals)
    e_fib = errors["fibonacci"]
    expo = line_fit(np.log(betas_e), np.log(e_fib)).slope
    bound_expo = line_fit(np.log(betas_e), 0.5 * np.log(np.log1p(betas_e) / betas_e)).slope
    err_par = (f"{mats}; SA vs hardmax from the same x_0 (Fibonacci lattice, N = {P['n_err']}), "
               f"t = {T_ERR:g}, RK4 dt = 0.0125; betas {format_floats(betas_e)}")
    rep.add(at_most(
        "finite-beta error at fixed t decays at least as fast as [L]'s beta-factor sqrt(log(beta+1)/beta): "
        "fitted exponent <= the factor's log-log slope on the same betas",
        bound_expo, expo, err_par,
        note=f"errors {np.round(e_fib, 6).tolist()}. The bound is an upper bound; this row tests only that "
             "the measured decay is not slower than its beta-factor."))
    rep.add(compare(
        "finite-beta error at fixed t ~ 1/beta for smooth rho_0 (O(1/kappa) von Mises-Fisher bias): "
        "exponent -1", -1.0, expo, 0.15, err_par,
        note=("docs/theory/low-temperature.md#the-finite-beta-bound [D]: an expectation of the notes, not "
              "of [L].")))
    n_lo, n_hi = P["n_err_iid"]
    floor_ratio = errors[f"iid N={n_lo}"][-1] / errors[f"iid N={n_hi}"][-1]
    rep.add(compare(
        "iid uniform x_0: the error saturates at a finite-N floor ~ N^{-1/2} (ratio of the floors at the "
        "largest beta = sqrt(N_2/N_1))",
        math.sqrt(n_hi / n_lo), floor_ratio, 0.25,
        f"{mats}; iid uniform x_0 (seed 2), N_1 = {n_lo}, N_2 = {n_hi}, beta = {betas_e[-1]:g}, "
        f"t = {T_ERR:g}",
        relative=True,
        note=f"iid errors: N={n_lo}: {np.round(errors[f'iid N={n_lo}'], 5).tolist()}, N={n_hi}: "
             f"{np.round(errors[f'iid N={n_hi}'], 5).tolist()} "
             f"(docs/theory/low-temperature.md#the-finite-beta-bound: the floor is a "
             "finite-N effect)."))
    return betas_e, errors
