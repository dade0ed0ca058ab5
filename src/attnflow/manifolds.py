"""The spaces a dynamics lives on, as seen by the solvers: a retraction and a tangent projection.

A solver never normalizes by hand: it moves a state in the ambient space and calls its field's
``manifold.retract``. Two manifolds cover attnflow's dynamics:

- :class:`Sphere`: products of unit spheres S^{d-1} on the last axis (token configurations
  (n, d) or batches (B, n, d)); the retraction is the metric projection y / |y|, which is also
  the layer normalization of a post-LN transformer layer.
- :class:`Euclidean`: a vector space (grid values of a density, spectral coefficients, polar
  angles); the retraction is the identity, after a finiteness check.

Both raise ``FloatingPointError`` when a state becomes non-finite, so a blow-up is reported at
the step where it happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sphere import retract as _sphere_retract
from .sphere import tangent_project

__all__ = ["Euclidean", "Manifold", "Sphere"]


class Manifold:
    """Interface of a manifold: ``retract`` (ambient point -> manifold) and ``project``
    (ambient vector -> tangent vector at a point). Subclasses are small and stateless."""

    name: str = "manifold"

    def retract(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def project(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Sphere(Manifold):
    """Products of unit spheres S^{d-1} (the last axis of a state has length ``d``)."""

    d: int
    name: str = "sphere"

    def retract(self, y: np.ndarray) -> np.ndarray:
        """y / |y| on the last axis (:func:`attnflow.sphere.retract`)."""
        return _sphere_retract(y)

    def project(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        """P_y v = v - <y, v> y on the last axis."""
        return tangent_project(y, v)


@dataclass(frozen=True)
class Euclidean(Manifold):
    """A flat vector space: retraction and projection are identities (finiteness checked)."""

    name: str = "euclidean"

    def retract(self, y: np.ndarray) -> np.ndarray:
        if not np.all(np.isfinite(y)):
            raise FloatingPointError("the state became NaN or infinite (the step overflowed)")
        return y

    def project(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        return v
