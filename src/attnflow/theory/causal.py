"""Causal attention (token i attends to j <= i): the first token, the pair ODE, Renyi centres.

Karagodin, Polyanskiy, Rigollet, "Clustering in causal attention masking", arXiv 2411.04990
[KPR]. With the causal mask, SA and V = I:

- token 1 attends only to itself, so P_{x_1} x_1 = 0: it never moves; [KPR, Theorem 4.1]:
  for V = I and any Q, K, almost every start converges to x_1(0);
- token 2 sees only tokens 1 and 2; with A = I its cosine c = <x_1, x_2> obeys (derived here)

      dc/dt = (1 - c^2) / (1 + e^{beta (1 - c)}),

  whose time from c0 to c1 is explicit (:func:`causal_pair_time`) and whose solution is
  :func:`causal_pair_cosine`; near the cluster 1 - c ~ K e^{-t} (rate 1, half the rate 2 of a
  full-attention pair, because only one token moves). Linearizing at the cluster, the tangent
  offsets u_k = x_k - x_1 obey du_k/dt = (1/k) sum_{j<k} u_j - ((k-1)/k) u_k (all weights -> 1/k),
  a triangular system with rates (k-1)/k: every token inherits token 2's slowest mode, so
  1 - <x_1, x_k> ~ K_k e^{-t} for every k >= 2 (derived here, docs/theory/causal.md).
- Renyi centres with separation delta = scale beta^{-1/2} (scale 4 in [KPR]'s figures), for a
  sequence x_1, x_2, ... on S^{d-1} with geodesic distance: token k is a *Renyi centre* if it is
  farther than delta from every earlier Renyi centre (Renyi's sequential parking), a *strong
  Renyi centre* if it is farther than delta from every earlier token. Strong centres are a subset.
  :func:`renyi_centres` detects them; :func:`renyi_centre_count` gives their expected number for
  iid uniform tokens.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import angles, check_points, fail, finite_float, integer, real_array
from ._args import dimension, inverse_temperature

__all__ = ["causal_pair_cosine", "causal_pair_time", "renyi_centre_count", "renyi_centres",
           "renyi_parking_mean"]


def _cosine(name: str, c: Any) -> float:
    c = finite_float(name, c, fix="pass a cosine in (-1, 1)")
    if not -1.0 < c < 1.0:
        raise fail(name, c, "must lie in (-1, 1) (1 is the cluster, -1 an antipodal fixed point)",
                   "pass a cosine in (-1, 1)")
    return c


# -- the first two tokens ------------------------------------------------------------------------------
def causal_pair_time(c0: float, c1: float, beta: float) -> float:
    """Time for c = <x_1, x_2> to go from c0 to c1 under causal SA with A = V = I (derived here).

    dc/dt = (1 - c^2)/(1 + e^{beta (1 - c)}) is separable; with 1/(1 - u^2) = (1/(1-u) + 1/(1+u))/2,

        t = [artanh(u) - Ei(beta (1 - u))/2 - e^{2 beta} E_1(beta (1 + u))/2]_{u = c0}^{u = c1}

    (Ei the exponential integral, E_1 = -Ei(-x)). Tokens 1 and 2 attend only to tokens 1 and 2,
    so this holds for every n. beta above ~354 overflows e^{2 beta} (FloatingPointError).

    Parameters
    ----------
    c0, c1 : floats in (-1, 1) with c0 <= c1; beta : float > 0.

    Returns
    -------
    float >= 0.
    """
    from scipy.special import exp1, expi

    beta = inverse_temperature(beta, positive=True)
    c0, c1 = _cosine("c0", c0), _cosine("c1", c1)
    if c1 < c0:
        raise fail("c1", c1, f"is below c0={c0:g}; the cosine only increases", "pass c1 >= c0")

    def F(u: float) -> float:
        return math.atanh(u) - 0.5 * float(expi(beta * (1 - u))) - 0.5 * e2b * float(exp1(beta * (1 + u)))

    e2b = math.exp(2 * beta) if beta < 354 else math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        t = F(c1) - F(c0)
    if not math.isfinite(t):
        raise FloatingPointError(f"causal_pair_time: the exponential integrals overflow at beta={beta:g}. "
                                 "Fix: lower beta or start closer to the cluster")
    return max(t, 0.0)


def causal_pair_cosine(t: ArrayLike, beta: float, c0: float) -> np.ndarray:
    """c(t) = <x_1, x_2(t)> under causal SA with A = V = I, from c(0) = c0 (derived here).

    Solves dc/dt = (1 - c^2)/(1 + e^{beta (1 - c)}) in u = ln(1 - c),
    du/dt = -(1 + c)/(1 + e^{beta (1 - c)}), with ``scipy.integrate.solve_ivp`` (DOP853,
    rtol = atol = 1e-13). x_1 does not move; the same c(t) holds for the first two tokens of any
    causal system, whatever n.

    Parameters
    ----------
    t : float or array of times >= 0 (any order); beta : float; c0 : float in (-1, 1).

    Returns
    -------
    float64 array of the shape of ``t``.
    """
    from scipy.integrate import solve_ivp

    beta = inverse_temperature(beta)
    c0 = _cosine("c0", c0)
    t_arr = real_array("t", t, fix="pass times t >= 0")
    if np.any(t_arr < 0):
        raise fail("t", t, "must be >= 0", "pass times t >= 0")
    times = np.unique(np.concatenate([[0.0], t_arr.ravel()]))
    if times[-1] == 0.0:
        return np.full(t_arr.shape, c0)

    def rhs(_t, y):
        eps = math.exp(y[0])
        with np.errstate(over="ignore"):
            return [-(2.0 - eps) / (1.0 + math.exp(beta * eps))]

    sol = solve_ivp(rhs, (0.0, times[-1]), [math.log(1.0 - c0)], method="DOP853", rtol=1e-13,
                    atol=1e-13, t_eval=times)
    if not sol.success:                                                       # pragma: no cover
        raise FloatingPointError(f"causal_pair_cosine: the ODE solver failed at beta={beta:g}: "
                                 f"{sol.message}. Fix: lower beta")
    c = 1.0 - np.exp(sol.y[0])
    return c[np.searchsorted(times, t_arr.ravel())].reshape(t_arr.shape)


# -- Renyi centres -------------------------------------------------------------------------------------
def _delta(beta: Any, scale: Any) -> float:
    beta = inverse_temperature(beta, positive=True)
    scale = finite_float("scale", scale, positive=True,
                         fix="pass the separation factor, e.g. scale=4.0 (delta = 4/sqrt(beta))")
    return scale / math.sqrt(beta)


def _distances_to(points: np.ndarray, k: int, idx: np.ndarray, circle: bool) -> np.ndarray:
    """Geodesic distances from token k to the tokens ``idx``."""
    if circle:
        return np.abs(np.remainder(points[idx] - points[k] + np.pi, 2 * np.pi) - np.pi)
    chord = np.linalg.norm(points[idx] - points[k], axis=-1)
    return 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))


def renyi_centres(theta_or_points: ArrayLike, beta: float, strong: bool = True, scale: float = 4.0
                  ) -> np.ndarray:
    """Indices of the (strong) Renyi centres of a token sequence [KPR, section 5].

    With delta = scale beta^{-1/2} and the geodesic distance of S^{d-1}, token k (in sequence
    order) is a strong Renyi centre if dist(x_k, x_j) > delta for every j < k, and a Renyi
    centre if dist(x_k, x_j) > delta for every earlier Renyi centre j (Renyi's sequential
    parking with cars of length delta). Token 0 is always a centre.

    Parameters
    ----------
    theta_or_points : angles (n,) on S^1, or unit vectors (n, d) on S^{d-1}.
    beta : float > 0; strong : bool; scale : float > 0 (4 in [KPR]'s figures).

    Returns
    -------
    int64 array of increasing token indices.
    """
    delta = _delta(beta, scale)
    raw = np.asarray(theta_or_points)
    circle = raw.ndim == 1
    pts = angles("theta_or_points", raw) if circle else \
        check_points("theta_or_points", raw, raw.shape[-1] if raw.ndim else 2)
    if pts.ndim != (1 if circle else 2):
        raise fail("theta_or_points", raw, "holds a batch", "pass one configuration; loop over a batch")
    centres: list[int] = [0]
    for k in range(1, pts.shape[0]):
        earlier = np.arange(k) if strong else np.asarray(centres)
        if np.all(_distances_to(pts, k, earlier, circle) > delta):
            centres.append(k)
    return np.asarray(centres, dtype=np.int64)


def _cap_measure(delta: float, d: int) -> float:
    """sigma(B_delta): normalized measure of a geodesic cap of radius delta on S^{d-1}."""
    from scipy.special import betainc

    if delta >= math.pi:
        return 1.0
    half = 0.5 * float(betainc((d - 1) / 2, 0.5, math.sin(delta) ** 2))
    return half if delta <= math.pi / 2 else 1.0 - half


@lru_cache(maxsize=64)
def _parking_pieces(k_max: int) -> tuple:
    """Chebyshev pieces of Renyi's M on [k, k+1], k = 1..k_max, and the integrals of M up to k."""
    from numpy.polynomial import Chebyshev

    pieces = [Chebyshev([1.0], domain=[1, 2])]            # M = 0 on [0, 1), 1 on [1, 2)
    cum = [0.0, 0.0, 1.0]                                  # int_0^k M, k = 0, 1, 2
    for k in range(2, k_max + 1):
        prev, base = pieces[-1], cum[k - 1]
        anti = prev.integ(lbnd=k - 1)

        def m_of(x, anti=anti, base=base):
            y = x - 1.0
            return 1.0 + 2.0 * (base + anti(y)) / y

        piece = Chebyshev.interpolate(m_of, 40, domain=[k, k + 1])
        pieces.append(piece)
        cum.append(cum[k] + float(piece.integ(lbnd=k)(k + 1)))
    return tuple(pieces), tuple(cum)


def renyi_parking_mean(x: float) -> float:
    """M(x): expected number of unit cars parked at jamming on a street of length x (Renyi, 1958).

    M = 0 on [0, 1) and M(x) = 1 + (2/(x - 1)) int_0^{x-1} M(y) dy for x >= 1; solved by steps
    with a degree-40 Chebyshev interpolant on each [k, k + 1] (machine precision). M(x)/x tends
    to Renyi's constant 0.7475979...; M(x) - 0.7476 (x + 1) + 1 decays faster than any power.
    """
    x = finite_float("x", x, fix="pass a street length x >= 0")
    if x < 0:
        raise fail("x", x, "must be >= 0", "pass a street length x >= 0")
    if x < 1.0:
        return 0.0
    k = math.floor(x)
    pieces, _ = _parking_pieces(max(k, 1))
    return float(pieces[k - 1](x))


def renyi_centre_count(beta: float, d: int, n: int | None = None, strong: bool = True,
                       scale: float = 4.0) -> float:
    """Expected number of (strong) Renyi centres among n iid uniform tokens on S^{d-1}.

    With delta = scale beta^{-1/2} and p = sigma(B_delta) the normalized measure of a geodesic
    cap of radius delta (p = delta/pi on S^1, sin^2(delta/2) on S^2):

    - strong centres (derived here; [KPR] Lemma C.1 gives the n -> infinity limit 1/p): token k
      is one with probability (1 - p)^{k-1}, so the mean is (1 - (1 - p)^n)/p, any d;
    - Renyi centres, d = 2 and n = None only (the jamming limit of infinitely many tokens): the
      first centre leaves an arc of length 2 pi - delta in which centres park as cars of length
      delta, so the mean is 1 + M((2 pi - delta)/delta) ~ 0.7476 * 2 pi/delta
      (:func:`renyi_parking_mean`; derived here from Renyi's parking problem).

    Parameters
    ----------
    beta : float > 0; d : int >= 2; n : int >= 1 or None (the limit n -> infinity);
    strong : bool; scale : float > 0.

    Returns
    -------
    float.
    """
    delta = _delta(beta, scale)
    d = dimension(d)
    if n is not None:
        n = integer("n", n, 1, fix="pass the number of tokens n >= 1, or None for the limit")
    if strong:
        p = _cap_measure(delta, d)
        if n is None or p == 1.0:
            return 1.0 / p
        return -math.expm1(n * math.log1p(-p)) / p
    if d != 2 or n is not None:
        raise fail("strong", strong, "the Renyi-centre count is known only on S^1 (d=2) at jamming "
                   "(n=None)", "pass strong=True, or d=2 and n=None")
    return 1.0 + renyi_parking_mean((2 * math.pi - delta) / delta) if delta < math.pi else 1.0
