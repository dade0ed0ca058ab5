"""attnflow: a numerical laboratory for the mean-field theory of transformers.

Tokens are particles on the unit sphere S^{d-1}; a deep stack of attention layers is a flow
in time. See the README and docs/ for the guide, THEORY for the equations.
"""

from . import densities, io, meanfield, observables, sphere, sweep, transport
from ._version import __version__
from .backends import attention_output, velocity
from .integrate import METHODS, simulate
from .model import AttentionModel, random_matrices
from .solution import Solution

__all__ = [
    "METHODS",
    "AttentionModel",
    "Solution",
    "__version__",
    "attention_output",
    "densities",
    "io",
    "meanfield",
    "observables",
    "random_matrices",
    "simulate",
    "sphere",
    "sweep",
    "transport",
    "velocity",
]
