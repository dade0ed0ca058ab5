"""The zero-temperature projection Pi of [L] for a head whose M = V A is not symmetric.

[L] (Alcalde, Bungert, Riedl, Roith, arXiv 2605.10931) and
:func:`attnflow.theory.zero_temperature_map`: as beta -> infinity the SA field becomes the
hardmax field v(x) = P_x M x / |A x|, M = V A, a positive time change (ds/dt = 1/|A x|) of the
normalized linear flow x' = P_x M x, whose solution is x(s) = e^{s M} x_0 / |e^{s M} x_0|. The
theory module derives Pi for symmetric M (Pi(x) = P_E x / |P_E x|, E the top eigenspace) and
refuses the rest. The heads of a trained transformer are far from symmetric, so here is the same
limit for any real M whose eigenvalue of largest real part, lambda_1, is real and simple with
Re lambda_k < lambda_1 for every other eigenvalue (including the zeros of a rank-deficient M):
with right and left eigenvectors u, l (M u = lambda_1 u, l^T M = lambda_1 l^T, <l, u> > 0),

    e^{s M} x_0 = e^{lambda_1 s} (<l, x_0> / <l, u>) u + o(e^{lambda_1 s}),
    Pi(x_0) = sign(<l, x_0>) u / |u|,

two antipodal atoms, as in the symmetric case with dim E = 1 (then l = u and the two formulas
agree). When lambda_1 is a complex pair the flow rotates in the plane of Re and Im of its
eigenvector and has no limit; :attr:`HardmaxLimit.exists` is False then.

M is given as a product M = R L with R (d, k) and L (k, d) (for a head R = W_O^h, L = W_V^h A_h,
k = d_h; for dense matrices R = V, L = A): its non-zero eigenvalues are those of L R (k, k), with
right eigenvectors u = R w ((L R) w = lambda w) and left eigenvectors l = L^T z (z^T L R =
lambda z^T); when k < d, M also has the eigenvalue 0, which lambda_1 must exceed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import fail, real_array

__all__ = ["HardmaxLimit", "hardmax_limit"]


@dataclass(frozen=True)
class HardmaxLimit:
    """The long-time limit of the hardmax flow of M = R L (module docstring).

    Attributes
    ----------
    eigenvalues : the non-zero-block eigenvalues of M, by descending real part (complex).
    exists : True when lambda_1 is real, simple and above every other real part (and above 0
        when M is rank-deficient): the limit Pi exists for almost every x_0.
    gap : Re lambda_1 - max(Re lambda_2, 0 if rank-deficient); the contraction rate of the
        linear flow toward u (in the time s).
    u, l : unit right and left eigenvectors of lambda_1 with <l, u> > 0 (None if not ``exists``).
    """

    eigenvalues: np.ndarray
    exists: bool
    gap: float
    u: np.ndarray | None
    l: np.ndarray | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Pi(x) = sign(<l, x_i>) u for each row of x (n, d)."""
        if not self.exists:
            raise fail("limit", self, "does not exist: the top eigenvalue of M = V A is "
                       f"{self.eigenvalues[0]:.4g} (complex, repeated, or not above 0), so the flow rotates "
                       "or keeps a subspace", "check .exists before calling")
        s = np.sign(np.asarray(x) @ self.l)
        return s[:, None] * self.u[None, :]


def hardmax_limit(R, L, *, rtol: float = 1e-9) -> HardmaxLimit:
    """The limit of the hardmax flow of M = R L, R (d, k), L (k, d) (module docstring).

    ``rtol``: eigenvalues closer than rtol * max|lambda| count as equal (lambda_1 is then not
    simple) and imaginary parts below it as zero.
    """
    R = real_array("R", R, fix="pass a (d, k) array", ndim=2)
    L = real_array("L", L, fix="pass a (k, d) array", ndim=2)
    if L.shape != R.shape[::-1]:
        raise fail("L", L, f"has shape {L.shape}, but R has {R.shape}", f"pass L of shape {R.shape[::-1]}")
    d, k = R.shape
    vals, W = np.linalg.eig(L @ R)
    order = np.lexsort((-np.abs(vals.imag), -vals.real))
    vals, W = vals[order], W[:, order]
    scale = max(float(np.abs(vals).max()), np.finfo(float).tiny)
    top = vals[0]
    rest = [*vals[1:].real] + ([0.0] if k < d else [])
    second = max(rest) if rest else -np.inf
    gap = float(top.real - second)
    exists = bool(abs(top.imag) <= rtol * scale and gap > rtol * scale)
    if not exists:
        return HardmaxLimit(vals, False, gap, None, None)
    lam = top.real
    w = np.real(W[:, 0])
    zvals, Z = np.linalg.eig((L @ R).T)
    z = np.real(Z[:, np.argmin(np.abs(zvals - lam))])
    u, left = R @ w, L.T @ z
    u /= np.linalg.norm(u)
    left /= np.linalg.norm(left)
    if left @ u < 0:
        left = -left
    return HardmaxLimit(vals, True, gap, u, left)
