"""[B] row 4: the time scales of the linear and clustering phases against ln N, and the persistence
of the k_max clusters.

The end of the linear phase t_lin and the formation of the k_max clusters t_cl are fitted
against ln N (predicted slope 1 / (2 gamma_max)); runs that formed k_max clusters are continued
to ``cfg.t_persist`` and their merges are compared with the saddle lifetime derived here
(:func:`_saddle_rate`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import analysis, theory
from ..report import Claim, Report, compare
from .iid import persistence, spacing_irregularity
from .settings import BETA, IID_DT, THRESHOLD, Config

__all__ = ["add_claims", "add_persistence_claim"]


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


def add_persistence_claim(report: Report, cfg: Config, runs: list[dict[str, Any]],
                          cluster_runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Continue up to ``cfg.persist_seeds`` runs with N = ``cfg.persist_N`` that formed k_max clusters
    to t = ``cfg.t_persist`` and add the persistence row; return the continued runs."""
    km = theory.k_max(BETA, 2)
    pool = [r for r in (runs + (cluster_runs if cfg.n_cluster else []))
            if r["N"] == cfg.persist_N and r["count"] == km][: cfg.persist_seeds]
    persist = [persistence(r, cfg.t_persist, cfg.n_detect) for r in pool]
    if persist:
        frac = float(np.mean([q["survived"] for q in persist]))
        merges = [round(q["t_merge"], 2) for q in persist if math.isfinite(q["t_merge"])]
        t_form = float(np.median([r["t_cl"] for r in pool]))
        lam = _saddle_rate(km)
        irr = float(np.median([spacing_irregularity(r["centers"]) for r in pool]))
        life = math.log(1 / min(irr, 0.99)) / lam
        report.add(compare(
            f"the k_max = {km} clusters persist (no merge) up to t = {cfg.t_persist:g} (fraction of seeds)",
            1.0, frac, 0.0,
            f"USA, beta = {BETA:g}, N = {cfg.persist_N}, {len(persist)} seeds that formed {km} clusters "
            f"(median formation time {t_form:.3f}), continued with rk4 dt = {IID_DT:g}, counts every 0.05",
            note=(f"longest time checked: t = {cfg.t_persist:g} (~{cfg.t_persist / t_form:.0f} x the "
                  "formation time); " + (f"merges seen at t = {merges}" if merges else "no merge seen")
                  + ". [B] describes the clusters as meta-stable (merging on much longer time scales). "
                  f"Derived here, not in [B]: {km} equally spaced equal clusters are a saddle of the cluster "
                  f"dynamics, with growth rate {lam:.3g} (circulant linearization, see _saddle_rate); at "
                  f"formation the gaps deviate from 2 pi/{km} by a median of {irr:.3g} rad, which grows to "
                  f"O(1) in ~ln(1/{irr:.2g})/{lam:.2g} = {life:.2g} time units (a rough estimate, to compare "
                  "with the merge times above)")))
    else:
        report.add(Claim(f"the k_max = {km} clusters persist up to t = {cfg.t_persist:g}", 1.0, None, None,
                         0.0, None, f"N = {cfg.persist_N}", note="no seed formed k_max clusters"))
    return persist


def _saddle_rate(k: int, beta: float = BETA) -> float:
    """Largest growth rate of a perturbation of k equally spaced, equal clusters on S^1 (USA).

    Derived here, not read in [B]: clusters at theta_i = 2 pi i / k + delta_i with masses 1/k
    move as d theta_i/dt = (1/k) sum_j f(theta_j - theta_i), f(s) = e^{beta cos s} sin s. The
    linearization is circulant, with eigenvalues
    lambda_p = (1/k) sum_{j=1}^{k-1} f'(2 pi j/k) (cos(2 pi j p/k) - 1),
    f'(s) = e^{beta cos s} (cos s - beta sin^2 s); a positive maximum means the equally spaced
    state is a saddle (0.35 for k = 3, beta = 5).
    """
    j = np.arange(1, k)
    s = 2 * np.pi * j / k
    fp = np.exp(beta * np.cos(s)) * (np.cos(s) - beta * np.sin(s) ** 2)
    lam = [float((fp * (np.cos(s * p) - 1)).sum() / k) for p in range(k)]
    return max(lam)
