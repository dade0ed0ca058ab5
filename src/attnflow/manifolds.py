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

For the stochastic schemes (:mod:`attnflow.solve.sde`) a manifold also gives its Brownian
motion: :meth:`Manifold.tangent_gaussian` (a centred Gaussian tangent vector whose covariance is
the metric, from standard normals of shape :meth:`Manifold.noise_shape`), :meth:`Manifold.exp`
(the exponential map) and :meth:`Manifold.heat_step` (a step of the Brownian motion with
generator Delta, of weak order 2). docs/theory/noise.md#brownian-motion-on-the-sphere derives
them.
"""

from __future__ import annotations

import math
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

    def noise_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of the standard normals that :meth:`tangent_gaussian` turns into one tangent
        vector per point of a state of ``shape``; the state's own shape by default."""
        return tuple(shape)

    def tangent_gaussian(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Gaussian tangent vectors at ``y`` with covariance the metric, from normals ``z``."""
        return self.project(y, z)

    def exp(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """The exponential map: the point reached at time 1 along the geodesic from y with speed v."""
        raise NotImplementedError

    def heat_step(self, y: np.ndarray, z: np.ndarray, tau: float) -> np.ndarray:  # pragma: no cover
        """One step of Brownian motion with generator Delta over a time ``tau``, weak order 2,
        from standard normals ``z`` (shape :meth:`noise_shape`)."""
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

    def noise_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """(..., 1) on the circle (one tangent direction), else the state's shape."""
        return (*shape[:-1], 1) if self.d == 2 else tuple(shape)

    def tangent_gaussian(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """P_y z for z ~ N(0, I_d) (covariance P_y); on S^1, z (..., 1) times the unit tangent
        (-y_2, y_1), the same law with half the normals."""
        if self.d == 2:
            return z * np.stack([-y[..., 1], y[..., 0]], axis=-1)
        return z - np.einsum("...i,...i->...", y, z)[..., None] * y

    def exp(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        """exp_y(v) = cos|v| y + sin|v| v / |v| (v tangent at y; v = 0 gives y)."""
        r = np.sqrt(np.einsum("...i,...i->...", v, v))[..., None]
        sinc = np.sinc(r / np.pi)                       # sin(r) / r, 1 at r = 0
        return np.cos(r) * y + sinc * v

    def heat_step(self, y: np.ndarray, z: np.ndarray, tau: float) -> np.ndarray:
        """exp_y(s P_y z) with s^2 = 2 tau / (1 + (d - 2) tau / 3).

        The step is invariant under the rotations fixing y, so it acts on a degree-k spherical
        harmonic by the multiplier m_k = E P_k(cos r), r = s |P_y z|; this s^2 = 2 tau (1 - (d - 2)
        tau / 3) + O(tau^3) makes m_k = e^{-k(k+d-2) tau} + O(tau^3) for every k (weak order 2; the
        factor is a curvature correction, 1 on S^1, where the step is the exact wrapped Gaussian).
        docs/theory/noise.md#brownian-motion-on-the-sphere.
        """
        s = math.sqrt(2.0 * tau / (1.0 + (self.d - 2) * tau / 3.0))
        if self.d == 2:                                  # exp along the unit tangent: a rotation by s z
            a = s * z
            return np.cos(a) * y + np.sin(a) * np.stack([-y[..., 1], y[..., 0]], axis=-1)
        return self.exp(y, s * self.tangent_gaussian(y, z))


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

    def exp(self, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        return y + v

    def heat_step(self, y: np.ndarray, z: np.ndarray, tau: float) -> np.ndarray:
        """y + sqrt(2 tau) z: the exact step of Brownian motion with generator Delta."""
        return y + math.sqrt(2.0 * tau) * z
