"""Solvers of the mean-field continuity equation d_t mu + div(mu X[mu]) = 0 on S^{d-1}.

- :class:`CircleSolver`: densities on S^1, pseudo-spectral (exact Bessel convolution).
- ``zonal.ZonalSolver``: axisymmetric densities on S^{d-1}, reduced to the polar angle.
"""

from .circle import CircleSolution, CircleSolver, ResolutionWarning
from .zonal import ZonalSolution, ZonalSolver

__all__ = ["CircleSolution", "CircleSolver", "ResolutionWarning", "ZonalSolution", "ZonalSolver"]
