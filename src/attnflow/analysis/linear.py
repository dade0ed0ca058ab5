"""The linear phase of a run [B]: every mode grows like e^{gamma_k t} from near-uniform.

:func:`linear_phase` measures the leading mode, the fitted rates against
:func:`attnflow.theory.growth_rates` and the end of the phase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import theory
from ..solution import Solution
from ..validation import finite_float, integer
from ..validation import normalization as check_normalization
from .fit import GrowthFit, fit_growth
from .modes import mode_amplitudes
from .states import solution_states

__all__ = ["LinearPhase", "linear_phase", "model_parameters"]


@dataclass(frozen=True, eq=False)
class LinearPhase:
    """The linear phase of a run (:func:`linear_phase`).

    Attributes
    ----------
    t : (T,) saved times.
    amplitudes : (T, K) mode amplitudes (column k - 1 is mode k), :func:`mode_amplitudes`.
    leading_mode : the mode with the largest amplitude at the end of the linear phase.
    k_max : the predicted leading mode, :func:`attnflow.theory.k_max`.
    gamma : (K,) predicted rates gamma_k, k = 1..K (:func:`attnflow.theory.growth_rates`).
    fits : K GrowthFit, one per mode (automatic window capped at ``threshold``).
    rates : (K,) the fitted rates (``fits[k - 1].rate``).
    threshold : the amplitude that ends the phase.
    t_end : first saved time at which the largest mode amplitude reaches ``threshold``
        (None when it never does).
    t_end_predicted : :func:`attnflow.theory.linear_phase_end` (iid uniform start: initial
        amplitude N^{-1/2}).
    t_end_from_start : (ln threshold - ln a_lead(0)) / gamma_lead, the end predicted from the
        measured initial amplitude of the leading mode (any start, e.g. a perturbed lattice).
    N, d, beta, normalization : the run's parameters.
    """

    t: np.ndarray
    amplitudes: np.ndarray
    leading_mode: int
    k_max: int
    gamma: np.ndarray
    fits: list[GrowthFit]
    rates: np.ndarray
    threshold: float
    t_end: float | None
    t_end_predicted: float | None
    t_end_from_start: float | None
    N: int
    d: int
    beta: float
    normalization: str

    @property
    def rate_error(self) -> float:
        """Relative error (measured - predicted) / predicted of the leading mode's rate."""
        k = self.leading_mode
        return float((self.rates[k - 1] - self.gamma[k - 1]) / self.gamma[k - 1])


def model_parameters(sol: Solution, beta: Any, normalization: Any) -> tuple[float, str]:
    """(beta, normalization) to predict with: the given values, or the run's model's for None."""
    beta = sol.model.beta if beta is None else finite_float("beta", beta, fix="pass the run's beta")
    normalization = sol.model.normalization if normalization is None else check_normalization(normalization)
    return beta, normalization


def linear_phase(sol: Solution, beta: float | None = None, normalization: str | None = None,
                 K: int | None = None, threshold: float = 0.1) -> LinearPhase:
    """Measure the linear phase of a run and compare it with the linearized theory [B].

    Rules:

    - amplitudes a_k(t), k = 1..K, from :func:`mode_amplitudes` (K default:
      max(8, 2 k_max));
    - end of the phase t_end: the first saved time where max_k a_k(t) >= ``threshold``;
    - leading mode: argmax_k a_k(t_end) (at the last saved time if the threshold is never
      reached);
    - rates: :func:`fit_growth` of each mode with the automatic window capped at ``threshold``
      (a mode that starts above the threshold gets a NaN fit). Modes fed by nonlinear
      coupling (e.g. harmonics of the leading one) are not exponentials; their ``r2`` says so.

    The predictions (gamma_k, k_max, t_end) are those of A = V = I at the uniform measure.

    Parameters
    ----------
    sol : Solution with saved states, not batched.
    beta, normalization : the values to predict with; None takes them from ``sol.model``.
    K : int >= 1 or None.
    threshold : float in (0, 1], the amplitude that ends the linear phase.

    Returns
    -------
    LinearPhase
    """
    t, x = solution_states(sol)
    beta, normalization = model_parameters(sol, beta, normalization)
    threshold = finite_float("threshold", threshold, positive=True,
                             fix="pass the amplitude ending the linear phase, e.g. 0.1")
    N, d = x.shape[1], x.shape[2]
    kmax = theory.k_max(beta, d)
    K = max(8, 2 * kmax) if K is None else integer("K", K, 1, fix="pass e.g. K=8, or None")
    amps = mode_amplitudes(x, K)
    gamma = theory.growth_rates(beta, d, K, normalization)[1:]
    top = amps.max(axis=1)
    hit = np.flatnonzero(top >= threshold)
    i_end = int(hit[0]) if hit.size else t.size - 1
    t_end = float(t[i_end]) if hit.size else None
    leading = int(np.argmax(amps[i_end])) + 1
    fits = []
    for k in range(K):
        try:
            fits.append(fit_growth(t, amps[:, k], max_amplitude=threshold))
        except ValueError:
            fits.append(GrowthFit.empty())
    rates = np.array([f.rate for f in fits])
    try:
        t_pred = theory.linear_phase_end(N, beta, d, normalization, amplitude=threshold)
    except ValueError:
        t_pred = None
    a0, g = amps[0, leading - 1], gamma[leading - 1]
    t_from = (math.log(threshold) - math.log(a0)) / g if a0 > 0 and g > 0 and a0 < threshold else None
    return LinearPhase(t=t, amplitudes=amps, leading_mode=leading, k_max=kmax, gamma=gamma, fits=fits,
                       rates=rates, threshold=threshold, t_end=t_end, t_end_predicted=t_pred,
                       t_end_from_start=t_from, N=N, d=d, beta=beta, normalization=normalization)
