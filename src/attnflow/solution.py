"""The result of a run: saved times, states (or statistics), the model and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import AttentionModel

__all__ = ["Solution"]


@dataclass(eq=False)
class Solution:
    """Output of :func:`attnflow.simulate`.

    Attributes
    ----------
    t : (T,) array of saved times.
    x : (T, n, d) or (T, B, n, d) array of saved states, or None when only observables
        were saved.
    model : the AttentionModel that produced the run.
    method : integrator name ("layer", "euler", "rk4", "dopri5").
    dt : the step (the initial step for the adaptive method).
    observables : name -> array of shape (T,) or (T, B), one value per saved time.
    metadata : provenance: seed, backend, steps taken, evaluations, status, version, ...
    """

    t: np.ndarray
    x: np.ndarray | None
    model: AttentionModel
    method: str
    dt: float
    observables: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)

    @property
    def batched(self) -> bool:
        """True when the run holds a batch of B independent configurations."""
        shape = self.metadata.get("state_shape")
        if shape is not None:
            return len(shape) == 3
        return self.x is not None and self.x.ndim == 4

    def __repr__(self) -> str:
        shape = None if self.x is None else self.x.shape
        return (f"Solution(method={self.method!r}, T={self.t.size}, t=[{self.t[0]:g}, "
                f"{self.t[-1]:g}], x={shape}, observables={sorted(self.observables)}, "
                f"model={self.model!r})")
