"""Normalization schemes in the equiangular model: the (rho, r) ODEs and their long-time laws.

Tokens x_i = r_i theta_i in R^d; the attention vector A_i is computed from the directions,

    A_i = sum_j w_ij theta_j,  w_ij = e^{beta <theta_i, theta_j>} / Z_i (SA) or / n (USA),

and each normalization scheme moves the directions by dtheta_i/dt = P_{theta_i} A_i / s_i with
a speed factor s_i and a radial equation (survey arXiv 2512.01868, section "The impact of
normalization"; Karagodin, Ge, Polyanskiy, Rigollet, "Normalization in attention dynamics",
arXiv 2510.22026). The schemes, as attnflow implements them:

    post  r = 1,  dtheta/dt = P A                              (s = 1; the SA/USA flow)
    pre   dx/dt = A:        dr/dt = <theta, A>,                s = r
    peri  dx/dt = A/|A|:    dr/dt = <theta, A>/|A|,            s = r |A|
    ngpt  r = 1,  dtheta/dt = alpha P (A/|A|)                  (s = |A|/alpha)
    mix   post for t < t_switch, then pre (from r = 1)
    sqrt  dx/dt = A/sqrt(1 + t): dr/dt = <theta, A>/sqrt(1+t), s = r sqrt(1 + t)

(sqrt: residual branch scaled by the inverse square root of depth, layer index <-> 1 + t.)

Equiangular start, A = V = I (derived here, docs/theory/normalization.md): if
<theta_i, theta_j> = rho (i != j) and r_i = r, this stays so; with p the weight of a token on
itself and q on each other token (p/q = e^{beta (1 - rho)}),

    drho/dt = (2 q / s) (1 - rho)(1 + (n - 1) rho),
    <theta, A> = p + q (n - 1) rho,  |A|^2 = p^2 + 2 p q (n-1) rho + q^2 (n-1)(1 + (n-2) rho).

- :func:`equiangular_scheme_rhs`, :func:`equiangular_scheme_solution`: the ODE and its solution;
- :func:`equiangular_asymptotics`: the law of 1 - rho(t) as t -> infinity (exponential for
  post and ngpt, t^-2 for pre, peri and mix, t^-1 for sqrt) with its constant, as an
  :class:`EquiangularLaw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..validation import choice, fail, finite_float, integer, real_array
from ..validation import normalization as check_normalization
from ._args import Normalization, inverse_temperature
from .equiangular import initial_correlation

__all__ = ["SCHEMES", "EquiangularLaw", "SchemeSolution", "equiangular_asymptotics",
           "equiangular_scheme_rhs", "equiangular_scheme_solution"]

Scheme = Literal["post", "pre", "peri", "ngpt", "mix", "sqrt"]
SCHEMES: tuple[str, ...] = ("post", "pre", "peri", "ngpt", "mix", "sqrt")
_ON_SPHERE = ("post", "ngpt", "mix")          # schemes that keep r = 1


@dataclass(frozen=True)
class SchemeSolution:
    """Output of :func:`equiangular_scheme_solution`, arrays of the shape of t.

    rho : the common cosine of the directions; one_minus_rho : 1 - rho to full relative
    accuracy (rho itself cannot hold 1 - rho below ~1e-16); r : the common norm of the tokens.
    """

    rho: np.ndarray
    one_minus_rho: np.ndarray
    r: np.ndarray


@dataclass(frozen=True)
class EquiangularLaw:
    """Long-time law of an equiangular scheme: 1 - rho(t) ~ K e^{-lambda t} or K t^{-p}.

    Attributes
    ----------
    scheme : the scheme's name.
    kind : "exponential" (1 - rho ~ K e^{-exponent t}) or "power" (1 - rho ~ K t^{-exponent}).
    exponent : the rate lambda or the power p.
    log_constant : ln K (K itself may exceed the float64 range at large beta).
    radius_exponent, radius_constant : r(t) ~ radius_constant t^{radius_exponent}
        (0 and 1 for the schemes that keep r = 1).
    """

    scheme: str
    kind: str
    exponent: float
    log_constant: float
    radius_exponent: float
    radius_constant: float

    @property
    def constant(self) -> float:
        """K = exp(log_constant); FloatingPointError if it exceeds the float64 range."""
        if self.log_constant > 709.0:
            raise FloatingPointError(f"EquiangularLaw.constant: K = e^{self.log_constant:.6g} exceeds the "
                                     "float64 range. Fix: use log_constant")
        return math.exp(self.log_constant)

    def one_minus_rho(self, t: ArrayLike) -> np.ndarray:
        """The law K e^{-lambda t} or K t^{-p} at times t > 0 (evaluated in logs)."""
        t = np.asarray(t, dtype=np.float64)
        if self.kind == "exponential":
            return np.exp(self.log_constant - self.exponent * t)
        return np.exp(self.log_constant - self.exponent * np.log(t))


# -- the attention vector of an equiangular configuration -----------------------------------------
def _args(beta: Any, n: Any, scheme: Any, normalization: Any, alpha: Any
          ) -> tuple[float, int, str, bool, float]:
    beta = inverse_temperature(beta)
    n = integer("n", n, 2, fix="pass the number of tokens n >= 2")
    scheme = choice("scheme", scheme, SCHEMES)
    usa = check_normalization(normalization) == "usa"
    alpha = finite_float("alpha", alpha, fix="pass the nGPT step factor alpha > 0, e.g. alpha=1.0",
                         positive=True)
    return beta, n, scheme, usa, alpha


def _t_switch(t_switch: Any, scheme: str) -> float:
    if scheme != "mix":
        return math.inf
    if t_switch is None:
        raise fail("t_switch", t_switch, 'is required by scheme="mix" (post-LN before it, pre-LN after)',
                   "pass the switch time, e.g. t_switch=2.5")
    ts = finite_float("t_switch", t_switch, fix="pass a switch time >= 0, e.g. t_switch=2.5")
    if ts < 0:
        raise fail("t_switch", t_switch, "must be >= 0", "pass a switch time >= 0, e.g. t_switch=2.5")
    return ts


def _overflow(beta: float) -> FloatingPointError:
    return FloatingPointError(f"the USA attention weights e^beta overflow float64 at beta={beta:g}. "
                              "Fix: use normalization='sa' or a smaller beta")


def _weights(eps: np.ndarray, beta: float, n: int, usa: bool) -> tuple[np.ndarray, np.ndarray]:
    """(p, q): the weight p of a token on itself and q on each other token (p/q = e^{beta eps})."""
    rho = 1.0 - eps
    with np.errstate(over="ignore"):
        if usa:
            p, q = np.exp(beta) / n + 0.0 * eps, np.exp(beta * rho) / n
        else:                                   # log-sum-exp: p, q <= 1, no overflow
            lz = np.logaddexp(beta, math.log(n - 1) + beta * rho)
            p, q = np.exp(beta - lz), np.exp(beta * rho - lz)
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
        raise _overflow(beta)
    return p, q


def _radial_and_norm(eps: np.ndarray, n: int, p, q):
    """(<theta_i, A_i>, |A_i|) for A_i = p theta_i + q sum_{j != i} theta_j (equiangular tokens)."""
    rho = 1.0 - eps
    radial = p + q * (n - 1) * rho
    norm = np.sqrt(p * p + 2 * p * q * (n - 1) * rho + q * q * (n - 1) * (1 + (n - 2) * rho))
    return radial, norm


def _speed_and_growth(scheme: str, t: float, r, radial, norm, alpha: float, t_switch: float):
    """(s, dr/dt) of a scheme."""
    if scheme == "mix":
        scheme = "post" if t < t_switch else "pre"
    if scheme == "post":
        return 1.0, 0.0 * radial
    if scheme == "pre":
        return r, radial
    if scheme == "peri":
        return r * norm, radial / norm
    if scheme == "ngpt":
        return norm / alpha, 0.0 * radial
    root = math.sqrt(1.0 + t)                       # sqrt
    return r * root, radial / root


def equiangular_scheme_rhs(rho: ArrayLike, r: ArrayLike, t: float, beta: float, n: int, scheme: Scheme,
                           normalization: Normalization = "sa", *, t_switch: float | None = None,
                           alpha: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(drho/dt, dr/dt) of the equiangular reduction of a normalization scheme (A = V = I).

    With q the weight on each other token (SA: e^{beta rho}/(e^beta + (n-1) e^{beta rho}); USA:
    e^{beta rho}/n) and the speed factor s and radial rate of ``scheme`` (module docstring),

        drho/dt = (2 q / s)(1 - rho)(1 + (n - 1) rho),

    e.g. pre-LN, SA: drho/dt = (2/r) e^{beta rho}(1-rho)(1+(n-1)rho)/Z,
    dr/dt = (e^beta + (n-1) rho e^{beta rho})/Z, Z = e^beta + (n-1) e^{beta rho}. Derived here
    (docs/theory/normalization.md#the-equiangular-reduction); post-LN is
    :func:`attnflow.theory.equiangular_rhs`.

    Parameters
    ----------
    rho : float or array in [-1/(n-1), 1]; r : float or array > 0 (broadcast with rho).
    t : float, the time (used by "sqrt" and "mix").
    beta : float; n : int >= 2; scheme : one of :data:`SCHEMES`; normalization : "sa" or "usa".
    t_switch : float >= 0, required by "mix"; alpha : float > 0, the nGPT factor.

    Returns
    -------
    (drho/dt, dr/dt), float64 arrays of the broadcast shape.
    """
    beta, n, scheme, usa, alpha = _args(beta, n, scheme, normalization, alpha)
    ts = _t_switch(t_switch, scheme)
    t = finite_float("t", t, fix="pass a time t >= 0")
    rho = real_array("rho", rho, fix="pass cosines in [-1/(n-1), 1]")
    r = real_array("r", r, fix="pass norms r > 0")
    if np.any(r <= 0):
        raise fail("r", r, "must be > 0", "pass the common token norm r > 0")
    rho, r = np.broadcast_arrays(rho, r)
    eps = 1.0 - rho
    p, q = _weights(eps, beta, n, usa)
    radial, norm = _radial_and_norm(eps, n, p, q)
    s, growth = _speed_and_growth(scheme, t, r, radial, norm, alpha, ts)
    return 2.0 * q / s * eps * (1.0 + (n - 1) * rho), np.asarray(growth, dtype=np.float64)


