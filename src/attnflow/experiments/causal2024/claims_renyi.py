"""Rows of the Renyi centres on S^1 ([KPR] Fig. 2: n = 200, beta = 64, A = V = I, causal SA).

Definitions and counts: docs/theory/causal.md#renyi-centres. delta = 4 beta^{-1/2} = 0.5; token k
is a strong Renyi centre if it is farther than delta from every earlier token, a Renyi centre if
farther than delta from every earlier Renyi centre (:func:`attnflow.theory.renyi_centres`).

Rows:

1. the mean number of strong centres of n iid uniform tokens against (1 - (1 - p)^n)/p, p = delta/pi
   (:func:`attnflow.theory.renyi_centre_count`), over many samples (no simulation);
2. the mean number of Renyi centres against its jamming limit 1 + M((2 pi - delta)/delta) (Renyi's
   parking constant; n = 200 is not yet jammed, hence a 5 % tolerance);
3. [KPR] Lemma 5.1 (as restated, docs/theory/causal.md#persistence): strong centres at separation
   c (1 + 2 eps) beta^{-1/2} with T s_j < eps e^{c^2/2 - c^4/(24 beta)} move less than
   eps c beta^{-1/2} up to T (c = 4, eps = 0.1: 0.05);
4. every strong centre (delta = 4 beta^{-1/2}) moves less than the same 0.05 up to the end of the
   runs (meta-stability beyond the Lemma's window; the threshold is this reproduction's);
5. the meta-stable clusters at the end number between the strong and the Renyi centres of the
   start (each strong centre keeps its own cluster; later tokens join a cluster of an earlier
   centre): the fraction of runs where #strong(0) <= #clusters(T) <= #Renyi(0);
6. the mean cluster count at the end lies between the expected counts of strong centres (n = 200)
   and of Renyi centres at jamming.

Foils: the excluded arc delta instead of 2 delta (row 1), the strong-centre count (row 2), strong
centres frozen like the first token (rows 3, 4), the clusters as the strong centres only (row 5)
and Theorem 4.1's single cluster (row 6).

Clusters: connected components of <x_i, x_j> >= 1 - 1e-3 (:func:`attnflow.observables.clusters`,
angle ~0.045 = delta / 11).
"""

from __future__ import annotations

import math

import numpy as np

from ...integrate import simulate
from ...model import AttentionModel
from ...observables import clusters
from ...sphere import angles_to_points, points_to_angles
from ...theory import renyi_centre_count, renyi_centres, renyi_parking_mean
from ..report import Report, at_most, check, compare
from .settings import BETA_RENYI, C_LEMMA, EPS_LEMMA, N_RENYI, SCALE

__all__ = ["CLUSTER_TOL", "add_claims", "centre_counts", "uniform_start"]

CLUSTER_TOL = 1e-3


def uniform_start(seed: int, n: int = N_RENYI) -> np.ndarray:
    """n iid uniform angles on S^1 (seeded), in sequence order."""
    return np.random.default_rng(seed).uniform(0.0, 2.0 * math.pi, n)


def centre_counts(theta: np.ndarray) -> tuple[int, int]:
    """(strong Renyi centres, Renyi centres) of one sequence of angles at beta = 64, delta = 0.5."""
    return (len(renyi_centres(theta, BETA_RENYI, strong=True, scale=SCALE)),
            len(renyi_centres(theta, BETA_RENYI, strong=False, scale=SCALE)))


def _moved(theta: np.ndarray, idx: np.ndarray, upto: int) -> float:
    """Largest angular displacement of the tokens ``idx`` over the saves 0..upto."""
    if idx.size == 0:
        return 0.0
    step = theta[:upto + 1, idx] - theta[0, idx]
    return float(np.abs(np.angle(np.exp(1j * step))).max())


