"""Phase detection on a run: linear, quasi-linear and clustering phases [B].

A run started near the uniform measure goes through three phases
(docs/theory/linear-stability.md#phases-from-a-uniform-start): every Fourier / spherical-harmonic mode grows
like e^{gamma_k t}
(linear phase), the k_max-fold structure persists while its amplitude becomes O(1)
(quasi-linear phase), and the tokens gather into clusters that later merge on much longer
time scales (clustering phase; the energy climbs a "staircase"). This package measures each
phase on a :class:`attnflow.Solution` and compares it with :mod:`attnflow.theory`.

- :func:`mode_amplitudes` (:mod:`.modes`): |mu_hat_k(t)| for k = 1..K (Fourier modes on S^1,
  the rotation-invariant degree-k power on S^{d-1}, d >= 3).
- :func:`fit_growth`, :func:`line_fit` (:mod:`.fit`): a least-squares exponential fit with an
  automatic linear-phase window; the package's one straight-line fit.
- :func:`linear_phase` (:mod:`.linear`): the leading mode, measured rates against gamma_k, the
  end of the phase.
- :func:`cluster_history`, :func:`quasi_linear_kept` (:mod:`.clusters`): cluster counts over
  time, their plateaus, merge times, the plateaus of the energy (the staircase); the k-fold
  rotational symmetry defect on S^1.
- :func:`phases` (:mod:`.phases`): all of the above in one summary with a claim / predicted /
  measured table.
- Helpers shared with the experiments: :func:`level_crossing`, :func:`angle_mismatch`,
  :func:`rank_correlation` (:mod:`.measures`) and :func:`blas_threads` (:mod:`.threads`).

Examples
--------
>>> import numpy as np, attnflow as af
>>> from attnflow import analysis
>>> m = af.AttentionModel(d=2, beta=5.0, normalization="usa")
>>> x0 = af.sphere.uniform(2000, 2, seed=0)
>>> sol = af.simulate(m, x0, t1=1.0, dt=0.005, save_at=np.linspace(0, 1, 201))  # doctest: +SKIP
>>> summary = analysis.phases(sol)                                              # doctest: +SKIP
>>> for row in summary.table(): print(row)                                      # doctest: +SKIP
"""

from .clusters import ClusterHistory, QuasiLinear, cluster_history, quasi_linear_kept
from .fit import GrowthFit, LineFit, fit_growth, line_fit
from .linear import LinearPhase, linear_phase
from .measures import angle_mismatch, level_crossing, rank_correlation
from .modes import mode_amplitudes
from .phases import PhaseSummary, phases
from .threads import blas_threads

__all__ = [
    "ClusterHistory",
    "GrowthFit",
    "LineFit",
    "LinearPhase",
    "PhaseSummary",
    "QuasiLinear",
    "angle_mismatch",
    "blas_threads",
    "cluster_history",
    "fit_growth",
    "level_crossing",
    "line_fit",
    "linear_phase",
    "mode_amplitudes",
    "phases",
    "quasi_linear_kept",
    "rank_correlation",
]
