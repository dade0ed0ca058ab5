"""The solver core: one time loop over small parts (diffrax-like, attnflow's own).

- fields (:mod:`attnflow.fields`): what is integrated, on which manifold;
- solvers (:mod:`.solvers`, tableaux in :mod:`.tableau`): one step of a scheme, with its order;
  stochastic schemes (:mod:`.sde`, noise from :mod:`.noise`) with their strong and weak orders;
  exponential (ETD) schemes for split fields with a stiff diagonal linear part
  (:mod:`.exponential`);
- step controllers (:mod:`.controllers`): constant, adaptive (embedded pairs) or state-based;
- :class:`SaveAt` (:mod:`.saveat`): save times, states and statistics;
- :func:`solve` (:mod:`.driver`): the loop, with stop conditions, monitors and checkpoints.

:func:`attnflow.simulate` (attention models, stores, observables) and the mean-field solvers of
:mod:`attnflow.meanfield` are built on :func:`solve`.
"""

from .controllers import DEFAULT_MAX_STEPS, Adaptive, ConstantStep, StateStep, time_grid
from .driver import Checkpoint, Monitor, Trajectory, field_scale, solve
from .exponential import ETDRK2, ETDRK4, SPLIT_SOLVERS
from .noise import BrownianIncrements
from .saveat import SaveAt
from .sde import SDE_SOLVERS, EulerMaruyama, StochasticSolver, StrangSplitting
from .solvers import SOLVERS, ExplicitRK, LayerScheme, Solver, get_solver
from .tableau import TABLEAUX, ButcherTableau

__all__ = ["DEFAULT_MAX_STEPS", "ETDRK2", "ETDRK4", "SDE_SOLVERS", "SOLVERS", "SPLIT_SOLVERS", "TABLEAUX",
           "Adaptive", "BrownianIncrements", "ButcherTableau", "Checkpoint", "ConstantStep", "EulerMaruyama",
           "ExplicitRK", "LayerScheme", "Monitor", "SaveAt", "Solver", "StateStep", "StochasticSolver",
           "StrangSplitting", "Trajectory", "field_scale", "get_solver", "solve", "time_grid"]
