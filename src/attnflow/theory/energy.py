"""The interaction energy on (S^{d-1})^N and the quantitative clustering rates [GLPR, C].

- :func:`energy_gradient`, :func:`energy_hessian`, :func:`hessian_top_eigenvalue`: the
  Riemannian calculus of E(x) = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>};
- :func:`clustering_rate_bounds`: what is explicit about the speed of clustering at small
  beta [C].

[C]    Chen, Lin, Polyanskiy, Rigollet, "Quantitative clustering in mean-field transformer
       models", arXiv 2504.14697.
[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on
       transformers", arXiv 2312.10794.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ..model import AttentionModel
from ..validation import fail
from ..validation import normalization as check_normalization
from ._args import Normalization, inverse_temperature, model_arg, sphere_points

__all__ = ["HESSIAN_MAX_SIZE", "clustering_rate_bounds", "energy_gradient", "energy_hessian",
           "hessian_top_eigenvalue"]

#: largest n * d for which the dense (n d, n d) Hessian is formed (128 MiB of float64)
HESSIAN_MAX_SIZE = 4000


def _weights(model: AttentionModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = model.A_matrix
    xa = x @ A.T                   # rows A x_i
    xat = x @ A                    # rows A^T x_i
    with np.errstate(over="ignore"):
        W = np.exp(model.beta * (xa @ x.T))      # W_ij = e^{beta <A x_i, x_j>}
    if not np.all(np.isfinite(W)):
        raise FloatingPointError(f"energy weights e^(beta <A x_i, x_j>) overflow float64 at "
                                 f"beta={model.beta:g}. Fix: lower beta or rescale A")
    return W, xa, xat


def _egrad(model: AttentionModel, x: np.ndarray, W, xa, xat) -> np.ndarray:
    n = x.shape[0]
    return (W @ xat + W.T @ xa) / (2.0 * n * n)


def energy_gradient(model: AttentionModel, x: ArrayLike) -> np.ndarray:
    """Riemannian gradient on (S^{d-1})^N of E(x) = (1/(2 beta N^2)) sum_{i,j} e^{beta <A x_i, x_j>}.

    The Euclidean gradient (both orders of each pair contribute) is

        dE/dx_i = (1/(2 N^2)) sum_j [ e^{beta <A x_i, x_j>} A^T x_j + e^{beta <A x_j, x_i>} A x_j ],

    and the Riemannian gradient is its tangent part P_{x_i} dE/dx_i. The formula is
    continuous at beta = 0, where it is the gradient of the limit form <A m, m>/2 used by
    :func:`attnflow.observables.energy`. Only A and beta of the model enter (E does not
    depend on V or on the normalization). [GLPR] (energy); gradient derived here.

    Gradient-flow identity (checked in the tests): for USA with V = A symmetric (in
    particular A = V = I), the velocity of :func:`attnflow.velocity` equals N * grad E
    exactly, since P_{x_i}(1/N) sum_j e^{beta<A x_i,x_j>} A x_j = N P_{x_i} dE/dx_i.

    Parameters
    ----------
    model : AttentionModel
    x : (n, d) array of unit vectors.

    Returns
    -------
    (n, d) float64 array (tangent: <grad_i, x_i> = 0).
    """
    model = model_arg(model)
    x = sphere_points(x, model.d)
    W, xa, xat = _weights(model, x)
    g = _egrad(model, x, W, xa, xat)
    return g - np.sum(g * x, axis=1, keepdims=True) * x


def _riemannian_hessian4(model: AttentionModel, x: np.ndarray) -> np.ndarray:
    """The Riemannian Hessian as an (n, d, n, d) array (see :func:`energy_hessian`)."""
    n, d = x.shape
    A = model.A_matrix
    beta = model.beta
    W, xa, xat = _weights(model, x)
    g = _egrad(model, x, W, xa, xat)
    # H^E_{ik} = c [w_ik A^T + w_ki A + beta w_ik (A^T x_k)(A x_i)^T + beta w_ki (A x_k)(A^T x_i)^T]
    #          + delta_ik c beta sum_j [w_ij (A^T x_j)(A^T x_j)^T + w_ji (A x_j)(A x_j)^T]
    H = np.einsum("ik,ab->iakb", W, A.T)
    H += np.einsum("ki,ab->iakb", W, A)
    if beta != 0:
        H += beta * np.einsum("ik,ka,ib->iakb", W, xat, xa)
        H += beta * np.einsum("ki,ka,ib->iakb", W, xa, xat)
    idx = np.arange(n)
    diag = beta * (np.einsum("ij,ja,jb->iab", W, xat, xat) + np.einsum("ji,ja,jb->iab", W, xa, xa))
    diag -= 2.0 * n * n * np.sum(g * x, axis=1)[:, None, None] * np.eye(d)    # curvature term
    H[idx, :, idx, :] += diag
    H *= 1.0 / (2.0 * n * n)
    P = np.eye(d)[None] - x[:, :, None] * x[:, None, :]                         # (n, d, d)
    H = np.einsum("iac,ickb->iakb", P, H)
    H = np.einsum("iakc,kcb->iakb", H, P)
    return 0.5 * (H + H.transpose(2, 3, 0, 1))


def energy_hessian(model: AttentionModel, x: ArrayLike) -> np.ndarray:
    """Riemannian Hessian of E (see :func:`energy_gradient`) at x, as an (n d, n d) matrix.

    With g_i = dE/dx_i the Euclidean gradient, H^E the Euclidean Hessian (blocks (i, k) of
    size d x d) and P = diag(P_{x_1}, ..., P_{x_n}), the Riemannian Hessian of the product of
    spheres acting on tangent vectors u (u_i perp x_i) is

        Hess E(x)[u]_i = P_{x_i} ( sum_k H^E_{ik} u_k ) - <x_i, g_i> u_i,
        H = P (H^E - diag(<x_i, g_i> I_d)) P,                       (returned)

    with, writing w_ij = e^{beta <A x_i, x_j>} and c = 1/(2 N^2),

        H^E_{ik} = c [ w_ik A^T + w_ki A + beta w_ik (A^T x_k)(A x_i)^T + beta w_ki (A x_k)(A^T x_i)^T ]
                 + delta_ik c beta sum_j [ w_ij (A^T x_j)(A^T x_j)^T + w_ji (A x_j)(A x_j)^T ].

    Along a geodesic x(s) = exp_x(s u) (per particle x_i cos(s|u_i|) + u_i/|u_i| sin(s|u_i|)),
    d^2/ds^2 E(x(s)) at s = 0 equals u^T H u (checked by central differences in the tests).
    H is symmetric and vanishes on the normal directions x_i. Derived here.

    Dense: for small configurations only (n d <= 4000, i.e. a 128 MiB matrix).

    Parameters
    ----------
    model : AttentionModel (A and beta are used).
    x : (n, d) array of unit vectors.

    Returns
    -------
    (n d, n d) float64 symmetric array; row i*d + a is coordinate a of particle i.
    """
    model = model_arg(model)
    x = sphere_points(x, model.d)
    n, d = x.shape
    _check_hessian_size(x)
    return _riemannian_hessian4(model, x).reshape(n * d, n * d)


def _check_hessian_size(x: np.ndarray) -> None:
    n, d = x.shape
    if n * d > HESSIAN_MAX_SIZE:
        raise fail("x", x, f"has n*d = {n * d} > {HESSIAN_MAX_SIZE}: the dense Hessian would need "
                   f"{(n * d) ** 2 * 8 / 2**20:.0f} MiB", "use fewer particles (this is for small n)")


def _tangent_basis(x: np.ndarray) -> np.ndarray:
    """(n, d, d - 1): for each x_i an orthonormal basis of its tangent space (columns)."""
    # complete QR of the column x_i: Q is orthogonal with first column +-x_i
    q, _ = np.linalg.qr(x[:, :, None], mode="complete")
    return q[:, :, 1:]


def hessian_top_eigenvalue(model: AttentionModel, x: ArrayLike) -> float:
    """Largest eigenvalue of the Riemannian Hessian of E restricted to the tangent space.

    Computes T^T H T with T an orthonormal basis of T_{x_1} S^{d-1} x ... x T_{x_n} S^{d-1}
    (the n normal directions, where H is 0, are excluded). At a critical point (grad E = 0),
    a value > 0 means the point is not a local maximum of E, so the ascent flow leaves it
    (the non-Dirac critical points of [C], Prop. 2.1 / docs/theory/energy-landscape.md#critical-points); a
    local maximum (e.g.
    a single cluster, E = e^beta/(2 beta)) has value <= 0. A single cluster has an exact
    zero eigenvalue from the joint rotation of all tokens.

    Parameters
    ----------
    model : AttentionModel; x : (n, d) unit vectors with n d <= 4000.

    Returns
    -------
    float (dense ``eigvalsh`` up to n (d - 1) = 600, Lanczos ``scipy.sparse.linalg.eigsh``
    above: a few seconds at n d = 4000, dominated by forming the Hessian).
    """
    model = model_arg(model)
    x = sphere_points(x, model.d)
    n, d = x.shape
    _check_hessian_size(x)
    H = _riemannian_hessian4(model, x)
    T = _tangent_basis(x)
    Ht = np.einsum("iac,iakb->ickb", T, H)
    Ht = np.einsum("ickb,kbe->icke", Ht, T).reshape(n * (d - 1), n * (d - 1))
    Ht = 0.5 * (Ht + Ht.T)
    if Ht.shape[0] <= 600:
        return float(np.linalg.eigvalsh(Ht)[-1])
    from scipy.sparse.linalg import eigsh  # imported here: slow to import

    return float(eigsh(Ht, k=1, which="LA", tol=0.0)[0][0])      # Lanczos: the dense solver is O(m^3)


# -- quantitative clustering at small beta [C] ---------------------------------------------------
def clustering_rate_bounds(beta: float, normalization: Normalization = "usa") -> dict:
    """What is explicit about the speed of clustering to a single Dirac mass.

    Keys
    ----
    proven_rate : 1/100 (USA) or None (SA). [C]'s main mean-field theorem, as restated by
        Rigollet (2512.01868) [V-src]: for d >= 2, an initial density f_0 in L^2 with
        |int x dmu_0| > 0, and |beta| < beta_0 (beta_0, C_0, T_0 depend on mu_0 and are not
        explicit), W_2(mu_t, delta_{x_inf}) <= C_0 e^{-t/100} for t >= T_0. It concerns the
        USA continuity equation; no SA statement is known to these notes.
    observed_rate : e^beta (USA) or 1 (SA): the asymptotic W_2 rate near a Dirac, from the
        linearization d theta/dt ~ -e^beta theta of the relative motion (SA divides by
        Z ~ N e^beta). docs/theory/energy-landscape.md#clustering-rates [D]; checked with particle runs in
        the tests.
    pairwise_rate : 2 * observed_rate, the rate of 1 - <x_i, x_j> (equiangular: eps' ~ -2 e^beta
        eps for USA, -2 eps for SA, docs/theory/equiangular.md#rate-near-the-cluster).
    proven_tag, observed_tag : the provenance tags of the notes ("[V-src]", "[D]").
    beta_small_required : True; the proven rate holds only for |beta| < beta_0 (unknown).
    """
    beta = inverse_temperature(beta)
    usa = check_normalization(normalization) == "usa"
    observed = math.exp(beta) if usa else 1.0
    return {
        "proven_rate": 0.01 if usa else None,
        "proven_tag": "[V-src] Rigollet 2512.01868 restating [C] arXiv 2504.14697 (USA, mean field)",
        "observed_rate": observed,
        "observed_tag": "[D] docs/theory/energy-landscape.md#clustering-rates (linearization near a Dirac)",
        "pairwise_rate": 2.0 * observed,
        "beta_small_required": True,
    }
