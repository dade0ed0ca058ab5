"""GLPR part 5: the long-time geometry is set by the spectrum of the value matrix V.

[GLPR] recall (from Geshkovski, Letrouit, Polyanskiy, Rigollet, "The emergence of clusters in
self-attention dynamics", arXiv 2305.05465) that the limit objects of the tokens depend on V's
spectrum. On the sphere, with A = I and a symmetric V with a simple top eigenvalue lambda_1 > 0,
derived here: once the tokens have gathered into tight clusters, the SA output of a token of a
cluster at x is V x (its weights sum to 1 over the cluster, the other clusters weigh e^{-O(beta)}),
so every cluster follows the normalized linear flow dx/dt = P_x V x. Its fixed points are the
eigenvectors of V; the stable ones are +-v_1, and the angle theta to the nearest of them obeys
tan theta(t) ~ e^{-(lambda_1 - lambda_2) t}. Rows: the tokens end at +-v_1, and the late decay
rate of the mean angle is lambda_1 - lambda_2 (foils: the second eigenvector, and the gap to the
third eigenvalue).
"""

from __future__ import annotations

import numpy as np

from ... import sphere
from ...analysis import fit_growth
from ...integrate import simulate
from ...model import AttentionModel
from ..report import Report, check, compare

__all__ = ["add_claims", "value_matrix"]

#: the run: dimension, tokens, beta, step, final time, save spacing, spectrum of V
D, N, BETA, DT, T_END, SAVE = 4, 32, 4.0, 0.02, 24.0, 0.2
SPECTRUM = (1.5, 0.5, 0.2, -0.4)
#: fit window of the angle: from 1e-4 down to 1e-9 rad (tight clusters, above rounding)
WINDOW = (1e-4, 1e-9)


def value_matrix(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """(V, U): V = U diag(SPECTRUM) U^T with a random orthogonal U (seeded); U's columns are the
    eigenvectors v_1, v_2, ... in the order of SPECTRUM."""
    U, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, D)))
    return U @ np.diag(SPECTRUM) @ U.T, U


def _angle(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle of each token (..., n, d) to the nearer of +-v, stable near 0."""
    c = np.abs(x @ v)
    s = np.linalg.norm(x - (x @ v)[..., None] * v, axis=-1)
    return np.arctan2(s, c)


def add_claims(rep: Report) -> dict:
    """Add the two V-spectrum rows to ``rep``; return the mean angles to +-v_1 and +-v_2 over time."""
    V, U = value_matrix()
    model = AttentionModel(d=D, beta=BETA, V=V, normalization="sa")
    x0 = sphere.uniform(N, D, seed=3)
    ts = np.arange(0.0, T_END + 1e-9, SAVE)
    sol = simulate(model, x0, T_END, DT, "rk4", save_at=ts)
    ang1 = _angle(sol.x, U[:, 0]).mean(axis=1)
    ang2 = _angle(sol.x, U[:, 1]).mean(axis=1)
    par = (f"SA, d = {D}, A = I, V = U diag{SPECTRUM} U^T (U random orthogonal, seed 11), beta = {BETA:g}, "
           f"n = {N} iid uniform (seed 3), RK4 dt = {DT:g}, t <= {T_END:g}")
    signs = np.sign(sol.x[-1] @ U[:, 0])
    tol = 1e-6
    rep.add(check(
        "V's spectrum sets the limit: the tokens end at +-v_1, the top eigenvector of V (mean angle to "
        "+-v_1 at the final time, rad)", f"0 (<= {tol:g})", float(ang1[-1]), bool(ang1[-1] <= tol), par,
        error=float(ang1[-1]), tolerance=tol,
        note=(f"{int((signs > 0).sum())} tokens end at +v_1 and {int((signs < 0).sum())} at -v_1. "
              "Tolerance 1e-6 "
              f"rad: at the predicted rate the angle falls below 1e-9 well before t = {T_END:g}"),
        foil="+-v_2", foil_passed=bool(ang2[-1] <= tol),
        foil_note=f"the second eigenvector: mean angle to +-v_2 at the end {ang2[-1]:.3g}"))
    hi, lo = WINDOW
    sel = (ang1 <= hi) & (ang1 >= lo)
    rate = -fit_growth(ts, ang1, window=(float(ts[sel][0]), float(ts[sel][-1]))).rate if sel.sum() >= 5 \
        else float("nan")
    gap = SPECTRUM[0] - SPECTRUM[1]
    rep.add(compare(
        "the clusters approach +-v_1 at the rate lambda_1(V) - lambda_2(V) (late decay of the mean angle)",
        gap, rate, 0.01, f"{par}; fit of log mean angle where it is in [{lo:g}, {hi:g}]", relative=True,
        note=("derived here: a tight cluster follows dx/dt = P_x V x, whose linearization at v_1 has "
              "the rates "
              "lambda_1 - lambda_k; the slowest is lambda_1 - lambda_2. Tolerance 1 %: the clusters are not "
              "exact points at the start of the window (their width contracts at rate ~lambda_1)"),
        foil=SPECTRUM[0] - SPECTRUM[2], foil_note="the gap to the third eigenvalue, lambda_1 - lambda_3"))
    return {"t": ts, "angle_v1": ang1, "angle_v2": ang2}
