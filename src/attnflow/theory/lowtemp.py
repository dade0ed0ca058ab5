"""The zero-temperature (hardmax) limit beta -> infinity of SA attention [L].

- :func:`zero_temperature_map`, :class:`ZeroTemperatureMap`: the projection
  Pi(x) = P_E x / |P_E x| onto the top eigenspace E of M = V A, and the hardmax field;
- :func:`push_forward`: the atoms of Pi # mu;
- :func:`zero_temperature_rate`: the rate of x(t) -> Pi(x(0));
- :func:`wasserstein_bound`, :func:`optimal_time`: the shape of [L]'s bound and its minimizer.

[L] Alcalde, Bungert, Riedl, Roith, "Quantifying concentration phenomena of mean-field
    transformers in the low-temperature regime", arXiv 2605.10931.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..validation import choice, fail, finite_float, real_array

__all__ = ["ZeroTemperatureMap", "optimal_time", "push_forward", "wasserstein_bound",
           "zero_temperature_map", "zero_temperature_rate"]


def _matrix(name: str, value: Any, d: int | None = None) -> np.ndarray:
    arr = real_array(name, value, fix="pass a square real (d, d) matrix with d >= 2", ndim=2)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
        raise fail(name, arr, f"has shape {arr.shape}", "pass a square (d, d) matrix with d >= 2")
    if d is not None and arr.shape[0] != d:
        raise fail(name, arr, f"has size {arr.shape[0]} but the other matrix has {d}",
                   "pass matrices of the same size")
    return arr

@dataclass(frozen=True, eq=False)
class ZeroTemperatureMap:
    """The projection Pi(x) = P_E x / |P_E x| of the zero-temperature limit [L].

    Built by :func:`zero_temperature_map`. Calling the object applies Pi to points.

    Attributes
    ----------
    A, V : (d, d) the logit matrix (score beta <A x, y>) and the value matrix.
    M : (d, d) symmetric, M = V A (attnflow convention; = V B^T in the notes' convention
        with B = Q^T K and logit beta <B^T x, y>).
    eigenvalues : (d,) eigenvalues of M, decreasing.
    basis : (d, m) orthonormal basis of the top eigenspace E (m = its dimension).
    gap : lambda_1 - lambda_{m+1} (0.0 when E is the whole space).
    """

    A: np.ndarray
    V: np.ndarray
    M: np.ndarray
    eigenvalues: np.ndarray
    basis: np.ndarray
    gap: float

    @property
    def projector(self) -> np.ndarray:
        """P_E = basis basis^T, the orthogonal projector onto E."""
        return self.basis @ self.basis.T

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """Pi(x) = P_E x/|P_E x| for points x of shape (d,) or (n, d).

        Raises ValueError for points in E^perp (|P_E x| <= 1e-12 |x|), where Pi is undefined
        (a null set for measures with a density).
        """
        d = self.M.shape[0]
        fix = f"pass finite points of shape ({d},) or (n, {d})"
        arr = real_array("x", x, fix=fix, ndim=(1, 2))
        if arr.shape[-1] != d:
            raise fail("x", arr, f"has shape {arr.shape}", fix)
        p = arr @ self.projector
        norm = np.linalg.norm(p, axis=-1, keepdims=True)
        bad = norm[..., 0] <= 1e-12 * np.linalg.norm(arr, axis=-1)
        if np.any(bad):
            i = int(np.argmax(np.atleast_1d(bad)))
            raise fail("x", arr, f"has point {i} in E^perp (orthogonal to the top eigenspace of "
                       "M = V A), where Pi is undefined", "perturb the point")
        return p / norm

    def velocity(self, x: ArrayLike) -> np.ndarray:
        """Hardmax field v_inf(x) = P_x V A x / |A x| (beta -> infinity limit of the SA field).

        x : (d,) or (n, d) unit vectors with A x != 0.
        """
        arr = np.asarray(x, dtype=np.float64)
        ax = arr @ self.A.T
        nrm = np.linalg.norm(ax, axis=-1, keepdims=True)
        if np.any(nrm == 0):
            raise fail("x", arr, "has a point with A x = 0, where the hardmax target is undefined",
                       "use points outside the kernel of A")
        y = (ax / nrm) @ self.V.T
        return y - np.sum(arr * y, axis=-1, keepdims=True) * arr


def zero_temperature_map(A: ArrayLike, V: ArrayLike, *, rtol: float = 1e-10) -> ZeroTemperatureMap:
    """The zero-temperature projection Pi of [L] for attention matrices (A, V).

    Derivation (docs/theory/low-temperature.md#hardmax-limit [D], translated to attnflow's convention): the
    SA output
    of token x is the softmax mean of V y with weights e^{beta <A x, y>}. For a measure with
    full support, as beta -> infinity the Laplace principle gives
    y*(x) = argmax_{|y|=1} <A x, y> = A x/|A x|, so the hardmax field is

        v_inf(x) = P_x V A x / |A x|,

    a positive time change (ds/dt = 1/|A x|) of the normalized linear flow of M = V A. The
    notes write the logit as beta <B^T x, y> with B = Q^T K, i.e. B^T = A, and their M = V B^T
    is the same matrix. (attnflow's A is the matrix that multiplies x_i in the logit, A = K^T Q
    for <Q x_i, K x_j>; see :mod:`attnflow.model`.) For symmetric M with top eigenspace E
    (eigenvalue lambda_1 > lambda_2), the E-component keeps its direction and the rest decays,
    so x(t) -> Pi(x(0)) = P_E x(0)/|P_E x(0)|, and the limit measure is Pi # rho_0.

    Decision: M must be symmetric, ||M - M^T|| <= 1e-10 ||M|| (Frobenius). For
    non-symmetric M the relevant projection is the oblique spectral projector, and a complex
    top eigenvalue gives rotation with no limit; the [L] theorems assume V B^T symmetric
    (secondary digests [U]). We raise rather than silently symmetrize, since the symmetric
    part of M generates a different flow.

    Parameters
    ----------
    A, V : (d, d) real matrices (A = the logit matrix, ``AttentionModel.A_matrix``).
    rtol : eigenvalues within rtol * max|lambda| of lambda_1 are counted in E.

    Returns
    -------
    ZeroTemperatureMap
    """
    A = _matrix("A", A)
    V = _matrix("V", V, A.shape[0])
    rtol = finite_float("rtol", rtol, fix="pass a small positive tolerance, e.g. 1e-10", positive=True)
    M = V @ A
    scale = float(np.linalg.norm(M))
    if scale == 0:
        raise fail("V", V, "gives M = V A = 0: the hardmax field vanishes", "pass non-zero matrices")
    if np.linalg.norm(M - M.T) > 1e-10 * scale:
        raise fail("A", A, f"and V give a non-symmetric M = V A (||M - M^T|| / ||M|| = "
                   f"{np.linalg.norm(M - M.T) / scale:.3g}); the projection Pi = P_E x/|P_E x| "
                   "onto the top eigenspace is only derived for symmetric M",
                   "use V = A symmetric, commuting symmetric A and V, or V = S A^-1 with S symmetric")
    Ms = 0.5 * (M + M.T)
    vals, vecs = np.linalg.eigh(Ms)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    top = vals >= vals[0] - rtol * max(abs(vals[0]), abs(vals[-1]))
    m = int(top.sum())
    gap = float(vals[0] - vals[m]) if m < vals.size else 0.0
    basis = vecs[:, :m].copy()
    for arr in (A, V, Ms, vals, basis):
        arr.setflags(write=False)
    return ZeroTemperatureMap(A=A, V=V, M=Ms, eigenvalues=vals, basis=basis, gap=gap)


def push_forward(x: ArrayLike, Pi: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Atoms of the push-forward Pi # mu of the empirical measure mu = (1/n) sum delta_{x_i}.

    Returns Pi(x_i) for each row (equal weights 1/n): the predicted concentrated state of
    [L] when Pi is a :class:`ZeroTemperatureMap`. For a one-dimensional top eigenspace
    E = span(e) the atoms are +-e, and Pi # rho_0 = p delta_e + (1 - p) delta_{-e},
    p = rho_0{<x, e> > 0}.

    Parameters
    ----------
    x : (n, d) array of points.
    Pi : callable mapping (n, d) -> (n, d) (e.g. the result of :func:`zero_temperature_map`).

    Returns
    -------
    (n, d) float64 array.
    """
    if not callable(Pi):
        raise fail("Pi", Pi, "is not callable", "pass zero_temperature_map(A, V) or a function of x")
    arr = real_array("x", x, fix="pass an (n, d) array of points", ndim=2)
    if arr.shape[0] == 0:
        raise fail("x", arr, f"has shape {arr.shape}", "pass an (n, d) array of points")
    out = np.asarray(Pi(arr), dtype=np.float64)
    if out.shape != arr.shape:
        raise fail("Pi", Pi, f"returned shape {out.shape} for input {arr.shape}",
                   "pass a map from (n, d) to (n, d)")
    return out


def zero_temperature_rate(A: ArrayLike, V: ArrayLike, *, kind: Literal["local", "global"] = "local") -> float:
    """Exponential rate c of convergence x(t) -> Pi(x(0)) under the hardmax field [L].

    From tan angle(x(t), E) <= tan angle(x(0), E) exp(-(lambda_1 - lambda_2) int_0^t dt'/|A x|)
    (docs/theory/low-temperature.md#convergence-rate [D]; attnflow's A is the notes' B^T):

    - ``"local"``: the rate near E, c = (lambda_1 - lambda_2) / max_{e in E, |e|=1} |A e|
      (= (lambda_1 - lambda_2)/|A e| when E = span(e)); e.g. A = diag(1, 4, 1),
      V = diag(2, 1, 0.5): (4 - 2)/4 = 0.5, matching the run of docs/theory/low-temperature.md#worked-example.
    - ``"global"``: the uniform lower bound c >= (lambda_1 - lambda_2)/||A||_2.

    Raises ValueError if M = V A has no spectral gap (E is the whole space).
    """
    Pi = zero_temperature_map(A, V)
    kind = choice("kind", kind, ("local", "global"))
    if Pi.gap <= 0:
        raise fail("V", V, "gives M = V A with a single eigenvalue (no spectral gap), so nothing "
                   "contracts", "pass matrices with lambda_1(VA) > lambda_2(VA)")
    if kind == "global":
        return Pi.gap / float(np.linalg.norm(Pi.A, 2))
    return Pi.gap / float(np.linalg.norm(Pi.A @ Pi.basis, 2))


def _laplace_term(beta: Any, prefactor: Any) -> Any:
    fix = "pass beta > 0, e.g. beta=50"
    b = real_array("beta", beta, fix=fix)
    if np.any(b <= 0):
        raise fail("beta", beta, "must be > 0 (the low-temperature bound of [L])", fix)
    p = finite_float("prefactor", prefactor, fix="pass a positive constant, e.g. 1.0", positive=True)
    return p * np.sqrt(np.log1p(b) / b)


def _rate(name: str, value: Any) -> float:
    return finite_float(name, value, fix=f"pass a positive rate, e.g. {name}=1.0", positive=True)


def wasserstein_bound(beta: ArrayLike, t: ArrayLike, C: float, c: float,
                      prefactor: float = 1.0) -> float | np.ndarray:
    """The shape of [L]'s bound W(rho^beta_t, Pi # rho_0) <~ sqrt(log(beta+1)/beta) e^{C t} + e^{-c t}.

        bound = prefactor * sqrt(log(beta + 1)/beta) * e^{C t} + e^{-c t}.

    [L] (abstract, [V-src]); the constants C (a Lipschitz constant of the hardmax field,
    heuristically ~ ||V|| (1 + 2 kappa(A))) and c (:func:`zero_temperature_rate`) are not
    the paper's ([U]/[D]); ``prefactor`` is the unknown constant of the Laplace-principle
    term. Broadcasts over ``beta`` and ``t``.

    Returns
    -------
    float or float64 array (broadcast shape of beta and t).
    """
    a = _laplace_term(beta, prefactor)
    C = _rate("C", C)
    c = _rate("c", c)
    t_arr = real_array("t", t, fix="pass times t >= 0")
    if np.any(t_arr < 0):
        raise fail("t", t, "must be >= 0", "pass times t >= 0")
    out = a * np.exp(C * t_arr) + np.exp(-c * t_arr)
    return float(out) if out.ndim == 0 else out


def optimal_time(beta: ArrayLike, C: float, c: float, prefactor: float = 1.0) -> float | np.ndarray:
    """Time minimizing :func:`wasserstein_bound`: t* = max(0, ln(c/(a C))/(C + c)).

    a = prefactor sqrt(log(beta+1)/beta); setting a C e^{C t} = c e^{-c t}. To leading order
    t* ~ ln(beta/log beta)/(2 (C + c)) and the bound there ~ (log beta/beta)^{c/(2(C+c))}
    (docs/theory/low-temperature.md#the-finite-beta-bound [D]): concentration lasts up to times of order
    log beta.

    Returns
    -------
    float or float64 array (shape of beta).
    """
    a = _laplace_term(beta, prefactor)
    C = _rate("C", C)
    c = _rate("c", c)
    out = np.maximum(0.0, np.log(c / (a * C)) / (C + c))
    return float(out) if np.ndim(out) == 0 else out
