"""The solver core: one time loop over small parts (diffrax-like, attnflow's own).

- fields (:mod:`attnflow.fields`): what is integrated, on which manifold;
- solvers (:mod:`.solvers`, tableaux in :mod:`.tableau`): one step of a scheme, with its order;
- step controllers (:mod:`.controllers`): constant, adaptive (embedded pairs) or state-based;
- :class:`SaveAt` (:mod:`.saveat`): save times, states and statistics;
- :func:`solve` (:mod:`.driver`): the loop, with stop conditions, monitors and checkpoints.

:func:`attnflow.simulate` (attention models, stores, observables) and the mean-field solvers of
:mod:`attnflow.meanfield` are built on :func:`solve`.
"""

from .controllers import DEFAULT_MAX_STEPS, Adaptive, ConstantStep, StateStep, time_grid
from .driver import Checkpoint, Monitor, Trajectory, field_scale, solve
from .saveat import SaveAt
from .solvers import SOLVERS, ExplicitRK, LayerScheme, Solver, get_solver
from .tableau import TABLEAUX, ButcherTableau

__all__ = ["DEFAULT_MAX_STEPS", "SOLVERS", "TABLEAUX", "Adaptive", "ButcherTableau", "Checkpoint",
           "ConstantStep", "ExplicitRK", "LayerScheme", "Monitor", "SaveAt", "Solver", "StateStep",
           "Trajectory", "field_scale", "get_solver", "solve", "time_grid"]