def _r0(r0: Any, scheme: str) -> float:
    r0 = finite_float("r0", r0, fix="pass the initial token norm r0 > 0, e.g. r0=1.0", positive=True)
    if scheme in _ON_SPHERE and r0 != 1.0:
        raise fail("r0", r0, f'scheme="{scheme}" keeps the tokens on the unit sphere (r = 1)',
                   "pass r0=1.0, or use a scheme with a radius (pre, peri, sqrt)")
    return r0


def _rho0(rho0: Any, n: int) -> float:
    rho0 = initial_correlation(rho0, n, "rho0")
    if rho0 == 1.0:
        raise fail("rho0", rho0, "is the single cluster (1 - rho = 0 forever)", "pass rho0 < 1")
    return rho0


def _integrate(beta, n, usa, scheme, alpha, ts, eps0, r0, times):
    """Integrate (u, v) = (ln(1 - rho), ln r) with DOP853; (eps, r) at ``times`` (sorted, from 0).

    "mix" is integrated phase by phase (the field jumps at t_switch, which ``times`` contains);
    the post-LN phase keeps r = 1, so the pre-LN phase starts from r = 1.
    """
    from scipy.integrate import solve_ivp  # imported here: scipy.integrate is slow to import

    def rhs(t, y, phase):
        eps, r = np.exp(y[0]), math.exp(y[1])
        p, q = _weights(eps, beta, n, usa)
        radial, norm = _radial_and_norm(eps, n, p, q)
        s, growth = _speed_and_growth(phase, t, r, radial, norm, alpha, ts)
        return [float(-2.0 * q / s * (n - (n - 1) * eps)), float(growth) / r]

    t_end = float(times[-1])
    phases = [(scheme, t_end)]
    if scheme == "mix":          # each phase with its own field: no stage may see the other side
        phases = [("post", min(ts, t_end)), ("pre", t_end)] if ts > 0 else [("pre", t_end)]
    out = np.empty((2, times.size))
    y, t0 = [math.log(eps0), math.log(r0)], 0.0
    for phase, t1 in phases:
        if t1 <= t0:
            continue
        sel = (times >= t0) & (times <= t1)
        sol = solve_ivp(rhs, (t0, t1), y, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=times[sel],
                        args=(phase,))
        if not sol.success:                                                   # pragma: no cover
            raise FloatingPointError(f"equiangular_scheme_solution: the ODE solver failed at beta={beta:g}: "
                                     f"{sol.message}. Fix: lower |beta|")
        out[:, sel] = sol.y
        y, t0 = sol.y[:, -1], t1
    return np.exp(out[0]), np.exp(out[1])


