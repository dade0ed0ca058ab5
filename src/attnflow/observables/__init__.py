"""Statistics of a configuration of tokens x_1..x_N on S^{d-1}.

Every function takes points of shape (n, d) (one configuration, returns a float or a
small array) or (B, n, d) (a batch, returns one value per member). Inputs must be finite
real arrays; they are used as given (no unit-norm check), except that :func:`clusters` and
:func:`clustering_density` compare inner products with 1 - tol, which assumes unit vectors.

- :mod:`.interaction`: :func:`energy`, :func:`log_energy`, the interaction energy
  E = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>} [GLPR], in row blocks.
- :mod:`.fourier`: :func:`order_parameter` (R_k = |(1/N) sum_i x_i| (k = 1) or
  |(1/N) sum_i e^{i k theta_i}|), :func:`fourier_modes` (the empirical Fourier coefficients of
  a configuration on S^1), :func:`dominant_mode`.
- :mod:`.clustering`: :func:`clustering_density` (the fraction of pairs that are tol-close),
  :func:`clusters` (the connected components of the tol-closeness graph, a :class:`Clusters`).
- :mod:`.registry`: :data:`OBSERVABLES`, :func:`resolve_observables`, the registry the
  integrator uses to record statistics at save times instead of storing states.

The submodules are named after what they hold, not after a function, so that
``attnflow.observables.energy`` is the function and no module is shadowed.
"""

from .clustering import Clusters, clustering_density, clusters
from .fourier import dominant_mode, fourier_modes, order_parameter
from .interaction import energy, log_energy
from .registry import OBSERVABLES, Observable, resolve_observables

__all__ = [
    "OBSERVABLES",
    "Clusters",
    "Observable",
    "clustering_density",
    "clusters",
    "dominant_mode",
    "energy",
    "fourier_modes",
    "log_energy",
    "order_parameter",
    "resolve_observables",
]
