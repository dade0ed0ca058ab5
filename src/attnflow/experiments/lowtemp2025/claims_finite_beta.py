"""[L] finite beta (rows groups 2 and 4): SA particles from one iid start, concentration on Pi # mu_0
and the terminal phase.

- :func:`sa_runs`: the SA runs for each beta, with W_1(mu_t, Pi # mu_0), mean |<x, e_1>| and
  mean |<x, e_2>| over time, the dip of W_1 and the exit time from +-e_2;
- :func:`add_concentration_claims`: the dip against [L]'s beta-factor, its beta-exponent, and the
  growth of its time with log beta (group 2);
- :func:`add_terminal_claims`: the alignment with V's top eigenvector e_1 and the exit time
  against log beta (group 4).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import sphere
from ...analysis import level_crossing, line_fit
from ...integrate import simulate
from ...model import AttentionModel
from ..report import Report, at_least, at_most, compare, format_floats
from .hardmax import distance_to_pushforward, hardmax_flow
from .setting import Example

__all__ = ["add_concentration_claims", "add_terminal_claims", "sa_runs"]


def sa_runs(P: dict, ex: Example) -> dict[str, Any]:
    """SA runs (N = ``P["n_sa"]`` iid uniform, seed 1) for each beta of ``P["betas"]`` and the hardmax
    run from the same start; the series, their dips and exit times, and the rows' parameters."""
    A, V, e1, e2, mats = ex.A, ex.V, ex.e1, ex.e2, ex.words
    ts = np.arange(0.0, P["t_end"] + 1e-9, P["save"])
    x0 = sphere.uniform(P["n_sa"], 3, seed=1)
    p0 = float(np.mean(x0 @ e2 > 0))
    xz_sa = hardmax_flow(A, V, x0, ts, 0.01)
    w_inf = np.array([distance_to_pushforward(x, e2, p0) for x in xz_sa])
    betas = np.asarray(P["betas"])
    W = np.zeros((betas.size, ts.size))
    m1 = np.zeros_like(W)
    m2 = np.zeros_like(W)
    states = {}
    for i, beta in enumerate(betas):
        model = AttentionModel(d=3, beta=float(beta), A=A, V=V, normalization="sa")
        sol = simulate(model, x0, P["t_end"], P["dt"], "rk4", save_at=ts, backend=P["backend"])
        W[i] = [distance_to_pushforward(x, e2, p0) for x in sol.x]
        m1[i] = np.abs(sol.x @ e1).mean(axis=1)
        m2[i] = np.abs(sol.x @ e2).mean(axis=1)
        states[float(beta)] = sol.x
    k_dip = W.argmin(axis=1)
    w_dip = W[np.arange(betas.size), k_dip]
    t_dip = ts[k_dip]
    t_exit = np.array([level_crossing(ts, m2[i], 0.5, start=int(k_dip[i])) for i in range(betas.size)])
    sa_par = (f"{mats}; SA, N = {P['n_sa']} iid uniform (seed 1), RK4 dt = {P['dt']:g}, saves every "
              f"{P['save']:g} up to t = {P['t_end']:g}")
    return {"ts": ts, "betas": betas, "W": W, "m1": m1, "m2": m2, "states": states, "w_inf": w_inf,
            "w_dip": w_dip, "t_dip": t_dip, "t_exit": t_exit, "sa_par": sa_par}


def add_concentration_claims(rep: Report, runs: dict[str, Any]) -> None:
    """Add the rows of group 2 (``runs`` from :func:`sa_runs`) to ``rep``."""
    betas, w_dip, t_dip, sa_par = runs["betas"], runs["w_dip"], runs["t_dip"], runs["sa_par"]
    for i, beta in enumerate(betas):
        bound = math.sqrt(math.log1p(beta) / beta)
        rep.add(at_most(
            f"beta = {beta:g}: SA concentrates on Pi # mu_0: "
            "min_t W_1(mu_t, Pi # mu_0) <= sqrt(log(beta+1)/beta)",
            bound, float(w_dip[i]), f"{sa_par}; dip at t = {t_dip[i]:g} (log beta = {math.log(beta):.2f})",
            note="[L]'s bound is sqrt(log(beta+1)/beta) e^{Ct} + e^{-ct} with unknown constants; the row "
                 "uses the beta-factor with prefactor 1 as the yardstick."))
    expo_dip = line_fit(np.log(betas), np.log(w_dip)).slope
    rep.add(at_most(
        "the concentration sharpens with beta: fitted exponent of min_t W_1(mu_t, Pi # mu_0) in beta < 0",
        0.0, expo_dip, f"{sa_par}; betas {format_floats(betas)}",
        note=f"measured dips {np.round(w_dip, 4).tolist()} at t = {t_dip.tolist()}."))
    rep.add(at_least(
        "metastable for times of order log beta: the time of the W_1 dip grows with log beta "
        "(fitted slope > 0)",
        0.0, line_fit(np.log(betas), t_dip).slope, f"{sa_par}; t_dip = {t_dip.tolist()}", strict=True))


def add_terminal_claims(rep: Report, runs: dict[str, Any]) -> None:
    """Add the rows of group 4 (``runs`` from :func:`sa_runs`) to ``rep``."""
    ts, betas, m1, t_exit, sa_par = runs["ts"], runs["betas"], runs["m1"], runs["t_exit"], runs["sa_par"]
    for i, beta in enumerate(betas):
        rep.add(compare(
            f"beta = {beta:g}: terminal phase aligns the tokens with V's top eigenvector e_1: "
            "mean abs<x, e_1> -> 1",
            1.0, float(m1[i, -1]), 0.02, f"{sa_par}; measured at t = {ts[-1]:g}",
            note=f"exit from +-e_2 (mean |<x, e_2>| < 0.5) at t = {t_exit[i]:.2f}"))
    ok = np.isfinite(t_exit)
    slope_exit = line_fit(np.log(betas[ok]), t_exit[ok]).slope if ok.sum() >= 2 else math.nan
    rep.add(at_least(
        "the exit time from +-e_2 grows with log beta (fitted slope of exit time vs log beta > 0)",
        0.0, slope_exit,
        f"{sa_par}; exit times {format_floats(np.round(t_exit, 2))} for betas {format_floats(betas)}",
        strict=True, note="exit time: first time after the W_1 dip at which mean |<x, e_2>| < 0.5."))
