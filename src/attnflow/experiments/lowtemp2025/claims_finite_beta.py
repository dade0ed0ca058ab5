"""[L] finite beta (rows groups 2 and 4): SA particles from one iid start, concentration on Pi # mu_0
and the terminal phase.

- :func:`sa_runs`: the SA runs for each beta, with W_1(mu_t, Pi # mu_0), mean |<x, e_1>| and
  mean |<x, e_2>| over time, the dip of W_1 and the exit time from +-e_2;
- :func:`add_concentration_claims`: the time of the dip against log beta (group 2, full mode);
- :func:`add_terminal_claims`: the alignment with V's top eigenvector e_1 and the exit time
  against log beta (group 4).

Time scales derived here (heuristic two-phase picture). While the spread of a cluster is wider
than the Laplace width beta^{-1/2}, the softmax acts as the hardmax and the spread contracts like
e^{-c t}; the Laplace regime ends when e^{-c t} ~ beta^{-1/2}, at t_dip = ln(beta)/(2 c) + const.
After it the tokens of a cluster attend to the whole cluster, whose centre drifts under V like
the linear flow dx/dt = P_x V x: at +-e_2 its e_1-offset grows at g_V = <e_1, V e_1> - <e_2, V e_2>
from a size ~ beta^{-1/2} (the width at t_dip) to O(1), so the exit time is
t_dip + ln(beta)/(2 g_V) + const, a slope 1/(2c) + 1/(2 g_V) in ln beta.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import sphere
from ...analysis import level_crossing, line_fit
from ...integrate import simulate
from ...model import AttentionModel
from ..report import Report, compare, format_floats
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


def dip_time(ts: np.ndarray, w: np.ndarray, level: float = 1.1) -> float:
    """The time of the dip of ``w``: the midpoint of the interval around its minimum where w <= level x min
    (interpolated; more stable than the argmin of a flat minimum on a save grid)."""
    k = int(np.argmin(w))
    lo = level_crossing(ts[: k + 1], w[: k + 1], level * w[k], "down") if k > 0 else float(ts[0])
    hi = level_crossing(ts[k:], w[k:], level * w[k], "up") if k < ts.size - 1 else float(ts[-1])
    return 0.5 * (lo + hi)


def add_concentration_claims(rep: Report, runs: dict[str, Any], c: float) -> None:
    """Add the row of group 2 (``runs`` from :func:`sa_runs`, ``c`` the zero-temperature rate) to ``rep``."""
    betas, w_dip, sa_par = runs["betas"], runs["w_dip"], runs["sa_par"]
    t_dip = np.array([dip_time(runs["ts"], w) for w in runs["W"]])
    runs["t_dip_fit"] = t_dip
    fit = line_fit(np.log(betas), t_dip)
    rep.add(compare(
        "the concentration lasts until the Laplace regime ends: time of the W_1(mu_t, Pi # mu_0) dip against "
        "ln beta, slope 1/(2c)", 1 / (2 * c), fit.slope, 0.2,
        f"{sa_par}; dip times {format_floats(np.round(t_dip, 3))} for betas {format_floats(betas)} (midpoint "
        "of W_1 <= 1.1 x its minimum)", relative=True,
        note=(f"derived here: the spread contracts like e^(-ct) until it reaches the Laplace width "
              "beta^(-1/2). "
              f"Fitted slope {fit.slope:.3f} +- {fit.stderr:.3f}; dips {np.round(w_dip, 4).tolist()}. "
              "Tolerance "
              "20 %: pairs of neighbouring betas give slopes between 0.7 and 1.1, and the dip moves "
              "with N (a "
              "trial with N = 500 gave 1.5 on betas 10-50, N = 2000 and 4000 gave 0.9-1.0): the quick mode "
              "(N = 500) has no such row"),
        foil=1 / c, foil_note="the spread reaching 1/beta instead of beta^(-1/2), slope 1/c"))


def add_terminal_claims(rep: Report, runs: dict[str, Any], ex: Example) -> None:
    """Add the rows of group 4 (``runs`` from :func:`sa_runs`) to ``rep``."""
    ts, betas, m1, t_exit, sa_par = runs["ts"], runs["betas"], runs["m1"], runs["t_exit"], runs["sa_par"]
    for i, beta in enumerate(betas):
        rep.add(compare(
            f"beta = {beta:g}: terminal phase aligns the tokens with V's top eigenvector e_1: "
            "mean abs<x, e_1> -> 1",
            1.0, float(m1[i, -1]), 0.02, f"{sa_par}; measured at t = {ts[-1]:g}",
            note=f"exit from +-e_2 (mean |<x, e_2>| < 0.5) at t = {t_exit[i]:.2f}. Tolerance 0.02: a "
                 "few tokens "
                 "still on their way at the last time",
            foil=float(np.abs(ex.e2 @ ex.e1)), foil_note="the tokens stay at +-e_2 (the concentrated state)"))
    ok = np.isfinite(t_exit)
    fit = line_fit(np.log(betas[ok]), t_exit[ok]) if ok.sum() >= 2 else None
    g_v = float(ex.e1 @ ex.V @ ex.e1 - ex.e2 @ ex.V @ ex.e2)
    pred = 1 / (2 * ex.c) + 1 / (2 * g_v)
    rep.add(compare(
        "the exit time from +-e_2 grows like ln beta with slope 1/(2c) + 1/(2 g_V), g_V = <e_1, V e_1> - "
        "<e_2, V e_2>", pred, fit.slope if fit is not None else math.nan, 0.2,
        f"{sa_par}; exit times {format_floats(np.round(t_exit, 2))} for betas {format_floats(betas)}",
        relative=True,
        note=("derived here (module docstring): the Laplace regime ends at ln(beta)/(2c), then the "
              "cluster centre "
              f"escapes +-e_2 at rate g_V = {g_v:g} from an offset ~ beta^(-1/2). Exit time: first time "
              "after "
              "the W_1 dip at which mean |<x, e_2>| < 0.5. Tolerance 20 %: the two-phase picture ignores the "
              "crossover between the phases"
              + (f"; fitted slope {fit.slope:.3f} +- {fit.stderr:.3f}"
                 if fit is not None and ok.sum() > 2 else "")),
        foil=1 / (2 * ex.c), foil_note="the Laplace time alone, without the escape phase driven by V"))
