"""[L] zero temperature (rows group 1): the hardmax flow contracts onto Pi(x_0) at the rate c, and its
limit is Pi # mu_0, in the worked example (E = span(e_2)) and in the sub-sphere example (dim E = 2,
non-symmetric A = K^T Q)."""

from __future__ import annotations

import numpy as np

from ... import sphere
from ...analysis import line_fit
from ..report import Report, check, compare
from .hardmax import distance_to_pushforward, hardmax_flow
from .setting import ZERO_FIT, Example, SubsphereExample

__all__ = ["add_claims"]


def _rate(tz: np.ndarray, dist: np.ndarray, window: tuple[float, float]) -> float:
    win = (tz >= window[0]) & (tz <= window[1])
    return -line_fit(tz[win], np.log(dist[win])).slope


def add_claims(rep: Report, P: dict, ex: Example, sub: SubsphereExample) -> dict[str, np.ndarray]:
    """Add the zero-temperature rows of both examples to ``rep``; return the times and the mean
    distances to Pi(x_0)."""
    A, V, Pi, e2, c_pred, mats = ex.A, ex.V, ex.Pi, ex.e2, ex.c, ex.words
    x0z = sphere.uniform(P["n_zero"], 3, seed=0)
    tz = np.arange(0.0, P["t_zero"] + 1e-9, 0.25)
    xz = hardmax_flow(A, V, x0z, tz, 0.01)
    dist_z = np.linalg.norm(xz - Pi(x0z)[None], axis=2).mean(axis=1)
    c_meas = _rate(tz, dist_z, ZERO_FIT)
    pz = float(np.mean(x0z @ e2 > 0))
    w_zero_end = distance_to_pushforward(xz[-1], e2, pz)
    lam = Pi.eigenvalues
    rep.add(compare(
        "zero-temperature (hardmax) flow: the mean distance of x(t) to Pi(x_0) decays at rate "
        "c = (lambda_1 - lambda_2)/norm(A e) of M = V A", c_pred, c_meas, 0.03,
        f"{mats}; N = {P['n_zero']} iid uniform, RK4 dt = 0.01, fit of log mean distance on "
        f"t in [{ZERO_FIT[0]:g}, {ZERO_FIT[1]:g}]", relative=True,
        note=("docs/theory/low-temperature.md#projection-and-push-forward [D]: M = diag(2,4,0.5), E = "
              "span(e_2), c = (4 - 2)/4 = 0.5. Tolerance 3 %: tokens near the plane <x, e_2> = 0 still "
              "contribute slower transients in the window"),
        foil=(lam[0] - lam[-1]) / np.linalg.norm(A @ Pi.basis, 2),
        foil_note="the gap to the smallest eigenvalue, (lambda_1 - lambda_3)/norm(A e)"))
    w_foil = distance_to_pushforward(xz[-1], ex.e1, float(np.mean(x0z @ ex.e1 > 0)))
    rep.add(check(
        "zero-temperature limit is Pi # mu_0 = p delta_{e_2} + (1-p) delta_{-e_2}: "
        "W_1(mu^inf_T, Pi # mu_0) -> 0", "W_1 <= 0.01", w_zero_end, bool(w_zero_end <= 0.01),
        f"{mats}; N = {P['n_zero']}, T = {P['t_zero']:g}, geodesic W_1 (exact OT), p = {pz:.3f}",
        error=w_zero_end, tolerance=0.01,
        note="tolerance 0.01: at rate 0.5 the bulk is within e^{-6} ~ 2.5e-3 of Pi(x_0) at T = 12",
        foil="+-e_1 (Pi built from V alone)", foil_passed=bool(w_foil <= 0.01),
        foil_note=f"the same W_1 to the push-forward onto +-e_1, V's top eigenvector: {w_foil:.3g}"))

    # the sub-sphere example: dim E = 2, A = K^T Q not symmetric
    xs = hardmax_flow(sub.A, sub.V, x0z, tz, 0.01)
    dist_s = np.linalg.norm(xs - sub.Pi(x0z)[None], axis=2).mean(axis=1)
    c_sub = _rate(tz, dist_s, ZERO_FIT)
    rep.add(compare(
        "sub-sphere example (dim E = 2, A = K^T Q not symmetric): the hardmax flow contracts onto "
        "Pi(x_0) in the great circle of E at the local rate c = (lambda_1 - lambda_3)/norm(A e), e in E",
        sub.c, c_sub, 0.03,
        f"{sub.words}; N = {P['n_zero']} iid uniform, RK4 dt = 0.01, fit of log mean distance on "
        f"t in [{ZERO_FIT[0]:g}, {ZERO_FIT[1]:g}]", relative=True,
        note=("theory.zero_temperature_rate: |A e| = 2 on all of E, so c = (3 - 1)/2 = 1. Tolerance 3 % "
              "as in "
              "the worked example: tokens that start near E^perp, where |A x| = 3, converge at 2/3 at first "
              "(the window [3, 6] gives 0.86)"),
        foil=sub.c_global, foil_note="the global bound gap/norm(A)_2 = 2/3 (norm(A) = 3 is reached off E)"))
    end_sub = float(np.linalg.norm(xs[-1] - sub.Pi(x0z), axis=1).mean())
    end_foil = float(np.linalg.norm(xs[-1] - sub.foil_Pi(x0z), axis=1).mean())
    rep.add(check(
        "sub-sphere example: the zero-temperature limit is Pi # mu_0 on the great circle of E: "
        "mean norm(x^inf_T - Pi(x_0)) -> 0", "<= 1e-3", end_sub, bool(end_sub <= 1e-3),
        f"{sub.words}; N = {P['n_zero']}, T = {P['t_zero']:g}", error=end_sub, tolerance=1e-3,
        note="tolerance 1e-3: at rate 1 the bulk is within e^{-12} of Pi(x_0) at T = 12; the mean is set by "
             "the few tokens that started near E^perp",
        foil="Pi of the transposed convention A = Q^T K", foil_passed=bool(end_foil <= 1e-3),
        foil_note=f"the top eigenspace of the symmetric part of V A^T: mean distance {end_foil:.3g}"))
    return {"zero_t": tz, "zero_mean_distance": dist_z, "subsphere_mean_distance": dist_s}