def add_claims(rep: Report, P: dict) -> dict:
    """Add the Renyi-centre rows (module docstring); return the runs for the figure."""
    beta, n = BETA_RENYI, N_RENYI
    delta = SCALE / math.sqrt(beta)
    rng = np.random.default_rng(12345)
    counts = np.array([centre_counts(rng.uniform(0.0, 2.0 * math.pi, n)) for _ in range(P["samples"])])
    mean, se = counts.mean(axis=0), counts.std(axis=0, ddof=1) / math.sqrt(len(counts))
    iid = f"{P['samples']} sequences of n = {n} iid uniform angles, beta = {beta:g}, delta = {delta:g}"
    strong_expected = renyi_centre_count(beta, 2, n, strong=True, scale=SCALE)
    one_sided = renyi_centre_count(beta, 2, n, strong=True, scale=SCALE / 2)
    rep.add(compare(f"expected number of strong Renyi centres, (1 - (1 - p)^n)/p with p = delta/pi "
                    f"(-> 1/p = {math.pi / delta:.4g}, [KPR] Lemma C.1)", strong_expected, float(mean[0]),
                    4 * float(se[0]), iid,
                    note=f"tolerance 4 standard errors of the mean ({se[0]:.3f}): a true mean fails with "
                         "probability 6e-5",
                    foil=one_sided, foil_note="p = delta/(2 pi): an arc of length delta around each earlier "
                                              "token excluded instead of 2 delta"))
    jammed = renyi_centre_count(beta, 2, None, strong=False, scale=SCALE)
    segment = renyi_parking_mean(2 * math.pi / delta)
    short = 1 - segment / jammed
    rep.add(compare("expected number of Renyi centres at jamming, 1 + M((2 pi - delta)/delta) (Renyi's "
                    "parking problem)", jammed, float(mean[1]), 0.05, iid, relative=True,
                    note=f"n = {n} tokens do not quite jam the circle (no finite-n count is known), hence "
                         f"5 %; standard error {se[1]:.3f}. The tolerance cannot tell the circle from a "
                         f"segment of length 2 pi (M(2 pi/delta) = {segment:.3f}, {short:.1%} lower)",
                    foil=strong_expected, foil_note="the strong-centre count (every Renyi centre taken to be "
                                                    "strong)"))

    model = AttentionModel(2, beta, mask="causal")
    t_end, save = P["t_renyi"], P["save_renyi"]
    times = np.linspace(0.0, t_end, round(t_end / save) + 1)
    lemma_bound = EPS_LEMMA * math.exp(C_LEMMA ** 2 / 2 - C_LEMMA ** 4 / (24 * beta))
    k_lemma = int(np.searchsorted(times, P["t_lemma"]))
    runs, moved_lemma, moved_all, bracket = [], [], [], []
    for seed in P["seeds"]:
        th0 = uniform_start(seed)
        sol = simulate(model, angles_to_points(th0), t_end, 0.02, "rk4", save_at=times, backend="dense")
        theta = points_to_angles(sol.x)
        strong = renyi_centres(th0, beta, strong=True, scale=SCALE)
        renyi = renyi_centres(th0, beta, strong=False, scale=SCALE)
        wide = renyi_centres(th0, beta, strong=True, scale=C_LEMMA * (1 + 2 * EPS_LEMMA))
        covered = wide[(wide + 1) * P["t_lemma"] < lemma_bound]         # s_j = 1-based index
        moved_lemma.append(_moved(theta, covered, k_lemma))
        moved_all.append(_moved(theta, strong, len(times) - 1))
        n_clusters = np.array([clusters(x, CLUSTER_TOL).count for x in sol.x])
        n_renyi = np.array([len(renyi_centres(th, beta, strong=False, scale=SCALE)) for th in theta])
        bracket.append(strong.size <= n_clusters[-1] <= renyi.size)
        runs.append({"seed": seed, "theta": theta, "strong": strong, "renyi": renyi, "covered": covered,
                     "clusters": n_clusters, "renyi_t": n_renyi})
    setting = (f"n = {n} iid uniform tokens on S^1 (seeds {list(P['seeds'])}), beta = {beta:g}, A = V = I, "
               f"causal SA, rk4 dt = 0.02, t <= {t_end:g}; delta = {SCALE:g}/sqrt(beta) = {delta:g}")
    radius = EPS_LEMMA * C_LEMMA / math.sqrt(beta)
    frozen = 4 * float(np.finfo(float).eps)
    frozen_note = "strong centres frozen like the first token (moved <= 4 ulp): stable, not meta-stable"
    rep.add(at_most(f"[KPR] Lemma 5.1 (c = {C_LEMMA:g}, eps = {EPS_LEMMA:g}): strong centres at separation "
                    f"c (1 + 2 eps)/sqrt(beta) with T s_j < eps e^(c^2/2 - c^4/(24 beta)) = "
                    f"{lemma_bound:.4g} move less than eps c/sqrt(beta) up to T = {P['t_lemma']:g}", radius,
                    max(moved_lemma), setting, note="the Lemma's own radius; covered centres per run: "
                    + "; ".join(str(r["covered"].tolist()) for r in runs), foil=frozen,
                    foil_note=frozen_note))
    rep.add(at_most(f"every strong centre (delta = {delta:g}) is meta-stable: it moves less than eps "
                    f"c/sqrt(beta) up to t = {t_end:g}", radius, max(moved_all), setting,
                    note="beyond the Lemma's time window; threshold of this reproduction (the Lemma's "
                    "radius). Per run: " + ", ".join(f"{m:.2e}" for m in moved_all), foil=frozen,
                    foil_note=frozen_note))
    detail = "; ".join(f"seed {r['seed']}: {r['strong'].size} <= {r['clusters'][-1]} <= {r['renyi'].size}"
                       for r in runs)
    exact_strong = [r["clusters"][-1] == r["strong"].size for r in runs]
    rep.add(check(f"the meta-stable clusters at t = {t_end:g} number between the strong and the Renyi "
                  "centres of the start: #strong(0) <= #clusters(T) <= #Renyi(0) (fraction of runs)", "1",
                  f"{np.mean(bracket):g}", bool(all(bracket)), setting,
                  note=f"{detail}; clusters: <x_i, x_j> >= 1 - {CLUSTER_TOL:g} connected",
                  foil="#clusters(T) = #strong(0) in every run", foil_passed=bool(all(exact_strong)),
                  foil_note="the clusters are the strong centres only (no later Renyi centre keeps a "
                            "cluster)"))
    final = float(np.mean([r["clusters"][-1] for r in runs]))
    rep.add(check("the mean number of meta-stable clusters lies between the expected counts of strong "
                  "centres (n = 200) and of Renyi centres (jamming)",
                  f"[{strong_expected:.3f}, {jammed:.3f}]", final, strong_expected <= final <= jammed,
                  setting, note=f"{len(runs)} run(s)", foil="[1, 1]", foil_passed=final == 1.0,
                  foil_note="Theorem 4.1's single cluster at x_1(0) (reached only after exponentially long "
                            "times)"))
    return {"t": times, "runs": runs, "expected": (strong_expected, jammed), "radius": radius,
            "samples": counts}
