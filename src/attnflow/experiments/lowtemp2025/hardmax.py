"""The zero-temperature (hardmax) flow of [L] and the distance of the tokens to Pi # mu_0."""

from __future__ import annotations

import numpy as np

from ...fields import HardmaxField
from ...solve import ConstantStep, SaveAt, solve
from ...theory import zero_temperature_map
from ...transport import wasserstein_sphere

__all__ = ["distance_to_pushforward", "hardmax_flow"]


def hardmax_flow(A: np.ndarray, V: np.ndarray, x0: np.ndarray, times: np.ndarray, dt: float) -> np.ndarray:
    """States of the zero-temperature flow dx/dt = P_x V A x/|A x| at ``times`` (RK4, retraction).

    The field is :class:`attnflow.fields.HardmaxField` of the map
    :func:`attnflow.theory.zero_temperature_map`; it does not couple the tokens, so this is N
    independent ODEs. ``times`` start at 0. Returns (T, n, d).
    """
    field = HardmaxField(zero_temperature_map(A, V))
    times = np.asarray(times, dtype=float)
    traj = solve(field, np.array(x0, dtype=np.float64), 0.0, float(times[-1]), solver="rk4",
                 stepsize=ConstantStep(dt), saveat=SaveAt(times))
    return traj.ys


def distance_to_pushforward(x: np.ndarray, e: np.ndarray, p: float, order: float = 1.0) -> float:
    """W_p (geodesic cost) between the tokens x and p delta_e + (1 - p) delta_{-e} (exact OT)."""
    atoms = np.stack([e, -e])
    w = np.array([p, 1.0 - p])
    keep = w > 0
    return wasserstein_sphere(x, atoms[keep], p=order, weights_y=w[keep] / w[keep].sum())
