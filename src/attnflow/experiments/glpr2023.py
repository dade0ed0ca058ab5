"""[GLPR]: trajectories on S^1, the equiangular clustering time, random-matrix phase diagrams.

[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on transformers",
arXiv 2312.10794. The paper's text could not be read here beyond its table of contents (a short
search of the stored pages found no figure captions); the setups below follow THEORY.md §1/§8,
THEORY-DETAILS §1.3 and the authors' public reference code (``sphere.py`` and
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
2. Equiangular reduction (THEORY.md §8, THEORY-DETAILS §1.3): from x_i = e_i in R^32 (n = d =
   32) the tokens stay equiangular, g = <x_i, x_j> follows the SA/USA ODE, and
   :func:`attnflow.theory.equiangular_clustering_time` (1 - g <= 1e-2) is compared with an RK4
   particle run (relative tolerance 1e-3). The layer scheme keeps the configuration equiangular
   too, and maps g to an explicit F_eta(g) (:func:`attnflow.theory.equiangular_layer_map`): its
   clustering time is compared with a layer-scheme particle run, and its shift against the ODE,
   first order in eta (THEORY.md §1), is measured.
3. Random matrices, d = 128, n = 32 (``phase-diagrams.py``): SA, layer scheme eta = 0.1,
   t <= 30, iid uniform tokens, clustering density = fraction of pairs with <x_i, x_j> > 0.999
   (:func:`attnflow.observables.clustering_density` with tol = 1e-3, the code's threshold).
   Cases: identity (the code's default), Ginibre K^T Q with V = I, GOE, "Wigner" (the code's
   ``randomKQ=2``), and V = +Q^T K (``randomV=2``) with Ginibre K^T Q; matrices scaled as the
   code scales them (:func:`reference_matrices`), not as :func:`attnflow.random_matrices` does.
   For the identity the near-orthogonal start in d = 128 is close to equiangular, so the onset
   of clustering is predicted by the equiangular layer map (threshold 1e-3) and the phase
   boundary at t = 30 by T(beta_c) = 30. For the random cases the rows test the phase-diagram
   structure: a single cluster at small beta (beta = 0.5), several clusters at t = 30 for
   beta = 9, and (full mode, 10 betas) a clustering density at t = 30 that decreases with beta
   (Spearman rank correlation <= -0.8). The paper's own statements about its Figure 5 could not
   be read.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from .. import sphere
from ..analysis import level_crossing, rank_correlation
from ..integrate import simulate
from ..model import AttentionModel
from ..observables import clustering_density, clusters
from ..theory import equiangular_clustering_time, equiangular_layer_time
from .report import Claim, Report, compare

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

#: random-matrix cases of part 3 (reference-code names in ``reference_matrices``)
CASES = ("identity", "ginibre", "goe", "wigner", "qk")

_MODES = {
    "quick": {"circle_seeds": 4, "rm_betas": (0.5, 9.0), "rm_mats": 1, "rm_batch": 4, "rm_save": 0.1},
    "full": {"circle_seeds": 16, "rm_betas": (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
             "rm_mats": 3, "rm_batch": 8, "rm_save": 0.1},
}
_STEP = 0.1                 # the reference code's step
_TOL_PAIR = 1e-3            # <x_i, x_j> > 0.999
_T_MAX = 30.0               # the reference code's maxtime for softmax
_N_RM, _D_RM = 32, 128


# -- conventions of the reference code ---------------------------------------------------------------
def reference_step(beta: float, normalization: str, step: float = _STEP) -> float:
    """The layer step of ``phase-diagrams.py``: ``step`` (SA), step/max(sqrt(beta) e^{beta-1/2}, 1) (USA)."""
    if normalization == "sa":
        return step
    return step / max(math.sqrt(beta) * math.exp(beta - 0.5), 1.0)


def reference_matrices(case: str, d: int, rng: np.random.Generator
                       ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(A, V) in attnflow's convention for the random cases of ``phase-diagrams.py``.

    The code draws a bilinear form BF (the logit is beta x_i^T BF x_j for row tokens) and a value
    matrix V_ref applied on the right (rows y_i^T = sum_j w_ij x_j^T V_ref); attnflow's A = BF^T
    and V = V_ref^T. Scalings, with G, G1, G2 iid N(0, 1) (d, d) matrices:

    - ``"identity"``: BF = I, V = I (the code's default);
    - ``"ginibre"`` (``randomKQ=1``): BF = G1 G2 / sqrt(d), entries of variance 1, spectral
      radius ~ sqrt(d), operator norm ~ 4 sqrt(d); V = I;
    - ``"goe"`` (``randomKQ=3``): BF = (G + G^T)/sqrt(2), off-diagonal variance 1, diagonal 2,
      spectrum on [-2 sqrt(d), 2 sqrt(d)]; V = I;
    - ``"wigner"`` (``randomKQ=2``, the code's "wrong Wigner"): (G + G^T) divided by 2 on the
      diagonal and sqrt(2) off it, all entries of variance 1; V = I;
    - ``"qk"`` (``randomKQ=1, randomV=2``): Ginibre BF as above and V_ref = BF/sqrt(d), so
      attnflow's V = BF^T/sqrt(d) = A/sqrt(d).

    attnflow's :func:`attnflow.random_matrices` scales every factor by 1/sqrt(d) (spectra O(1)),
    and its "qk" ensemble has V = A^T (the paper's literal V = Q^T K), not A/sqrt(d) as here;
    the logits of the code are O(sqrt(d)) times larger. Returns None for identity matrices.
    """
    if case == "identity":
        return None, None
    if case in ("ginibre", "qk"):
        BF = rng.standard_normal((d, d)) @ rng.standard_normal((d, d)) / math.sqrt(d)
    elif case == "goe":
        g = rng.standard_normal((d, d))
        BF = (g + g.T) / math.sqrt(2.0)
    elif case == "wigner":
        g = rng.standard_normal((d, d))
        norma = np.eye(d) * (2.0 - math.sqrt(2.0)) + math.sqrt(2.0)
        BF = (g + g.T) / norma
    else:
        raise ValueError(f"case={case!r} is not one of {CASES}. Fix: pass one of them")
    A = BF.T.copy()
    V = A / math.sqrt(d) if case == "qk" else None
    return A, V