def equiangular_scheme_solution(t: ArrayLike, beta: float, n: int, scheme: Scheme,
                                normalization: Normalization = "sa", rho0: float = 0.0, r0: float = 1.0,
                                t_switch: float | None = None, alpha: float = 1.0) -> SchemeSolution:
    """Solution (rho(t), r(t)) of :func:`equiangular_scheme_rhs` from (rho0, r0).

    rho0 = 0, r0 = 1 is the start x_i = e_i (n <= d). Solved in u = ln(1 - rho), v = ln r with
    ``scipy.integrate.solve_ivp`` (DOP853, rtol = atol = 1e-13): ``one_minus_rho`` and ``r`` have
    ~1e-11 relative accuracy (``rho`` an absolute error ~1e-16). "mix" is integrated as two phases (post-LN on
    [0, t_switch], pre-LN after), r = 1 at the switch.

    Parameters
    ----------
    t : float or array of times >= 0 (any order).
    beta : float; n : int >= 2; scheme : one of :data:`SCHEMES`; normalization : "sa" or "usa".
    rho0 : float in [-1/(n-1), 1); r0 : float > 0 (must be 1 for post, ngpt and mix).
    t_switch : float >= 0, required by "mix"; alpha : float > 0, the nGPT factor.

    Returns
    -------
    :class:`SchemeSolution` (rho, one_minus_rho, r), float64 arrays of the shape of ``t``.
    """
    beta, n, scheme, usa, alpha = _args(beta, n, scheme, normalization, alpha)
    ts = _t_switch(t_switch, scheme)
    rho0, r0 = _rho0(rho0, n), _r0(r0, scheme)
    t_arr = real_array("t", t, fix="pass times t >= 0")
    if np.any(t_arr < 0):
        raise fail("t", t, "must be >= 0", "pass times t >= 0")
    flat = t_arr.ravel()
    if flat.size == 0:
        return SchemeSolution(t_arr.copy(), t_arr.copy(), t_arr.copy())
    times = np.unique(np.concatenate([[0.0], flat] + ([[ts]] if 0 < ts < flat.max() else [])))
    if times[-1] == 0.0:
        return SchemeSolution(np.full(t_arr.shape, rho0), np.full(t_arr.shape, 1.0 - rho0),
                              np.full(t_arr.shape, r0))
    eps, r = _integrate(beta, n, usa, scheme, alpha, ts, 1.0 - rho0, r0, times)
    idx = np.searchsorted(times, flat)
    eps = eps[idx].reshape(t_arr.shape)
    return SchemeSolution(1.0 - eps, eps, r[idx].reshape(t_arr.shape))


