"""Sizes, parameters and the shared computations of the noise2026 reproduction.

- :data:`MODES`: run sizes per mode (quick: CI, tens of seconds; full: the gallery);
- :func:`branch`: the stationary branch born at kappa_# (:class:`attnflow.meanfield.StationaryStates`)
  with the resolution each (d, beta) needs, cached per call of the experiment.
"""

from __future__ import annotations

from ...meanfield.stationary import Branch, StationaryStates
from ...theory import noise_threshold

__all__ = ["MODES", "branch", "quadrature_nodes"]

#: run sizes per mode
MODES = {
    "quick": {
        "threshold_cases": ((2, "usa", 0.0), (2, "usa", 1.0), (2, "usa", 5.0), (2, "sa", 3.0),
                            (3, "usa", 1.0), (3, "usa", 3.0)),
        "pitchfork_cases": ((2, "usa", 1.0), (2, "usa", 2.0), (2, "usa", 3.0), (2, "usa", 5.0),
                            (3, "usa", 1.0), (3, "usa", 3.0), (2, "sa", 3.0), (2, "sa", 10.0)),
        "diagram_betas": {2: (0.0, 1.0, 2.0, 3.0, 5.0), 3: (0.0, 1.0, 2.0, 3.0)},
        "phase_betas": (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0),
        "hysteresis_kappas": (0.16, 0.17, 0.18, 0.19, 0.20, 0.21, 0.22, 0.23, 0.24, 0.25, 0.26),
        "hysteresis_time": 30.0,
        # (d, normalization, beta, N, Strang dt, q = kappa/kappa_# grid): particle diagrams
        "particle_diagrams": ((2, "usa", 5.0, 2000, 0.005, (0.95, 1.5)),),
        "diagram_tau": 15.0,
        "n_circle": 4000, "bistable_n": 2000, "bistable_time": 3.0,
        "chi_batch": 16, "chi_n": 500, "chi_time": 20.0,
        "oz_cases": ((2, "usa", 1.0),), "oz_qs": (0.25, 0.5, 0.7), "oz_span": 12.0,
        "oz_n": 300, "oz_batch": 24,
    },
    "full": {
        "threshold_cases": ((2, "usa", 0.0), (2, "usa", 1.0), (2, "usa", 3.0), (2, "usa", 5.0),
                            (2, "sa", 1.0), (2, "sa", 3.0), (3, "usa", 0.0), (3, "usa", 1.0),
                            (3, "usa", 3.0), (3, "sa", 3.0)),
        "pitchfork_cases": ((2, "usa", 1.0), (2, "usa", 2.0), (2, "usa", 3.0), (2, "usa", 5.0),
                            (3, "usa", 1.0), (3, "usa", 2.0), (3, "usa", 3.0), (2, "sa", 3.0),
                            (2, "sa", 10.0), (3, "sa", 10.0)),
        "diagram_betas": {2: (0.0, 1.0, 2.0, 3.0, 4.0, 5.0), 3: (0.0, 1.0, 2.0, 3.0, 4.0)},
        "phase_betas": tuple(0.25 * k for k in range(1, 25)),
        "hysteresis_kappas": tuple(0.16 + 0.0025 * k for k in range(41)),
        "hysteresis_time": 60.0,
        "particle_diagrams": ((2, "usa", 1.0, 100000, 0.05, (0.8, 1.2, 1.5)),
                              (2, "usa", 4.0, 100000, 0.01, (0.97, 1.5)),
                              (2, "usa", 5.0, 100000, 0.005, (0.95, 1.5)),
                              (3, "usa", 1.0, 2000, 0.05, (0.8, 1.2, 1.5)),
                              (3, "usa", 3.0, 2000, 0.02, (0.95, 1.5)),
                              (2, "sa", 3.0, 20000, 0.05, (0.8, 1.5))),
        "diagram_tau": 15.0,
        "n_circle": 100000, "bistable_n": 10000, "bistable_time": 10.0,
        "chi_batch": 16, "chi_n": 4000, "chi_time": 160.0,
        "oz_cases": ((2, "usa", 1.0), (2, "sa", 3.0), (3, "usa", 1.0)), "oz_qs": (0.25, 0.5, 0.7),
        "oz_span": 40.0, "oz_n": 1000, "oz_batch": 32,
    },
}


def quadrature_nodes(beta: float) -> int:
    """Nodes M of the zonal quadrature that resolve the clustered states up to R ~ 0.95 (USA grows
    sharper with beta: the cluster's width is ~ (kappa e^beta)^{-1/2})."""
    return 64 if beta <= 2.0 else (96 if beta <= 5.0 else 128)


def branch(beta: float, d: int, normalization: str = "usa", *, span: float = 3.0,
           max_points: int = 400) -> tuple[StationaryStates, Branch]:
    """The branch of stationary states born at kappa_#(beta, d) up to kappa = span kappa_#."""
    states = StationaryStates(beta, d, M=quadrature_nodes(beta), normalization=normalization)
    k0 = noise_threshold(beta, d, normalization)
    return states, states.branch(kappa_max=span * k0, ds=0.01, max_points=max_points)
