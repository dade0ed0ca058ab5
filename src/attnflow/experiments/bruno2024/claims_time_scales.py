"""[B] row 4: the time scales of the linear and clustering phases against ln N.

The end of the linear phase t_lin and the formation of the k_max clusters t_cl are fitted
against ln N (predicted slope 1 / (2 gamma_max)); the merges of the clusters are the rows of
:mod:`.claims_merge`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import analysis, theory
from ..report import Report, compare
from .settings import BETA, IID_DT, THRESHOLD, Config

__all__ = ["add_claims"]


def add_claims(report: Report, cfg: Config, runs: list[dict[str, Any]], mc: dict[int, tuple[float, float]],
               gmax: float) -> dict[str, Any]:
    """Add the t_lin and t_cl slope rows to ``report`` (only with ``cfg.slope_rows``: the quick mode's
    seeds give standard errors of ~25 % of the slope, a tolerance that cannot tell 1/(2 gamma_max)
    from 1/gamma_max); return ``tl`` (t_lin per run) and ``mc_t`` (the Monte Carlo E[t_lin] per N)."""
    km = theory.k_max(BETA, 2)
    tl = np.array([r["t_lin"] for r in runs])
    lnN = np.log([r["N"] for r in runs])
    pred_slope = 1 / (2 * gmax)
    okl = np.isfinite(tl)
    fit_l = analysis.line_fit(lnN[okl], tl[okl])
    slope, icpt, se = fit_l.slope, fit_l.intercept, fit_l.stderr
    mc_t = {N: mc[N][1] for N in cfg.Ns}
    mc_slope = analysis.line_fit(np.log(list(mc_t)), np.array(list(mc_t.values()))).slope
    if not cfg.slope_rows:
        return {"tl": tl, "mc_t": mc_t}
    tol_l = max(0.15, 2 * se / pred_slope)
    seeds_txt = ", ".join(f"{n} x N = {N:.0e}" for N, n in zip(cfg.Ns, cfg.seeds, strict=True))
    report.add(compare(
        f"end of the linear phase t_lin (largest mode amplitude = {THRESHOLD:g}) against ln N: slope "
        "1/(2 gamma_max)",
        pred_slope, slope, tol_l,
        f"USA, beta = {BETA:g}, iid starts ({seeds_txt}), rk4 dt = {IID_DT:g}, crossing interpolated "
        "in log amplitude; tolerance max(0.15, 2 x relative standard error of the fitted slope)",
        relative=True,
        note=(f"fitted t_lin = {slope:.4f} ln N {icpt:+.3f} (standard error of the slope {se:.4f}); the "
              f"linear-theory Monte Carlo (min over modes) gives a slope {mc_slope:.4f} over the same N "
              "(mode competition at small N)"),
        foil=1 / gmax, foil_note="slope 1/gamma_max: an initial amplitude ~ 1/N instead of N^{-1/2}"))
    tc = np.array([r["t_cl"] if r["count"] == km else np.nan for r in runs])
    okc = np.isfinite(tc)
    if okc.sum() >= 3 and np.unique(lnN[okc]).size >= 2:
        fit_c = analysis.line_fit(lnN[okc], tc[okc])
        slope_c, icpt_c, se_c = fit_c.slope, fit_c.intercept, fit_c.stderr
        note_c = (f"fitted t_cl = {slope_c:.4f} ln N {icpt_c:+.3f} (standard error {se_c:.4f}); the "
                  "quasi-linear and clustering phases add an N-independent delay "
                  f"(median t_cl - t_lin = {np.nanmedian(tc - tl):.3f})")
    else:
        slope_c, se_c, note_c = float("nan"), float("nan"), "too few seeds formed k_max clusters"
    tol_c = max(0.15, 2 * se_c / pred_slope) if math.isfinite(se_c) else 0.15
    report.add(compare(
        "time the k_max clusters form (first tight-cluster state) against ln N: slope 1/(2 gamma_max)",
        pred_slope, slope_c, tol_c,
        f"same runs, seeds with {km} clusters ({int(okc.sum())} of {len(runs)}); tolerance max(0.15, 2 x "
        "relative standard error)", relative=True, note=note_c,
        foil=1 / gmax, foil_note="slope 1/gamma_max: an initial amplitude ~ 1/N instead of N^{-1/2}"))
    return {"tl": tl, "mc_t": mc_t}