# -- long-time laws (derived here, docs/theory/normalization.md#long-time-laws) --------------------
def _exprel(x: float) -> float:
    """(e^x - 1)/x, 1 at x = 0."""
    from scipy.special import exprel

    return float(exprel(x))


def _log_integral(integrand, eps0: float, beta: float) -> float:
    """int_0^eps0 integrand(eps) d eps, FloatingPointError (naming beta) if it is not finite."""
    from scipy.integrate import quad

    with np.errstate(over="ignore"):
        try:
            val, _ = quad(integrand, 0.0, eps0, epsabs=1e-14, epsrel=1e-12, limit=500)
        except OverflowError:
            val = math.inf
    if not math.isfinite(val):
        raise FloatingPointError(f"equiangular_asymptotics: the constant exceeds the float64 range at "
                                 f"beta={beta:g} (1 - rho stays near 1 - rho0 for a time ~ e^(e^beta)). "
                                 "Fix: lower beta or start closer to the cluster (rho0 nearer 1)")
    return val


def _post_log_constant(beta: float, n: int, usa: bool, eps0: float, ngpt: bool) -> float:
    """ln K of 1 - rho ~ K e^{-lambda t} (post: lambda = 2c; ngpt: lambda = 2 alpha).

    d ln eps/dt = -lambda G(eps) with G -> 1 as eps -> 0, so
    ln K = ln eps0 + int_0^eps0 (1/G - 1)/eps d eps, written without cancellation:
    post SA: (1/G - 1)/eps = (beta exprel(beta eps) + n - 1)/N, USA: (n beta exprel(beta eps) + n - 1)/N;
    ngpt: (|A|/q - N)/(eps N) = [(x/eps)(2 + x + 2(n-1)(1-eps)) + (n-1) N]/(N(|A|/q + N)),
    with N = n - (n - 1) eps, x = e^{beta eps} - 1.
    """
    def post(eps):
        N = n - (n - 1) * eps
        return ((n if usa else 1) * beta * _exprel(beta * eps) + n - 1) / N

    def ngpt_(eps):
        N = n - (n - 1) * eps
        x_over = beta * _exprel(beta * eps)
        x = x_over * eps
        a_over_q = float(_radial_and_norm(eps, n, 1.0 + x, 1.0)[1])          # |A|/q
        return (x_over * (2 + x + 2 * (n - 1) * (1 - eps)) + (n - 1) * N) / (N * (a_over_q + N))

    return math.log(eps0) + _log_integral(ngpt_ if ngpt else post, eps0, beta)