def _bound_claim(claim: str, bound: float, measured: float, parameters: str, *, upper: bool, note: str = ""
                 ) -> Claim:
    """An inequality row: measured <= bound (upper) or measured >= bound (error = the violation)."""
    sign = "<=" if upper else ">="
    if not math.isfinite(measured):
        return Claim(claim, f"{sign} {bound:.4g}", measured, None, 0.0, None, parameters, note=note)
    excess = measured - bound if upper else bound - measured
    return Claim(claim, f"{sign} {bound:.4g}", float(measured), max(0.0, excess), 0.0, bool(excess <= 0),
                 parameters, note=note)


def _floats(values) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in values) + "]"


# -- the experiment -----------------------------------------------------------------------------------
def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the three parts (module docstring); figures go into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mode = "quick" if quick else "full"
    P = _MODES[mode]
    rep = Report("glpr2023", TITLE, PAPER, mode)
    walls: dict[str, float] = {}
    figs: list[str] = []

    t0 = time.perf_counter()
    circle = _circle_part(rep, P)
    walls["S^1 trajectories"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    equi = _equiangular_part(rep)
    walls["equiangular"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rm = _random_matrix_part(rep, P)
    walls["random matrices"] = time.perf_counter() - t0

    figs.append(_circle_figure(out, circle))
    figs.append(_equiangular_figure(out, equi))
    figs.append(_phase_figure(out, rm))
    rep.figures += figs
    rep.data.update({
        "circle_t": circle["t"], "circle_counts_beta1": circle["counts"][1.0],
        "circle_counts_beta5": circle["counts"][5.0],
        "rm_t": rm["t"], "rm_betas": np.asarray(rm["betas"]),
        **{f"rm_density_{c}": rm["density"][c] for c in CASES},
        **{f"rm_median_clusters_{c}": rm["count"][c] for c in CASES},
        "equi_times": np.array([[r["T_ode"], r["T_rk4"], r["T_map"], r["T_layer"]] for r in equi["rows"]]),
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
        + ". THEORY.md §1 quotes about 6-11% at h = 0.1.",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + ".",
    ]
    return rep


# -- part 1: S^1 ----------------------------------------------------------------------------------------
def _circle_part(rep: Report, P: dict) -> dict:
    n, T = 64, 30.0
    seeds = P["circle_seeds"]
    ts = np.arange(0.0, T + 1e-9, 0.5)
    x0 = np.stack([sphere.uniform(n, 2, seed=s) for s in range(seeds)])
    out = {"t": ts, "counts": {}, "states": {}}
    par = f"d = 2, A = V = I, SA, n = {n} iid uniform, layer scheme eta = {_STEP:g}, {seeds} seeds"
    for beta in (1.0, 5.0):
        model = AttentionModel(d=2, beta=beta, normalization="sa")
        sol = simulate(model, x0, T, _STEP, "layer", save_at=ts, backend="dense")
        counts = np.array([[clusters(sol.x[k, b], _TOL_PAIR).count for b in range(seeds)]
                           for k in range(ts.size)])
        out["counts"][beta] = counts
        out["states"][beta] = sol.x[:, 0]
    c1, c5 = out["counts"][1.0], out["counts"][5.0]
    i15 = int(np.argmin(np.abs(ts - 15.0)))
    one = float(np.mean(c1[-1] == 1))
    rep.add(compare("beta = 1 on S^1: the tokens cluster to a single point (fraction of seeds with one "
                    f"cluster at t = {T:g})", 1.0, one, 0.0, f"{par}; clusters: <x_i, x_j> >= 0.999",
                    note=f"time of the last merge per seed: {_floats(_last_change(ts, c1))}"))
    plateau = (c5[i15:] == c5[i15]).all(axis=0) & (c5[i15] >= 2)
    rep.add(compare("beta = 5 on S^1: metastability: a multi-cluster state (>= 2 clusters) persists "
                    "unchanged from t = 15 to t = 30 (fraction of seeds)", 1.0, float(plateau.mean()), 0.25,
                    f"{par}; clusters: <x_i, x_j> >= 0.999",
                    note=f"cluster counts at t = 15: {c5[i15].tolist()}; at t = 30: {c5[-1].tolist()}. For "
                         "comparison, [B]'s linearization predicts k_max(5, d=2) = 3 first clusters "
                         "(n -> inf)."))
    return out


def _last_change(ts: np.ndarray, counts: np.ndarray) -> list[float]:
    res = []
    for b in range(counts.shape[1]):
        ch = np.flatnonzero(np.diff(counts[:, b]) != 0)
        res.append(float(ts[ch[-1] + 1]) if ch.size else 0.0)
    return res


# -- part 2: equiangular ---------------------------------------------------------------------------------
def _equi_obs(model: AttentionModel, x: np.ndarray) -> float:
    n = x.shape[0]
    G = x @ x.T
    return float(1.0 - (G.sum() - np.trace(G)) / (n * (n - 1)))


def _equi_spread(model: AttentionModel, x: np.ndarray) -> float:
    G = x @ x.T
    off = G[~np.eye(x.shape[0], dtype=bool)]
    return float(off.max() - off.min())


def _equiangular_part(rep: Report) -> dict:
    n = 32
    thr = 1e-2
    x0 = np.eye(n)
    rows = []
    obs = {"eps": _equi_obs, "spread": _equi_spread}
    for norm in ("sa", "usa"):
        for beta in (1.0, 5.0):
            model = AttentionModel(d=n, beta=beta, normalization=norm)
            T_ode = equiangular_clustering_time(beta, n, norm, threshold=thr)
            dt = 0.01 if norm == "sa" else min(0.01, 0.5 / math.exp(beta))
            t1 = 1.2 * T_ode
            grid = np.arange(0.0, t1, dt)
            sol = simulate(model, x0, t1, dt, "rk4", save_at=grid, observables=obs, save_states=False,
                           backend="dense")
            T_rk4 = level_crossing(sol.t, sol.observables["eps"], thr, log=True)
            spread = float(np.max(sol.observables["spread"]))
            h = reference_step(beta, norm)
            T_map = equiangular_layer_time(beta, n, h, norm, thr)
            t1l = 1.05 * T_map + 2 * h
            grid_l = h * np.arange(int(t1l / h) + 1)
            soll = simulate(model, x0, float(grid_l[-1]), h, "layer", save_at=grid_l, observables=obs,
                            save_states=False, backend="dense")
            T_layer = level_crossing(soll.t, soll.observables["eps"], thr, log=True)
            rows.append({"norm": norm, "beta": beta, "T_ode": T_ode, "T_rk4": T_rk4, "T_map": T_map,
                         "T_layer": T_layer, "h": h, "spread": spread, "t": sol.t,
                         "eps": sol.observables["eps"], "t_l": soll.t, "eps_l": soll.observables["eps"]})
            par = (f"{norm.upper()}, beta = {beta:g}, n = d = {n}, x_i(0) = e_i, clustered when "
                   f"1 - g <= {thr:g}")
            rep.add(compare(
                f"equiangular clustering time ({norm.upper()}, beta = {beta:g}): ODE vs particles",
                T_ode, T_rk4, 1e-3, f"{par}; particles RK4 dt = {dt:g}", relative=True,
                note=f"max spread of the off-diagonal inner products along the run: {spread:.2g} "
                     "(equiangular configurations stay equiangular)."))
            rep.add(compare(
                f"layer scheme ({norm.upper()}, beta = {beta:g}): clustering time of the exact equiangular "
                "layer map vs a layer-scheme particle run",
                T_map, T_layer, 1e-3, f"{par}; eta = {h:.4g} (reference-code step)", relative=True,
                note=f"shift against the ODE: {100 * (T_layer - T_ode) / T_ode:+.2f}%"))
    # first order of the shift (SA, beta = 1 and 5)
    ratios = []
    for beta in (1.0, 5.0):
        model = AttentionModel(d=n, beta=beta, normalization="sa")
        T_ode = equiangular_clustering_time(beta, n, "sa", threshold=thr)
        shifts = []
        for h in (0.1, 0.05):
            grid_l = h * np.arange(int((1.2 * T_ode) / h) + 1)
            soll = simulate(model, x0, float(grid_l[-1]), h, "layer", save_at=grid_l,
                            observables={"eps": _equi_obs}, save_states=False, backend="dense")
            shifts.append(level_crossing(soll.t, soll.observables["eps"], thr, log=True) - T_ode)
        ratios.append(shifts[0] / shifts[1])
        rep.add(compare(
            f"the layer scheme's time shift is O(h) (SA, beta = {beta:g}): "
            "shift(h = 0.1)/shift(h = 0.05) = 2",
            2.0, ratios[-1], 0.1, f"SA, beta = {beta:g}, n = d = {n}, x_i(0) = e_i, particle layer runs",
            note=f"shifts {shifts[0]:.4f} (h = 0.1) and {shifts[1]:.4f} (h = 0.05) on T_ode = {T_ode:.4f} "
                 f"({100 * shifts[0] / T_ode:.1f}% at h = 0.1)."))
    return {"rows": rows}


# -- part 3: random matrices -----------------------------------------------------------------------------
def _density_obs(model: AttentionModel, x: np.ndarray) -> float:
    return float(clustering_density(x, tol=_TOL_PAIR))


def _count_obs(model: AttentionModel, x: np.ndarray) -> float:
    """Connected components of <x_i, x_j> >= 1 - tol (as :func:`attnflow.observables.clusters`), from the
    Gram matrix: cheaper than the k-d tree for n = 32 points in d = 128."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    return float(connected_components(csr_matrix(x @ x.T >= 1.0 - _TOL_PAIR), directed=False)[0])


def _random_matrix_part(rep: Report, P: dict) -> dict:
    betas = tuple(P["rm_betas"])
    ts = np.arange(0.0, _T_MAX + 1e-9, P["rm_save"])
    dens = {c: np.zeros((len(betas), ts.size)) for c in CASES}
    cnt = {c: np.zeros((len(betas), ts.size)) for c in CASES}
    obs = {"density": _density_obs, "count": _count_obs}
    for ci, case in enumerate(CASES):
        for bi, beta in enumerate(betas):
            d_runs, c_runs = [], []
            for m in range(P["rm_mats"] if case != "identity" else 1):
                rng = np.random.default_rng(1000 * ci + 10 * m + bi)
                A, V = reference_matrices(case, _D_RM, rng)
                model = AttentionModel(d=_D_RM, beta=beta, A=A, V=V, normalization="sa")
                nb = P["rm_batch"] * (P["rm_mats"] if case == "identity" else 1)
                x0 = sphere.uniform(_N_RM, _D_RM, seed=int(rng.integers(2**31)), batch=nb)
                sol = simulate(model, x0, _T_MAX, _STEP, "layer", save_at=ts, observables=obs,
                               save_states=False, backend="dense")
                d_runs.append(sol.observables["density"])
                c_runs.append(sol.observables["count"])
            dens[case][bi] = np.concatenate(d_runs, axis=1).mean(axis=1)
            cnt[case][bi] = np.median(np.concatenate(c_runs, axis=1), axis=1)
    par = (f"d = {_D_RM}, n = {_N_RM}, SA, layer scheme eta = {_STEP:g}, iid uniform tokens, "
           f"{P['rm_mats']} x {P['rm_batch']} systems per (case, beta); density = fraction of pairs with "
           "<x_i, x_j> > 0.999")
    # identity: equiangular predictions
    for bi, beta in enumerate(betas):
        if beta > 4.0:
            continue
        pred = equiangular_layer_time(beta, _N_RM, _STEP, "sa", threshold=_TOL_PAIR)
        meas = level_crossing(ts, dens["identity"][bi], 0.5, "up")
        rep.add(compare(
            f"identity, beta = {beta:g}: onset of clustering (density >= 0.5) at the equiangular "
            "layer-map time (1 - g <= 1e-3)", pred, meas, 0.05, par + f"; saves every {P['rm_save']:g}",
            relative=True,
            note="near-orthogonal tokens in d = 128 are close to the equiangular start g = 0 (GLPR §6)."))
    i_hi = len(betas) - 1
    T_hi = equiangular_layer_time(betas[i_hi], _N_RM, _STEP, "sa", threshold=_TOL_PAIR)
    rep.add(compare(
        f"identity, beta = {betas[i_hi]:g}: no clustering by t = 30 (equiangular layer-map time "
        f"{T_hi:.0f} >> 30): density at t = 30", 0.0, float(dens["identity"][i_hi, -1]), 0.01, par))
    if len(betas) >= 5:
        def excess(b: float) -> float:
            return equiangular_layer_time(b, _N_RM, _STEP, "sa", threshold=_TOL_PAIR) - _T_MAX

        beta_c = _bisect(excess, 0.5, 9.0)
        beta_m = level_crossing(np.asarray(betas), dens["identity"][:, -1], 0.5)
        rep.add(compare(
            "identity: phase boundary at t = 30 (density(t = 30) = 0.5) where the equiangular layer-map time "
            "equals 30", beta_c, beta_m, 0.5, par + f"; betas {_floats(betas)}",
            note="the measured boundary is interpolated linearly on the beta grid."))
    for case in CASES[1:]:
        rep.add(compare(
            f"{case}: small beta (beta = {betas[0]:g}) gives a single cluster by t = 30 (density at t = 30)",
            1.0, float(dens[case][0, -1]), 0.02, par + f"; case {case} ({_case_words(case)})"))
        final = dens[case][:, -1]
        words = (f"density at t = 30: {_floats(np.round(final, 3))}; median cluster count at t = 30: "
                 f"{_floats(cnt[case][:, -1])}")
        rep.add(_bound_claim(
            f"{case}: large beta (beta = {betas[-1]:g}) does not reach a single cluster by t = 30 (median "
            "cluster count at t = 30)", 2.0, float(cnt[case][-1, -1]), par + f"; case {case}", upper=False,
            note=words))
        if len(betas) >= 5:
            rep.add(_bound_claim(
                f"{case}: the clustering density at t = 30 decreases with beta (Spearman rank correlation)",
                -0.8, rank_correlation(np.asarray(betas), final),
                par + f"; case {case}; betas {_floats(betas)}",
                upper=True, note=words + " (a stronger statement than the phase-diagram structure: "
                "monotone in beta)."))
    return {"t": ts, "betas": betas, "density": dens, "count": cnt}


def _case_words(case: str) -> str:
    return {"ginibre": "A = (G1 G2/sqrt(d))^T, V = I", "goe": "A = (G + G^T)/sqrt(2), V = I",
            "wigner": "symmetric, all entries N(0,1), V = I", "qk": "A = (G1 G2/sqrt(d))^T, V = A/sqrt(d)",
            "identity": "A = V = I"}[case]


def _bisect(f, lo: float, hi: float, iters: int = 60) -> float:
    flo = f(lo)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


# -- figures ----------------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _circle_figure(out: Path, circle: dict) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0), constrained_layout=True)
    ts = circle["t"]
    for ax, beta in zip(axes[:2], (1.0, 5.0), strict=True):
        x = circle["states"][beta]
        ang = np.mod(np.arctan2(x[..., 1], x[..., 0]), 2 * np.pi)
        for i in range(ang.shape[1]):
            ax.plot(ts, ang[:, i], ".", ms=1.2, color=plt.cm.hsv(ang[0, i] / (2 * np.pi)))
        ax.set(xlabel="t (layers x 0.1)", ylabel="angle", ylim=(0, 2 * np.pi),
               title=f"S^1, SA, beta = {beta:g}, n = 64 (layer scheme)")
    ax = axes[2]
    for beta, style in ((1.0, "-"), (5.0, "--")):
        c = circle["counts"][beta]
        for b in range(c.shape[1]):
            ax.plot(ts, c[:, b], style, lw=0.8, alpha=0.6, color="C0" if beta == 1.0 else "C3",
                    label=f"beta = {beta:g}" if b == 0 else None)
    ax.set(xlabel="t", ylabel="clusters (<x_i,x_j> >= 0.999)", yscale="log",
           title="cluster counts, all seeds")
    ax.legend(fontsize=8)
    for a in axes:
        a.grid(alpha=0.3)
    p = out / "glpr_circle.png"
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return str(p)


def _equiangular_figure(out: Path, equi: dict) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0), constrained_layout=True)
    for ax, norm in zip(axes, ("sa", "usa"), strict=True):
        for k, r in enumerate(x for x in equi["rows"] if x["norm"] == norm):
            ax.semilogy(r["t"], r["eps"], color=f"C{k}", label=f"beta = {r['beta']:g}, RK4 particles")
            ax.semilogy(r["t_l"], r["eps_l"], ".", ms=2, color=f"C{k}",
                        label=f"layer scheme, eta = {r['h']:.3g}")
            ax.axvline(r["T_ode"], color=f"C{k}", ls=":", lw=1)
        ax.axhline(1e-2, color="k", lw=0.8)
        ax.set_ylim(1e-4, 2.0)
        ax.set(xlabel="t", ylabel="1 - g(t)", title=f"equiangular start x_i = e_i, n = d = 32, {norm.upper()}"
               "\n(dotted: ODE clustering time)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    p = out / "glpr_equiangular.png"
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return str(p)


def _phase_figure(out: Path, rm: dict) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, len(CASES), figsize=(3.2 * len(CASES), 3.4), constrained_layout=True,
                             sharey=True)
    betas = np.asarray(rm["betas"])
    ts = rm["t"]
    for ax, case in zip(axes, CASES, strict=True):
        im = ax.pcolormesh(ts, betas, rm["density"][case], vmin=0, vmax=1, cmap="RdBu_r", shading="nearest")
        ax.set(xlabel="t", title=case)
    axes[0].set_ylabel("beta")
    fig.colorbar(im, ax=axes, label="P(<x_i,x_j> > 0.999)")
    fig.suptitle(f"d = {_D_RM}, n = {_N_RM}, SA, layer scheme eta = {_STEP:g} (reference-code scaling)")
    p = out / "glpr_phase_diagrams.png"
    fig.savefig(p, dpi=80)
    plt.close(fig)
    return str(p)
