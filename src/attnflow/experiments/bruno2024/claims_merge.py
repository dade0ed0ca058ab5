"""[B] row 4b: meta-stability of the k_max clusters, measured by their merge times.

[B] describe the k_max clusters as meta-stable, lasting a time that grows with N. The rows test
the derivation of :mod:`.merge`: the merge time grows like (1 / (2 gamma_max) + e / lambda) ln N
(e = (1 - gamma_j / gamma_max) / 2, lambda the saddle rate of equally spaced clusters), and the
lifetime of each seed's clusters is the escape time of the point-cluster dynamics from the state
measured at formation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import analysis, theory
from ..report import Claim, Report, at_least, compare
from .merge import MERGE_DT, irregularity_exponent, saddle_rate
from .settings import BETA, Config

__all__ = ["add_claims"]


def _medians_by_N(merges: list[dict[str, Any]], key: str) -> dict[int, float]:
    Ns = sorted({q["N"] for q in merges})
    return {N: round(float(np.nanmedian([q[key] for q in merges if q["N"] == N])), 2) for N in Ns}


def add_claims(report: Report, cfg: Config, merges: list[dict[str, Any]], gmax: float) -> None:
    """Add the merge-time rows (``merges`` from :func:`~.merge.merge_study`) to ``report``.

    With ``cfg.slope_rows``: the slope of t_merge against ln N (predicted by the derivation) and
    its sign; always: the median lifetime against the point-cluster prediction.
    """
    km = theory.k_max(BETA, 2)
    lam = saddle_rate(km)
    e, j = irregularity_exponent()
    g = theory.growth_rates(BETA, 2, km + 1)
    e2 = float((1 - g[2] / g[km]) / 2)
    if not merges:
        report.add(Claim(f"the k_max = {km} clusters merge after a time ~ ln N", "", None, None, 0.0, None,
                         f"N in {list(cfg.merge_Ns)}", note="no run formed k_max clusters"))
        return
    N = np.array([q["N"] for q in merges], dtype=float)
    tm = np.array([q["t_merge"] for q in merges])
    life = np.array([q["lifetime"] for q in merges])
    ode = np.array([q["ode"] for q in merges])
    irr = np.array([q["irr"] for q in merges])
    ok = np.isfinite(tm)
    backends = sorted(set().union(*(q["backends"] for q in merges)))
    n_big = max(q["N"] for q in merges)
    span = sum((q["t_merge"] if np.isfinite(q["t_merge"]) else cfg.merge_t_max) - q["t_cl"] for q in merges
               if q["N"] == n_big)
    cost = sum(q["wall"] for q in merges if q["N"] == n_big) / max(span, 1e-9)
    params = (f"USA, beta = {BETA:g}, the iid runs of N = {list(cfg.merge_Ns)} that formed {km} clusters "
              f"({len(merges)} seeds, {int((~ok).sum())} without a merge by t = {cfg.merge_t_max:g}), "
              f"continued with rk4 dt = {MERGE_DT:g} (backend {', '.join(backends)}), counts every 0.05")
    derivation = (f"derived in attnflow.experiments.bruno2024.merge (not in [B]): {km} equally spaced "
                  f"clusters are a saddle of the cluster dynamics (rate lambda = {lam:.3f}); the gaps' "
                  f"deviation at formation is seeded by the fastest symmetry-breaking mode j = {j}, ~N^(-e), "
                  f"e = (1 - gamma_{j}/gamma_max)/2 = {e:.4f}")
    if cfg.slope_rows and ok.sum() >= 3 and np.unique(N[ok]).size >= 2:
        lnN = np.log(N)
        fit = analysis.line_fit(lnN[ok], tm[ok])
        fit_life = analysis.line_fit(lnN[ok], life[ok])
        fit_irr = analysis.line_fit(lnN, np.log(irr))
        pred = 1 / (2 * gmax) + e / lam
        foil = 1 / (2 * gmax) + 1 / (2 * lam)
        tol = 2 * fit.stderr
        z0 = fit.slope / fit.stderr
        report.add(compare(
            f"the k_max = {km} clusters last longer at larger N: slope of the merge time against ln N = "
            "1/(2 gamma_max) + e/lambda (saddle escape from an irregularity ~ N^(-e))",
            pred, fit.slope, tol, params + "; tolerance 2 standard errors of the fitted slope",
            note=(derivation + f"; predicted slope 1/(2 x {gmax:.2f}) + {e:.4f}/{lam:.3f} = {pred:.3f} "
                  f"(with the next mode, j = 2, e_2 = {e2:.3f}: {1 / (2 * gmax) + e2 / lam:.3f}). Fitted "
                  f"t_merge = {fit.slope:.3f} ln N {fit.intercept:+.2f} (standard error {fit.stderr:.3f}); "
                  f"lifetime t_merge - t_cl = {fit_life.slope:.3f} ln N {fit_life.intercept:+.2f} (standard "
                  f"error {fit_life.stderr:.3f}, predicted e/lambda = {e / lam:.3f}). Median merge time per "
                  f"N {_medians_by_N(merges, 't_merge')}. Slope / standard error = {z0:.2f}: the slope 0 "
                  f"(no N dependence) is {'outside' if abs(z0) > 2 else 'inside'} the tolerance. Check of "
                  f"the irregularity scaling: ln(gap deviation at formation) = {fit_irr.slope:.3f} ln N "
                  f"{fit_irr.intercept:+.2f} (standard error {fit_irr.stderr:.3f}), against -e = {-e:.3f}; "
                  "the seed-to-seed spread of the merge time (~1/lambda, from the Rayleigh amplitudes of the "
                  "modes) dominates the standard error. Cost of the continuation at N = "
                  f"{n_big}: {cost:.1f} s of wall time per unit of t (rk4, {1 / MERGE_DT:g} steps)"),
            foil=foil, foil_note=("1/(2 gamma_max) + 1/(2 lambda): an irregularity ~ N^(-1/2) at formation "
                                  "(the symmetry-breaking modes not amplified in the linear phase)")))
        report.add(at_least(
            f"the k_max = {km} clusters last longer at larger N: the merge time's slope against ln N is "
            "positive (one-sided 95 % lower bound slope - 1.645 standard errors >= 0)",
            0.0, fit.slope - 1.645 * fit.stderr, params,
            note=(f"fitted slope {fit.slope:.3f}, standard error {fit.stderr:.3f}; the predicted slope "
                  f"{pred:.3f} needs a standard error below {pred / 1.645:.3f} to be resolved as positive "
                  "at this level. The sign of [B]'s meta-stability as a function of N, tested with the "
                  "seeds at hand"),
            foil=foil, foil_note=("the lower bound reaches the slope 1/(2 gamma_max) + 1/(2 lambda) of an "
                                  "irregularity ~ N^(-1/2)")))
    # the lifetime of each seed against the point-cluster dynamics from its formation state
    okl = ok & np.isfinite(ode)
    rng = np.random.default_rng(0)
    idx = np.flatnonzero(okl)
    boot = []
    for _ in range(2000):
        b = rng.choice(idx, idx.size)
        boot.append(np.median(life[b]) - np.median(ode[b]))
    med_ode, med_life = float(np.median(ode[okl])), float(np.median(life[okl]))
    se = float(np.std(boot))
    tol = max(0.1, 2 * se / med_ode)
    lin = np.log(1 / np.minimum(irr, 0.99)) / lam
    rel = np.abs(life[okl] / ode[okl] - 1)
    report.add(compare(
        f"lifetime of the k_max = {km} clusters (t_merge - t_cl, median over seeds) = escape time of the "
        "point-cluster dynamics from the measured formation state",
        med_ode, med_life, tol,
        params + "; tolerance max(0.1, 2 bootstrap standard errors of the difference of the medians, "
        "paired over seeds)", relative=True,
        note=(derivation + ". Prediction per seed: d theta_i/dt = sum_j m_j e^(beta cos(theta_j - theta_i)) "
              "sin(theta_j - theta_i) from the centers and masses of the first tight clusters, until two "
              "come within 0.2 rad (cluster_ode_lifetime). Median relative error per seed "
              f"{float(np.median(rel)):.2f} (90th percentile {float(np.quantile(rel, 0.9)):.2f}); median "
              f"lifetime per N {_medians_by_N(merges, 'lifetime')}. The linear estimate ln(1/delta)/lambda "
              f"(delta = largest gap deviation, median {float(np.median(irr)):.3f} rad) gives "
              f"{float(np.median(lin[okl])):.2f}: it leaves out the nonlinear end of the escape, which is "
              "faster than e^(lambda t) once the gaps are O(1) apart; tolerance 0.1 at least for the save "
              "spacing 0.05 and the clusters' widths, which the point dynamics ignores"),
        foil=float(np.median(lin[okl])),
        foil_note="the linear saddle estimate ln(1/delta)/lambda (growth to O(1) at the rate lambda)"))