def _orbit_log_constant(beta: float, n: int, eps0: float, r0: float) -> float:
    """ln K' with r sqrt(1 - rho) -> K' along the orbit of pre, peri, sqrt (and mix after the switch).

    d ln r / d rho = <theta, A>/(2 q (1 - rho)(1 + (n-1) rho)) for all three schemes (their speed
    factors cancel), hence d ln(r sqrt eps)/d eps = -(e^{beta eps} - 1)/(2 eps N), N = n - (n-1) eps:
    ln K' = ln(r0 sqrt eps0) + int_0^eps0 beta exprel(beta eps)/(2 N) d eps (the same for SA and USA).
    """
    def integrand(eps):
        return beta * _exprel(beta * eps) / (2.0 * (n - (n - 1) * eps))

    return math.log(r0) + 0.5 * math.log(eps0) + _log_integral(integrand, eps0, beta)


def equiangular_asymptotics(scheme: Scheme, beta: float, n: int, normalization: Normalization = "sa", *,
                            rho0: float = 0.0, r0: float = 1.0, t_switch: float | None = None,
                            alpha: float = 1.0) -> EquiangularLaw:
    """The law of 1 - rho(t) as t -> infinity for an equiangular start (A = V = I); derived here.

    With c = the total attention weight at the cluster (SA: 1; USA: e^beta) and eps = 1 - rho
    (docs/theory/normalization.md#long-time-laws):

    =======  ==============================  =========================  ==================
    scheme   1 - rho(t) ~                    K                          r(t) ~
    =======  ==============================  =========================  ==================
    post     K e^{-2 c t}                    quadrature (below)         1
    ngpt     K e^{-2 alpha t}                quadrature (below)         1
    pre      K t^-2                          K'^2 / c^2                 c t
    peri     K t^-2                          K'^2                       t
    mix      K t^-2                          K'^2 / c^2, from t_switch  c t
    sqrt     K t^-1                          K'^2 / (4 c^2)             2 c t^{1/2}
    =======  ==============================  =========================  ==================

    K' = lim r sqrt(1 - rho) is an invariant of the orbit in the (rho, r) plane, common to pre,
    peri and sqrt (and to mix from its switch point (rho(t_switch), 1)):
    ln K' = ln(r0 sqrt(1 - rho0)) + int_0^{1 - rho0} beta exprel(beta e)/(2(n - (n-1) e)) de.
    The post and ngpt constants are ln K = ln(1 - rho0) + int_0^{1 - rho0} (1/G - 1)/e de with
    G the normalized contraction rate. The survey arXiv 2512.01868 states e^{-2t} (post, SA) and
    1/t^2 (pre); everything else here, and all constants, are derived for this project. The
    relative corrections are O(e^{-2ct}) (post), O(1/t) (pre, peri, mix) and O(t^{-1/2}) (sqrt).

    Parameters
    ----------
    scheme : one of :data:`SCHEMES`; beta : float; n : int >= 2; normalization : "sa" or "usa".
    rho0 : float in (-1/(n-1), 1); r0 : float > 0 (1 for post, ngpt, mix).
    t_switch : float >= 0, required by "mix"; alpha : float > 0, the nGPT factor.

    Returns
    -------
    :class:`EquiangularLaw`.

    Raises
    ------
    FloatingPointError naming beta when ln K leaves the float64 range (pre-LN at large beta: the
    radius grows by e^{e^beta/2} before the tokens move).
    """
    beta, n, scheme, usa, alpha = _args(beta, n, scheme, normalization, alpha)
    ts = _t_switch(t_switch, scheme)
    rho0, r0 = _rho0(rho0, n), _r0(r0, scheme)
    if rho0 <= -1.0 / (n - 1):
        raise fail("rho0", rho0, "is the regular simplex, a fixed point: the tokens never cluster",
                   "start from rho0 > -1/(n-1)")
    if usa and beta > 709.0:
        raise _overflow(beta)
    eps0 = 1.0 - rho0
    log_c = beta if usa else 0.0                  # ln c, c = total weight at the cluster
    if scheme in ("post", "ngpt"):
        rate = 2.0 * alpha if scheme == "ngpt" else 2.0 * math.exp(log_c)
        log_k = _post_log_constant(beta, n, usa, eps0, scheme == "ngpt")
        return EquiangularLaw(scheme, "exponential", rate, log_k, 0.0, 1.0)
    if scheme == "mix":
        eps0 = float(equiangular_scheme_solution(ts, beta, n, "post", "usa" if usa else "sa",
                                                 rho0=rho0).one_minus_rho)
        if eps0 <= 0.0:
            raise FloatingPointError(f"equiangular_asymptotics: 1 - rho(t_switch) underflows at "
                                     f"beta={beta:g}, t_switch={ts:g}. Fix: lower t_switch")
    log_k = 2.0 * _orbit_log_constant(beta, n, eps0, r0)
    if scheme == "peri":
        return EquiangularLaw(scheme, "power", 2.0, log_k, 1.0, 1.0)
    if scheme == "sqrt":
        return EquiangularLaw(scheme, "power", 1.0, log_k - 2.0 * log_c - math.log(4.0), 0.5,
                              2.0 * math.exp(log_c))
    return EquiangularLaw(scheme, "power", 2.0, log_k - 2.0 * log_c, 1.0, math.exp(log_c))
