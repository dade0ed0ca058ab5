"""[L] zero temperature (rows group 1): the hardmax flow contracts onto Pi(x_0) at the rate c, and its
limit is Pi # mu_0 = p delta_{e_2} + (1 - p) delta_{-e_2}."""

from __future__ import annotations

import numpy as np

from ... import sphere
from ...analysis import line_fit
from ..report import Report, compare
from .hardmax import distance_to_pushforward, hardmax_flow
from .setting import ZERO_FIT, Example

__all__ = ["add_claims"]


def add_claims(rep: Report, P: dict, ex: Example) -> dict[str, np.ndarray]:
    """Add the two zero-temperature rows to ``rep``; return the times and the mean distance to Pi(x_0)."""
    A, V, Pi, e2, c_pred, mats = ex.A, ex.V, ex.Pi, ex.e2, ex.c, ex.words
    x0z = sphere.uniform(P["n_zero"], 3, seed=0)
    tz = np.arange(0.0, P["t_zero"] + 1e-9, 0.25)
    xz = hardmax_flow(A, V, x0z, tz, 0.01)
    target = Pi(x0z)
    dist_z = np.linalg.norm(xz - target[None], axis=2).mean(axis=1)
    win = (tz >= ZERO_FIT[0]) & (tz <= ZERO_FIT[1])
    c_meas = -line_fit(tz[win], np.log(dist_z[win])).slope
    pz = float(np.mean(x0z @ e2 > 0))
    w_zero_end = distance_to_pushforward(xz[-1], e2, pz)
    rep.add(compare(
        "zero-temperature (hardmax) flow: the mean distance of x(t) to Pi(x_0) decays at rate "
        "c = (lambda_1 - lambda_2)/norm(A e) of M = V A", c_pred, c_meas, 0.03,
        f"{mats}; N = {P['n_zero']} iid uniform, RK4 dt = 0.01, fit of log mean distance on "
        f"t in [{ZERO_FIT[0]:g}, {ZERO_FIT[1]:g}]", relative=True,
        note=("docs/theory/low-temperature.md#projection-and-push-forward [D]: M = diag(2,4,0.5), E = "
              "span(e_2), c = (4 - 2)/4 = 0.5.")))
    rep.add(compare(
        "zero-temperature limit is Pi # mu_0 = p delta_{e_2} + (1-p) delta_{-e_2}: "
        "W_1(mu^inf_T, Pi # mu_0) -> 0",
        0.0, w_zero_end, 0.01,
        f"{mats}; N = {P['n_zero']}, T = {P['t_zero']:g}, geodesic W_1 (exact OT), p = {pz:.3f}"))
    return {"zero_t": tz, "zero_mean_distance": dist_z}
