"""The result of a zonal mean-field run (:class:`ZonalSolution`, written by
:meth:`attnflow.meanfield.zonal.ZonalSolver.solve`): densities at the Gauss-Jacobi nodes, their
Gegenbauer coefficients, and what follows from them (mass, energy, values at any angle, storage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..theory.kernels import harmonic_norms, zonal_harmonics
from ..theory.kernels import kernel_coefficients as funk_hecke_eigenvalues
from ..validation import fail

__all__ = ["ZonalSolution"]


@dataclass(eq=False)
class ZonalSolution:
    """Output of :meth:`ZonalSolver.solve`.

    Attributes
    ----------
    t : (T,) saved times.
    phi : (M,) polar angles of the Gauss-Jacobi nodes, increasing in (0, pi).
    f : (T, M) density values at the nodes, relative to the normalized uniform measure sigma.
    coefficients : (T, K + 1) coefficients f_k in f = sum_k f_k P_k(cos phi).
    weights : (M,) quadrature weights: int g dsigma = sum_j weights_j g(phi_j) (exact for
        polynomials in cos phi of degree <= 2M - 1).
    status : "complete", or "under-resolved" / "lost positivity" when the run stopped early.
    message : why the run stopped ("" when complete).
    attrs : beta, d, M, K, normalization, steps taken, t_end, ...
    """

    t: np.ndarray
    phi: np.ndarray
    f: np.ndarray
    coefficients: np.ndarray
    weights: np.ndarray
    status: str = "complete"
    message: str = ""
    attrs: dict = field(default_factory=dict)

    @property
    def d(self) -> int:
        return int(self.attrs["d"])

    @property
    def beta(self) -> float:
        return float(self.attrs["beta"])

    def mass(self) -> np.ndarray:
        """int f dsigma at each saved time, (T,)."""
        return self.f @ self.weights

    def energy(self) -> np.ndarray:
        """E = (1/(2 beta)) int int e^{beta <x,y>} dmu dmu = (1/(2 beta)) sum lambda_k f_k^2 h_k, (T,)."""
        if self.beta == 0:
            raise fail("beta", 0.0, "makes the energy (1/(2 beta)) int int e^{beta<x,y>} infinite",
                       "use a non-zero beta")
        K = self.coefficients.shape[1] - 1
        lam = funk_hecke_eigenvalues(self.beta, self.d, K)
        h = harmonic_norms(K, self.d)
        return (self.coefficients**2 @ (lam * h)) / (2 * self.beta)

    def evaluate(self, phi) -> np.ndarray:
        """The density at arbitrary polar angles ``phi`` (n,), from the coefficients: (T, n)."""
        phi = np.asarray(phi, dtype=np.float64)
        if phi.ndim != 1 or not np.all(np.isfinite(phi)):
            raise fail("phi", phi, "must be a finite 1-D array of angles", "pass polar angles in [0, pi]")
        P = zonal_harmonics(np.cos(phi), self.coefficients.shape[1] - 1, self.d)
        return self.coefficients @ P.T

    def to_dataset(self):
        """xarray Dataset: ``f`` (time, phi), ``coefficients`` (time, degree), ``weight`` (phi)."""
        import xarray as xr

        attrs = {k: v for k, v in self.attrs.items() if v is not None}
        attrs["status"] = self.status
        attrs["message"] = self.message
        attrs["density"] = "f relative to the normalized uniform measure sigma on S^{d-1}"
        K = self.coefficients.shape[1] - 1
        return xr.Dataset(
            {"f": (("time", "phi"), self.f),
             "coefficients": (("time", "degree"), self.coefficients),
             "weight": (("phi",), self.weights)},
            coords={"time": self.t, "phi": self.phi, "degree": np.arange(K + 1),
                    "cos_phi": (("phi",), np.cos(self.phi))},
            attrs=attrs)

    def save(self, path: str | Path) -> Path:
        """Write to Zarr (a directory), or NetCDF when ``path`` ends in ``.nc``."""
        from ..io import save_dataset

        return save_dataset(self.to_dataset(), path)

    def __repr__(self) -> str:
        span = f"[{self.t[0]:g}, {self.t[-1]:g}]" if self.t.size else "[]"
        return (f"ZonalSolution(d={self.attrs.get('d')}, beta={self.attrs.get('beta')}, "
                f"M={self.phi.size}, T={self.t.size}, t={span}, status={self.status!r})")
