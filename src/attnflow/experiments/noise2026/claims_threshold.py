"""Rows of the linear threshold: the noisy PDE's mode 1 changes sign at kappa_# (noise_threshold).

The uniform state's degree-1 perturbation grows at r(kappa) = gamma_1 - (d - 1)/kappa, linear in
1/kappa. Its rate is measured on the noisy PDE (circle solver for d = 2, zonal solver for d >= 3)
at kappa = 0.9 kappa_# and 1.1 kappa_# from a 1e-6 perturbation, and the zero of the line through
the two measurements in 1/kappa is the PDE's threshold, compared with the closed form
:func:`attnflow.theory.noise_threshold` (beta = 0: the noisy Kuramoto pitchfork at kappa = d).
"""

from __future__ import annotations

import numpy as np

from ...meanfield import CircleSolver, ZonalSolver
from ...theory import noise_threshold
from ..report import Report, compare

__all__ = ["add_claims", "mode_one_rate"]

_EPS = 1e-6


def mode_one_rate(d: int, normalization: str, beta: float, kappa: float) -> float:
    """The measured growth rate of the degree-1 mode of the noisy PDE at the uniform state (t in [0, 1])."""
    ts = np.linspace(0.0, 1.0, 11)
    if d == 2:
        solver = CircleSolver(beta, 128, normalization, kappa=kappa)
        sol = solver.solve(lambda th: (1 + _EPS * np.cos(th)) / (2 * np.pi), 1.0, ts)
        amp = np.abs(sol.fourier(1)[:, 1])
    else:
        zonal = ZonalSolver(beta, d, 32, normalization, kappa=kappa)
        amp = np.abs(zonal.solve(lambda phi: 1 + _EPS * np.cos(phi), 1.0, ts).coefficients[:, 1])
    return float(np.polyfit(ts, np.log(amp), 1)[0])


def add_claims(rep: Report, P: dict) -> list[dict]:
    """One row per (d, normalization, beta) of ``P["threshold_cases"]``; returns the measurements."""
    out = []
    for d, norm, beta in P["threshold_cases"]:
        k0 = noise_threshold(beta, d, norm)
        ka, kb = 0.9 * k0, 1.1 * k0
        ra, rb = mode_one_rate(d, norm, beta, ka), mode_one_rate(d, norm, beta, kb)
        x = 1 / ka + ra * (1 / kb - 1 / ka) / (ra - rb)          # zero of the line r(1/kappa)
        measured = 1 / x
        what = "the noisy Kuramoto pitchfork, " if beta == 0 else ""
        rep.add(compare(
            f"{what}threshold kappa_# (d = {d}, {norm.upper()}, beta = {beta:g}): mode 1 of the uniform "
            "state "
            "decays below kappa_#, grows above",
            k0, measured, 1e-5,
            f"{'circle' if d == 2 else 'zonal'} PDE with noise (ETDRK4), rates of a 1e-6 perturbation at "
            f"0.9 and 1.1 kappa_#: {ra:.4g}, {rb:.4g}",
            relative=True,
            note="kappa_# = beta / lambda_1 (USA), beta lambda_0 / lambda_1 (SA); 2 K_#^(d) of "
                 "Mun-Rosenzweig "
                 "(arXiv 2606.05140) for USA.",
            foil=k0 / 2, foil_note="Mun-Rosenzweig's K_# read as kappa (their coupling K is kappa/2)"))
        out.append({"d": d, "normalization": norm, "beta": beta, "predicted": k0, "measured": measured})
    return out
