"""The equiangular reduction [GLPR]: n tokens with equal pairwise inner products g.

If <x_i, x_j> = g for all i != j and A = V = I, the tokens stay equiangular, under the
continuous flow (an ODE for g) and under the discrete post-LN layer map alike:

- :func:`equiangular_rhs`, :func:`equiangular_solution`, :func:`equiangular_clustering_time`:
  the ODE, its solution and the time at which 1 - g reaches a threshold;
- :func:`equiangular_layer_map`, :func:`equiangular_layer_time`: one layer
  x_i <- (x_i + h y_i)/|x_i + h y_i| as an explicit map g -> F_h(g), and the layer-scheme
  clustering time.

[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on
       transformers", arXiv 2312.10794.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import fail, finite_float, integer, real_array
from ..validation import normalization as check_normalization
from ._args import Normalization, inverse_temperature

__all__ = [
    "equiangular_clustering_time",
    "equiangular_layer_map",
    "equiangular_layer_time",
    "equiangular_rhs",
    "equiangular_solution",
    "initial_correlation",
]


def _eps_rate(eps: np.ndarray, beta: float, n: int, usa: bool) -> np.ndarray:
    """d eps/dt for eps = 1 - g, written without cancellation near g = 1."""
    core = eps * (n - (n - 1) * eps)               # (1 - g)((n - 1) g + 1)
    with np.errstate(over="ignore"):
        if usa:
            return -(2.0 / n) * np.exp(beta * (1.0 - eps)) * core
        return -2.0 * core / (np.exp(beta * eps) + (n - 1))


def _equi_args(beta: Any, n: Any, normalization: Any) -> tuple[float, int, bool]:
    beta = inverse_temperature(beta)
    n = integer("n", n, 2, fix="pass the number of tokens n >= 2")
    return beta, n, check_normalization(normalization) == "usa"


def equiangular_rhs(g: ArrayLike, beta: float, n: int, normalization: Normalization = "sa") -> np.ndarray:
    """Right-hand side of the equiangular ODE: g = <x_i, x_j> for all i != j.

    If the n tokens are equiangular, they stay so, and [GLPR] (docs/theory/equiangular.md#equiangular-ode):

        SA:  dg/dt = 2 e^{beta g} (1 - g) ((n - 1) g + 1) / (e^beta + (n - 1) e^{beta g})
                   = 2 (1 - g) ((n - 1) g + 1) / (e^{beta (1 - g)} + n - 1),
        USA: dg/dt = (2/n) e^{beta g} (1 - g) ((n - 1) g + 1)     (derived here).

    Near g = 1, eps = 1 - g decays at rate 2 (SA) and 2 e^beta (USA).

    Parameters
    ----------
    g : float or array in [-1/(n-1), 1] (not checked, the formula is evaluated as is).
    beta : float; n : int >= 2; normalization : "sa" or "usa".

    Returns
    -------
    float64 array of the shape of ``g``.
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g = np.asarray(g, dtype=np.float64)
    return -_eps_rate(1.0 - g, beta, n, usa)


def initial_correlation(g0: Any, n: int, name: str = "g0") -> float:
    """``g0`` checked as the common inner product of n equiangular unit vectors: [-1/(n-1), 1]."""
    g0 = finite_float(name, g0, fix="pass an inner product in [-1/(n-1), 1], e.g. 0.0")
    lo = -1.0 / (n - 1)
    if not lo - 1e-15 <= g0 <= 1.0:
        raise fail(name, g0, f"is outside [-1/(n-1), 1] = [{lo:.6g}, 1], where equiangular "
                   "configurations of n unit vectors exist", f"pass e.g. {name}=0.0 (orthonormal tokens)")
    return max(g0, lo)


def _threshold(threshold: Any, n: int) -> float:
    thr = finite_float("threshold", threshold, fix="pass a value in (0, 1), e.g. 1e-2", positive=True)
    if thr >= 1.0 + 1.0 / (n - 1):
        raise fail("threshold", threshold, "is so large that every equiangular state satisfies it",
                   "pass a value in (0, 1), e.g. 1e-2")
    return thr


def _solve_log_eps(beta: float, n: int, usa: bool, eps0: float, t_end: float, t_eval=None,
                   events=None):
    """Integrate u = ln(1 - g): du/dt = rate(eps)/eps, smooth and non-stiff (DOP853).

    In u the contraction near g = 1 is a bounded drift (-2 for SA, ~ -2 e^beta for USA)
    instead of a stiff linear decay, and an absolute tolerance on u is a relative one on
    eps = 1 - g.
    """
    def rhs(_t, y):
        e = math.exp(y[0])
        with np.errstate(over="ignore"):
            if usa:
                return [-(2.0 / n) * math.exp(beta * (1.0 - e)) * (n - (n - 1) * e)]
            return [-2.0 * (n - (n - 1) * e) / (math.exp(beta * e) + (n - 1))]

    from scipy.integrate import solve_ivp  # imported here: scipy.integrate is slow to import

    return solve_ivp(rhs, (0.0, t_end), [math.log(eps0)], method="DOP853", rtol=1e-13,
                     atol=1e-13, t_eval=t_eval, events=events)


def equiangular_solution(t: ArrayLike, beta: float, n: int, normalization: Normalization = "sa",
                         g0: float = 0.0) -> np.ndarray:
    """Solution g(t) of the equiangular ODE (:func:`equiangular_rhs`) from g(0) = g0.

    g0 = 0 is the start x_i = e_i in R^n of [GLPR]. Solved for eps = 1 - g (no cancellation
    near g = 1), in the variable u = ln(1 - g), where the stiff decay of 1 - g (rate 2 e^beta
    for USA) becomes a bounded drift, with ``scipy.integrate.solve_ivp`` (DOP853,
    rtol = atol = 1e-13 on u): 1 - g(t) has ~1e-11 relative accuracy. g0 = -1/(n - 1)
    (regular simplex) and g0 = 1 are fixed points.

    Parameters
    ----------
    t : float or array of times >= 0 (any order).
    beta : float; n : int >= 2; normalization : "sa" or "usa".
    g0 : float in [-1/(n - 1), 1].

    Returns
    -------
    float64 array of the shape of ``t``.
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g0 = initial_correlation(g0, n)
    t_arr = real_array("t", t, fix="pass times t >= 0")
    if np.any(t_arr < 0):
        raise fail("t", t, "must be >= 0", "pass times t >= 0")
    flat = t_arr.ravel()
    if flat.size == 0:
        return t_arr.copy()
    order = np.unique(flat)
    t_end = float(order[-1])
    if t_end == 0 or g0 == 1.0 or g0 == -1.0 / (n - 1):
        return np.full(t_arr.shape, g0)
    sol = _solve_log_eps(beta, n, usa, 1.0 - g0, t_end, t_eval=order)
    if not sol.success:                                            # pragma: no cover
        raise FloatingPointError(f"equiangular_solution: the ODE solver failed: {sol.message}")
    eps = np.exp(sol.y[0])[np.searchsorted(order, flat)]
    return (1.0 - eps).reshape(t_arr.shape)


def equiangular_clustering_time(beta: float, n: int, normalization: Normalization = "sa",
                                threshold: float = 1e-2, g0: float = 0.0) -> float:
    """First time at which equiangular tokens are threshold-close: 1 - g(t) <= threshold.

    threshold is on 1 - g = 1 - <x_i, x_j> = |x_i - x_j|^2 / 2 (default 1e-2: chord distance
    |x_i - x_j| <= 0.14, angle ~ 8 degrees), the same closeness as
    :func:`attnflow.observables.clusters` with ``tol=threshold``. The ODE of
    :func:`equiangular_rhs` is separable, so T = int_{ln thr}^{ln(1 - g0)} du / |du/dt| with
    u = ln(1 - g), computed with ``scipy.integrate.quad`` (relative tolerance 1e-12); this
    stays accurate for metastable times far beyond any time-stepping (e.g. e^60). [GLPR].
    At beta = 0 (both normalizations) the exact solution is
    (g + 1/(n-1))/(1 - g) = e^{2t} (g0 + 1/(n-1))/(1 - g0).

    Returns
    -------
    float >= 0 (0 if already 1 - g0 <= threshold).
    """
    beta, n, usa = _equi_args(beta, n, normalization)
    g0 = initial_correlation(g0, n)
    thr = _threshold(threshold, n)
    eps0 = 1.0 - g0
    if eps0 <= thr:
        return 0.0
    if g0 == -1.0 / (n - 1):
        raise fail("g0", g0, "is the regular simplex, a fixed point: the tokens never cluster",
                   "start from g0 > -1/(n-1)")

    # T = int_{ln thr}^{ln eps0} du / |du/dt|, a smooth integrand (no time stepping, so
    # metastable times like e^{60} are fine)
    def inv_speed(u: float) -> float:
        e = math.exp(u)
        if usa:
            return 1.0 / ((2.0 / n) * math.exp(beta * (1.0 - e)) * (n - (n - 1) * e))
        return (math.exp(beta * e) + (n - 1)) / (2.0 * (n - (n - 1) * e))

    from scipy.integrate import quad

    with np.errstate(over="ignore"):
        try:
            T, _ = quad(inv_speed, math.log(thr), math.log(eps0), epsabs=0.0, epsrel=1e-12, limit=500)
        except OverflowError:
            T = math.inf
    if not math.isfinite(T):
        raise FloatingPointError(f"equiangular_clustering_time: the time exceeds the float64 range at "
                                 f"beta={beta:g}. Fix: lower |beta|")
    return float(T)


# -- the discrete layer map (derived here) ------------------------------------------------------------
def _layer_args(beta: Any, n: Any, h: Any, normalization: Any) -> tuple[float, int, float, bool]:
    beta, n, usa = _equi_args(beta, n, normalization)
    h = finite_float("h", h, fix="pass the layer step, e.g. h=0.1", positive=True)
    return beta, n, h, usa


def _layer_step(g: float, beta: float, n: int, h: float, usa: bool) -> float:
    """F_h(g) of :func:`equiangular_layer_map`, arguments already checked."""
    if usa:
        ws = math.exp(beta) / n
        wo = math.exp(beta * g) / n
    else:
        r = math.exp(beta * (g - 1.0))
        ws = 1.0 / (1.0 + (n - 1) * r)
        wo = r * ws
    a, b, s = ws - wo, wo, 1.0 + (n - 1) * g
    num = g + 2 * h * (a * g + b * s) + h * h * (a * a * g + 2 * a * b * s + b * b * n * s)
    den = 1.0 + 2 * h * (a + b * s) + h * h * (a * a + 2 * a * b * s + b * b * n * s)
    return num / den


def equiangular_layer_map(g: float, beta: float, n: int, h: float, normalization: Normalization = "sa"
                          ) -> float:
    """One post-LN layer x_i <- (x_i + h y_i)/|x_i + h y_i| on an equiangular configuration.

    If <x_i, x_j> = g for all i != j (A = V = I), the output y_i = a x_i + b S with
    S = sum_k x_k, self weight w_s, other weight w_o, a = w_s - w_o, b = w_o:
    SA: w_s = 1/(1 + (n-1) e^{beta (g-1)}), w_o = e^{beta (g-1)} w_s; USA: w_s = e^beta/n,
    w_o = e^{beta g}/n. With s = <x_i, S> = 1 + (n-1) g and |S|^2 = n s,

        <x_i, y_i> = a + b s,  <x_i, y_j> = a g + b s,
        |y_i|^2 = a^2 + 2 a b s + b^2 n s,  <y_i, y_j> = a^2 g + 2 a b s + b^2 n s,

    so the configuration stays equiangular with
    g' = (g + 2h <x_i, y_j> + h^2 <y_i, y_j>) / (1 + 2h <x_i, y_i> + h^2 |y_i|^2). Derived here;
    checked against the particle layer scheme (``simulate(..., method="layer")``) in the tests
    and in the [GLPR] experiment. As h -> 0, (g' - g)/h tends to :func:`equiangular_rhs`.

    Parameters
    ----------
    g : float in [-1/(n-1), 1], the common inner product before the layer.
    beta : float; n : int >= 2; h : float > 0, the layer step; normalization : "sa" or "usa".

    Returns
    -------
    float, the common inner product after the layer.
    """
    beta, n, h, usa = _layer_args(beta, n, h, normalization)
    return _layer_step(initial_correlation(g, n, "g"), beta, n, h, usa)


def equiangular_layer_time(beta: float, n: int, h: float, normalization: Normalization = "sa",
                           threshold: float = 1e-2, g0: float = 0.0, max_steps: int = 10**7) -> float:
    """Layer-scheme clustering time: the first t with 1 - g(t) <= threshold, g_k at t = k h.

    Iterates :func:`equiangular_layer_map` from g0 and interpolates the crossing between the
    last two layers linearly in log(1 - g) (:func:`attnflow.analysis.level_crossing`), the rule
    used for particle runs. As h -> 0 it tends to :func:`equiangular_clustering_time`, with a
    first-order shift in h (measured by the [GLPR] experiment).

    Parameters
    ----------
    beta : float; n : int >= 2; h : float > 0; normalization : "sa" or "usa".
    threshold : float in (0, 1 + 1/(n-1)), on 1 - g (as :func:`equiangular_clustering_time`).
    g0 : float in [-1/(n-1), 1], the start (0: x_i = e_i).
    max_steps : int >= 1, the most layers to apply.

    Returns
    -------
    float >= 0 (0 if 1 - g0 <= threshold), or inf if the threshold is not reached within
    ``max_steps`` layers.
    """
    from ..analysis.measures import level_crossing  # analysis imports theory: imported here

    beta, n, h, usa = _layer_args(beta, n, h, normalization)
    g = initial_correlation(g0, n)
    thr = _threshold(threshold, n)
    max_steps = integer("max_steps", max_steps, 1, fix="pass a number of layers, e.g. max_steps=10**7")
    k = 0
    prev = g
    while 1.0 - g > thr:
        prev = g
        g = _layer_step(g, beta, n, h, usa)
        k += 1
        if k > max_steps:
            return math.inf
    if k == 0:
        return 0.0
    return level_crossing(np.array([h * (k - 1), h * k]), np.array([1.0 - prev, 1.0 - g]), thr, log=True)

