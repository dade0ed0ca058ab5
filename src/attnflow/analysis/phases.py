"""The three phases of a run in one summary, compared with the theory [B].

:func:`phases` combines :func:`attnflow.analysis.linear_phase`,
:func:`attnflow.analysis.cluster_history` and, on S^1,
:func:`attnflow.analysis.quasi_linear_kept` into a :class:`PhaseSummary` with a
claim / predicted / measured table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import observables as obs
from .. import theory
from ..solution import Solution
from ..sphere import points_to_angles
from .clusters import ClusterHistory, QuasiLinear, cluster_history, quasi_linear_kept
from .linear import LinearPhase, linear_phase, model_parameters
from .measures import angle_mismatch
from .states import solution_states

__all__ = ["PhaseSummary", "phases"]


@dataclass(frozen=True, eq=False)
class PhaseSummary:
    """The phases of one run (:func:`phases`).

    Attributes
    ----------
    linear : LinearPhase.
    clusters : ClusterHistory.
    quasi : QuasiLinear over [t_linear_end, t_clustered] on S^1, else None.
    t_linear_end : end of the linear phase (None if the threshold is never reached).
    t_clustered : start of the first cluster plateau (None if there is none).
    plateau_counts : counts of the cluster plateaus in time order.
    merge_times : times of the drops of the cluster count between plateaus.
    predicted_angles : S^1 only: the predicted first-cluster angles
        (:func:`attnflow.theory.predicted_cluster_angles` with k = k_max from the initial state).
    first_centers : S^1 only: the angles of the clusters of the first plateau.
    energy_increase : min over saves of E(t_{i+1}) - E(t_i), relative to max |E| (>= -1e-8 for a
        gradient ascent).
    identity : whether the model has A = V = I (the energy is then non-decreasing).
    """

    linear: LinearPhase
    clusters: ClusterHistory
    quasi: QuasiLinear | None
    t_linear_end: float | None
    t_clustered: float | None
    plateau_counts: list[int]
    merge_times: list[float]
    predicted_angles: np.ndarray | None = None
    first_centers: np.ndarray | None = None
    energy_increase: float | None = None
    identity: bool = True

    def table(self) -> list[dict[str, Any]]:
        """Rows {claim, predicted, measured, agrees, note} for reports (agrees may be None)."""
        lin = self.linear
        k = lin.leading_mode
        fit = lin.fits[k - 1]
        rows: list[dict[str, Any]] = []

        def row(claim: str, predicted: Any, measured: Any, agrees: bool | None, note: str = "") -> None:
            rows.append({"claim": claim, "predicted": predicted, "measured": measured,
                         "agrees": agrees, "note": note})

        row("leading mode of the linear phase is k_max", lin.k_max, k, k == lin.k_max,
            "mode competition lets a neighbouring mode win in some iid runs "
            "(docs/theory/linear-stability.md#mode-competition)")
        rel = abs(lin.rate_error) if np.isfinite(fit.rate) else float("nan")
        row(f"growth rate of mode {k} is gamma_{k}", float(lin.gamma[k - 1]), float(fit.rate),
            bool(rel <= 0.05) if np.isfinite(rel) else None,
            f"fit on [{fit.t_start:.4g}, {fit.t_end:.4g}], r2 = {fit.r2:.6f}, relative error {rel:.3g}")
        row(f"linear phase ends when the leading amplitude reaches {lin.threshold:g} "
            "(iid start: t = (ln N / 2 + ln a) / gamma_max)", lin.t_end_predicted, lin.t_end, None,
            "the prediction assumes an iid uniform start (initial amplitude N^-1/2); "
            f"from the measured initial amplitude: {lin.t_end_from_start}")
        if self.quasi is not None and self.quasi.t.size:
            worst = float(self.quasi.relative_defect.max())
            row(f"the {self.quasi.k}-fold structure is kept between the linear phase and clustering",
                f"relative symmetry defect <= {self.quasi.threshold:g}", worst, bool(self.quasi.all_kept),
                f"over t in [{self.quasi.t[0]:.4g}, {self.quasi.t[-1]:.4g}]")
        first = self.plateau_counts[0] if self.plateau_counts else None
        d = lin.d
        row("first clusters: k_max equally spaced clusters (S^1)" if d == 2
            else "first clusters (no count prediction for d >= 3)",
            lin.k_max if d == 2 else None, first,
            (first == lin.k_max) if (d == 2 and first is not None) else None,
            f"t_clustered = {self.t_clustered}")
        if self.predicted_angles is not None and self.first_centers is not None:
            same = self.predicted_angles.size == self.first_centers.size > 0
            err = angle_mismatch(self.predicted_angles, self.first_centers) if same else None
            row("first cluster angles = (2 pi m - arg mu_hat_kmax(0)) / k_max",
                [round(float(a), 4) for a in self.predicted_angles],
                [round(float(a), 4) for a in self.first_centers],
                None if err is None else bool(err <= 0.2),
                "" if err is None else f"largest angular error {err:.3g} rad")
        row("cluster count plateaus and merges", None, self.plateau_counts, None,
            f"merge times {[round(m, 6) for m in self.merge_times]}")
        row("energy staircase (plateaus of E)", None, len(self.clusters.staircase), None,
            f"{[(round(s[1], 6), round(s[2], 6)) for s in self.clusters.staircase]}")
        if self.energy_increase is not None:
            row("energy is non-decreasing (A = V = I)", True, self.energy_increase,
                bool(self.energy_increase >= -1e-8) if self.identity else None,
                "min relative increment between saves")
        return rows


def phases(sol: Solution, beta: float | None = None, normalization: str | None = None, *,
           K: int | None = None, threshold: float = 0.1, tol: float = 1e-2,
           min_fraction: float = 0.01, quasi_threshold: float = 0.25) -> PhaseSummary:
    """Detect the three phases of a run and compare them with the theory [B].

    Combines :func:`linear_phase` (end of the linear phase, leading mode, rates),
    :func:`cluster_history` (first cluster plateau, merges, energy staircase) and, on S^1,
    :func:`quasi_linear_kept` with k = the leading mode over [t_linear_end, t_clustered] (or to
    the end of the run when no plateau is found).

    Parameters
    ----------
    sol : Solution with saved states, not batched.
    beta, normalization : prediction parameters (None: from ``sol.model``).
    K, threshold : as in :func:`linear_phase`.
    tol, min_fraction : as in :func:`cluster_history`.
    quasi_threshold : as ``threshold`` in :func:`quasi_linear_kept`.

    Returns
    -------
    PhaseSummary (use ``.table()`` for a claim / predicted / measured list).
    """
    t, x = solution_states(sol)
    beta, normalization = model_parameters(sol, beta, normalization)
    lin = linear_phase(sol, beta, normalization, K=K, threshold=threshold)
    hist = cluster_history(sol, tol=tol, min_fraction=min_fraction)
    t_lin = lin.t_end
    t_cl = hist.t_clustered
    if t_lin is not None:                 # the first plateau after the linear phase
        later = [p for p in hist.plateaus if p[2] >= t_lin]
        t_cl = later[0][1] if later else None
    quasi = None
    pred_angles = centers = None
    if x.shape[-1] == 2:
        if t_lin is not None and lin.leading_mode >= 2:
            hi = t_cl if t_cl is not None else float(t[-1])
            quasi = quasi_linear_kept(sol, lin.leading_mode, (t_lin, max(hi, t_lin)),
                                      threshold=quasi_threshold)
        try:
            pred_angles = theory.predicted_cluster_angles(x[0], beta, k=lin.k_max)
        except ValueError:
            pred_angles = None
        if t_cl is not None:
            i = int(np.searchsorted(t, t_cl))
            c = obs.clusters(x[i], tol)
            keep = c.sizes >= max(1.0, min_fraction * x.shape[1])
            centers = np.sort(points_to_angles(c.centers[keep]))
    inc = None
    if hist.energy is not None:
        e = hist.energy
        scale = float(np.abs(e).max()) or 1.0
        inc = float(np.diff(e).min() / scale)
    counts = [p[0] for p in hist.plateaus]
    merges = list(hist.merge_times)
    return PhaseSummary(linear=lin, clusters=hist, quasi=quasi, t_linear_end=t_lin, t_clustered=t_cl,
                        plateau_counts=counts, merge_times=merges, predicted_angles=pred_angles,
                        first_centers=centers, energy_increase=inc, identity=sol.model.identity)
