"""Solvers of the mean-field equation d_t mu + div(mu X[mu]) = kappa^{-1} Delta mu on S^{d-1}
(no right side without noise).

- :class:`CircleSolver`: densities on S^1, pseudo-spectral (exact Bessel convolution).
- ``zonal.ZonalSolver``: axisymmetric densities on S^{d-1}, reduced to the polar angle.
- ``stationary.StationaryStates``: stationary states with noise (self-consistency, branches in
  kappa by continuation, their stability).
"""

from .circle import CircleSolution, CircleSolver, ResolutionWarning
from .stationary import Branch, StationaryStates
from .zonal import ZonalSolver
from .zonal_solution import ZonalSolution

__all__ = ["Branch", "CircleSolution", "CircleSolver", "ResolutionWarning", "StationaryStates",
           "ZonalSolution", "ZonalSolver"]
