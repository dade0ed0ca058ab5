"""Numerical checks of the derivations written in docs/theory/ (the statements marked [D]).

Run from the repository root:

    PYTHONPATH=src python docs/theory/check_derivations.py          # all checks, ~1 min on 2 cores
    PYTHONPATH=src python docs/theory/check_derivations.py rk4 zonal # only the checks whose name matches

Each check compares a formula derived in the theory pages with an independent computation made
with attnflow (quadrature, finite differences, particle runs, the solvers' own right-hand sides)
and prints the measured error next to its tolerance. The exit status is 1 if any check fails.
The tolerances are a small multiple of the error measured when the pages were written; the
pages quote the measured errors.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
from scipy.integrate import quad
from scipy.special import gamma, iv, ive

import attnflow as af
from attnflow import theory
from attnflow.backends import spectral
from attnflow.meanfield import CircleSolver, ZonalSolver
from attnflow.theory import zonal_harmonics, zonal_harmonics_and_derivatives

CHECKS: list[tuple[str, Callable[[], tuple[float, float, str]]]] = []


def check(name: str):
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


# -- linear-stability.md ---------------------------------------------------------------------------
@check("funk-hecke eigenvalues vs quadrature (d = 2, 3, 5)")
def _funk_hecke():
    err = 0.0
    for d in (2, 3, 5):
        ratio = gamma(d / 2) / (math.sqrt(math.pi) * gamma((d - 1) / 2))
        for beta in (0.5, 3.0, 10.0):
            lam = theory.kernel_coefficients(beta, d, 6)
            for k in range(7):
                def f(th, k=k, beta=beta, d=d):
                    p = zonal_harmonics(np.array([math.cos(th)]), k, d)[0, k]
                    return math.exp(beta * math.cos(th)) * p * math.sin(th) ** (d - 2)
                q = ratio * quad(f, 0.0, math.pi, epsabs=1e-13 * lam[0], epsrel=1e-11, limit=200)[0]
                err = max(err, abs(q - lam[k]) / lam[0])
    return err, 5e-14, "max |quadrature - lambda_k| / lambda_0"


@check("gegenbauer expansion of e^(beta t) reproduces the exponential")
def _gegenbauer():
    from scipy.special import eval_gegenbauer
    err = 0.0
    t = np.linspace(-1, 1, 41)
    for d in (3, 4, 7):
        nu = (d - 2) / 2
        for beta in (0.3, 2.0, 8.0):
            a = theory.gegenbauer_coefficients(beta, d, 60)
            s = sum(a[k] * eval_gegenbauer(k, nu, t) for k in range(61))
            err = max(err, float(np.max(np.abs(s - np.exp(beta * t)))) / math.exp(beta))
    return err, 1e-14, "max |sum_k a_k C_k^nu(t) - e^(beta t)| / e^beta, t in [-1, 1]"


def _linear_rate_circle(beta: float, k: int, normalization: str) -> float:
    """d/d eps of the circle solver's rhs at 1/(2 pi) + eps cos(k theta), projected on cos(k theta)."""
    s = CircleSolver(beta, 64, normalization)
    phi = np.cos(k * s.theta)
    eps = 1e-5
    r = (s.rhs(1 / (2 * np.pi) + eps * phi) - s.rhs(1 / (2 * np.pi) - eps * phi)) / (2 * eps)
    return float(r @ phi / (phi @ phi))


def _linear_rate_zonal(beta: float, d: int, k: int, normalization: str) -> float:
    s = ZonalSolver(beta, d, 48, normalization)
    c = np.zeros(s.K + 1)
    c[0] = 1.0
    e = np.zeros(s.K + 1)
    e[k] = 1.0
    eps = 1e-5
    r = (s.rhs(c + eps * e) - s.rhs(c - eps * e)) / (2 * eps)
    return float(r[k])


@check("growth rates = linearization of the circle and zonal solvers (USA and SA)")
def _growth():
    err = 0.0
    for beta in (0.7, 5.0):
        for norm in ("usa", "sa"):
            g2 = theory.growth_rates(beta, 2, 6, norm)
            for k in range(1, 7):
                err = max(err, abs(_linear_rate_circle(beta, k, norm) / g2[k] - 1))
            for d in (3, 5):
                gd = theory.growth_rates(beta, d, 6, norm)
                for k in range(1, 7):
                    err = max(err, abs(_linear_rate_zonal(beta, d, k, norm) / gd[k] - 1))
    return err, 1e-9, "max relative difference (central difference in eps = 1e-5)"


@check("growth rates: closed forms d = 2, 3, beta -> 0 limit, beta < 0 parity, SA asymptote 2/e")
def _growth_forms():
    err = 0.0
    k = np.arange(1, 9)
    for beta in (0.5, 4.0, 12.0):
        g2 = theory.growth_rates(beta, 2, 8)[1:]
        err = max(err, float(np.max(np.abs(g2 / (k**2 * iv(k, beta) / beta) - 1))))
        g3 = theory.growth_rates(beta, 3, 8)[1:]
        ref3 = k * (k + 1) * math.sqrt(math.pi / (2 * beta)) * iv(k + 0.5, beta) / beta
        err = max(err, float(np.max(np.abs(g3 / ref3 - 1))))
        sa = theory.growth_rates(beta, 3, 8, "sa")[1:]
        err = max(err, float(np.max(np.abs(sa / (ref3 / (math.sinh(beta) / beta)) - 1))))
        neg = theory.growth_rates(-beta, 3, 8)[1:]
        err = max(err, float(np.max(np.abs(neg / ((-1.0) ** (k + 1) * ref3) - 1))))
    for d in (2, 3, 6):
        small = theory.growth_rates(1e-7, d, 3)
        err = max(err, abs(small[1] / ((d - 1) / d) - 1), abs(small[2]) - 1e-7)
    sa_max = float(theory.growth_rates(1e4, 2, 400, "sa").max())
    err = max(err, abs(sa_max / (2 / math.e) - 1) * 1e-2)     # O(1/beta) corrections: 1e-4 rel.
    return err, 1e-6, "max relative error (the 2/e asymptote is checked to 1e-4 at beta = 1e4)"


@check("k_max table (d = 2, 3, 4, 8, 16)")
def _kmax_table():
    betas = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 50, 100)
    table = {2: (1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 8, 10, 14),
             3: (1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6, 7, 10, 14),
             4: (1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 7, 9, 13),
             8: (1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 7, 11),
             16: (1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 5, 9)}
    wrong = sum(theory.k_max(float(b), d) != km
                for d, row in table.items() for b, km in zip(betas, row, strict=True))
    return float(wrong), 0.0, "entries that differ"


@check("quoted rates and time scales (d = 2, beta = 5, USA/SA; d = 3)")
def _quoted():
    quoted = [(theory.growth_rates(5.0, 2, 8)[1:], ["4.867", "14.00", "18.60", "16.35", "10.79",
                                                     "5.704", "2.514", "0.9487"]),
              ([theory.growth_rates(5.0, 2, 3, "sa")[3]], ["0.6827"]),
              ([theory.growth_rates(12.0, 2, 5, "sa")[5]], ["0.7139"]),
              ([theory.growth_rates(7.0, 2, 4)[4]], ["116.6"]),
              ([theory.growth_rates(5.0, 3, 3)[3]], ["9.978"]),
              ([theory.linear_phase_end(20000, 5.0, 2)], ["0.266"])]
    wrong = []
    for values, texts in quoted:
        for v, text in zip(values, texts, strict=True):
            decimals = len(text.split(".")[1])
            if f"{v:.{decimals}f}" != text:
                wrong.append(f"{v:.6g} != {text}")
    return float(len(wrong)), 0.0, "values whose rounding differs from the quoted digits " + str(wrong)


@check("equally spaced k-cluster saddle: circulant eigenvalue vs finite-difference Jacobian")
def _saddle():
    beta, k = 5.0, 3
    model = af.AttentionModel(d=2, beta=beta, normalization="usa")

    def rate(theta):
        x = np.stack([np.cos(theta), np.sin(theta)], axis=1)
        v = af.velocity(model, x, backend="dense")
        return v[:, 1] * x[:, 0] - v[:, 0] * x[:, 1]             # d theta/dt

    th = 2 * np.pi * np.arange(k) / k
    h = 1e-6
    J = np.column_stack([(rate(th + h * e) - rate(th - h * e)) / (2 * h) for e in np.eye(k)])
    top = float(np.max(np.linalg.eigvals(J).real))
    j = np.arange(1, k)
    s = 2 * np.pi * j / k
    fp = np.exp(beta * np.cos(s)) * (np.cos(s) - beta * np.sin(s) ** 2)
    lam = max(float((fp * (np.cos(s * p) - 1)).sum() / k) for p in range(k))
    return abs(top - lam) / abs(lam), 1e-8, f"top eigenvalue {top:.6f} vs formula {lam:.6f}"


@check("mode competition: P(k_max first) at beta = 5, N = 2e4 (linear Monte Carlo)")
def _mode_competition():
    g = theory.growth_rates(5.0, 2, 16)[1:]
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200_000, 16)) + 1j * rng.standard_normal((200_000, 16))
    times = np.log(0.3 / (np.abs(z) / math.sqrt(2 * 20000))) / g
    p = float(np.mean(np.argmin(times, axis=1) + 1 == 3))
    return abs(p - 0.71), 5e-3, f"P = {p:.4f} against 0.71"


@check("E|mu_hat_k|^2 = 1/N for N iid uniform points on S^2 (degree-k power)")
def _noise_level():
    from attnflow.analysis import mode_amplitudes
    N, reps = 400, 200
    x = af.sphere.uniform(N, 3, seed=1, batch=reps)
    a2 = np.array([mode_amplitudes(xb, 4) ** 2 for xb in x])     # (reps, 4)
    err = float(np.max(np.abs(N * a2.mean(axis=0) - 1)))
    return err, 0.15, "max_k |N E[a_k^2] - 1| (Monte Carlo, 200 samples: sd ~ 0.07)"


# -- mean-field.md ---------------------------------------------------------------------------------
@check("Lipschitz constant of the interaction kernel on S^2 is e^|beta| (both arguments)")
def _lipschitz():
    rng = np.random.default_rng(3)
    worst = 0.0
    for beta in (2.0, -1.5, 0.3):
        best = 0.0
        for _ in range(4000):
            x, y = af.sphere.uniform(2, 3, seed=rng)
            a = rng.uniform(0, math.pi)
            y = math.cos(a) * x + math.sin(a) * (y - (x @ y) * x) / np.linalg.norm(y - (x @ y) * x)
            u = rng.standard_normal(3)
            for which in ("x", "y"):
                base = y if which == "y" else x
                w = u - (u @ base) * base
                w /= np.linalg.norm(w)

                def F(p, which=which, x=x, y=y, beta=beta):
                    xx, yy = (x, p) if which == "y" else (p, y)
                    return math.exp(beta * (xx @ yy)) * (yy - (xx @ yy) * xx)
                h = 1e-6
                dF = (F(base + h * w) - F(base - h * w)) / (2 * h)
                if which == "x":
                    dF = dF - (dF @ x) * x                      # covariant: tangent part at x
                best = max(best, float(np.linalg.norm(dF)))
        worst = max(worst, best / math.exp(abs(beta)) - 1)
    return max(worst, 0.0), 1e-6, "max over samples of |dF| / e^|beta| - 1 (must not exceed 0)"


@check("sup |h_beta''| = e^|beta| on S^1, and 2 gamma_max < e^beta for beta > 0")
def _dobrushin_circle():
    s = np.linspace(0, np.pi, 100_001)
    worst = 0.0
    for beta in np.linspace(-50, 50, 201):
        h2 = np.exp(beta * np.cos(s)) * np.abs(beta * np.sin(s) ** 2 - np.cos(s))
        worst = max(worst, float(h2.max() / math.exp(abs(beta))) - 1)
    bad = 0
    for beta in np.concatenate([np.linspace(0.01, 5, 100), np.linspace(5, 300, 100)]):
        k = theory.k_max(float(beta), 2)
        bad += 2 * theory.growth_rates(float(beta), 2, k)[k] >= math.exp(beta)
    what = "max sup|h''|/e^|beta| - 1 on a grid, + betas with 2 gamma_max >= e^beta"
    return max(worst, 0.0) + bad, 1e-15, what


@check("USA field = N grad E (A = V symmetric) and v_SA = (N / Z_i) v_USA")
def _gradient_identity():
    rng = np.random.default_rng(4)
    S = rng.standard_normal((3, 3))
    S = (S + S.T) / 4
    x = af.sphere.uniform(30, 3, seed=5)
    m = af.AttentionModel(d=3, beta=1.7, A=S, V=S, normalization="usa")
    err = float(np.max(np.abs(af.velocity(m, x) - 30 * theory.energy_gradient(m, x))))
    m_sa = af.AttentionModel(d=3, beta=1.7, A=S, V=S, normalization="sa")
    Z = np.exp(1.7 * (x @ S.T) @ x.T).sum(axis=1)
    err = max(err, float(np.max(np.abs(af.velocity(m_sa, x) - (30 / Z)[:, None] * af.velocity(m, x)))))
    return err, 1e-15, "max abs difference"


@check("energy of the uniform measure and of a Dirac; Z0(beta, 3) = sinh(beta)/beta")
def _energy_values():
    err = 0.0
    for beta in (0.5, 3.0, 9.0):
        err = max(err, abs(theory.kernel_coefficients(beta, 3, 0)[0] / (math.sinh(beta) / beta) - 1))
        err = max(err, abs(theory.kernel_coefficients(beta, 2, 0)[0] / iv(0, beta) - 1))
        s = ZonalSolver(beta, 3, 16)
        c = np.zeros(s.K + 1)
        c[0] = 1.0
        err = max(err, abs(s.energy(c) / ((math.sinh(beta) / beta) / (2 * beta)) - 1))
        m = af.AttentionModel(d=3, beta=beta)
        x = np.tile([0.0, 0.0, 1.0], (5, 1))
        err = max(err, abs(af.observables.energy(m, x) / (math.exp(beta) / (2 * beta)) - 1))
    return err, 2e-14, "max relative error"


# -- zonal-solver.md -------------------------------------------------------------------------------
@check("zonal Galerkin: dE/dt = (1/beta^2) Q[f (1 - t^2) U'^2 (/U)] >= 0, mass conserved")
def _zonal_energy():
    err, worst_sign = 0.0, 0.0
    for norm in ("usa", "sa"):
        for d, beta in ((3, 2.0), (5, 4.0), (2, 1.0)):
            s = ZonalSolver(beta, d, 40, norm)
            f0 = 1 + 0.8 * np.cos(s.phi) + 0.15 * np.cos(3 * s.phi) ** 2
            c = s.coefficients(f0 / (s.coefficients(f0)[0]))
            r = s.rhs(c)
            lam = s.eigenvalues()
            dE = float((lam * s.h * c) @ r / beta)                       # chain rule on E(c)
            P, dP = zonal_harmonics_and_derivatives(s.t_nodes, s.K, d)
            f = P @ c
            U, dU = P @ (lam * c), dP @ (lam * c)
            g = dU**2 if norm == "usa" else dU**2 / U
            closed = float(s.weights @ (f * (1 - s.t_nodes**2) * g)) / beta**2
            err = max(err, abs(dE - closed) / abs(closed), abs(r[0]))
            worst_sign = min(worst_sign, closed)
    return err - min(worst_sign, 0.0), 5e-15, "relative difference of dE/dt; |d f_0/dt|; dE/dt >= 0"


@check("zonal vs circle solver: an even density gives the same rhs (d = 2)")
def _zonal_circle():
    beta = 2.0
    zs = ZonalSolver(beta, 2, 64)
    cs = CircleSolver(beta, 256)

    def f(p):
        return 1 + 0.5 * np.cos(p) + 0.2 * np.cos(2 * p)

    r = zs.rhs(zs.coefficients(f))
    dz = zonal_harmonics(np.cos(cs.theta), zs.K, 2) @ r           # df/dt on the circle grid
    dc = cs.rhs(f(cs.theta) / (2 * np.pi)) * 2 * np.pi              # rho = f / (2 pi)
    return float(np.max(np.abs(dz - dc))), 5e-13, "max |df/dt zonal - 2 pi d rho/dt circle|"


@check("weighted rings: polar velocity vs the d = 3 closed form")
def _rings():
    from attnflow.experiments.chen2025 import ZonalParticles
    beta = 1.5
    zp = ZonalParticles(beta, 3)
    rng = np.random.default_rng(11)
    phij = np.sort(rng.uniform(0.1, 3.0, 40))                 # ring positions
    w = rng.uniform(0.5, 1.5, 40)
    w /= w.sum()
    phi = phij                                              # velocities of the rings themselves
    b = beta * np.sin(phi)[:, None] * np.sin(phij)[None, :]
    ring = np.exp(beta * np.cos(phi)[:, None] * np.cos(phij)[None, :]) * (
        np.cos(phi)[:, None] * np.sin(phij)[None, :] * iv(1, b)
        - np.sin(phi)[:, None] * np.cos(phij)[None, :] * iv(0, b))
    err = float(np.max(np.abs(zp.velocity(phi, w) - ring @ w)))
    return err, 2e-15, "max |u_rings - closed form|"


# -- equiangular.md --------------------------------------------------------------------------------
@check("equiangular ODE vs particle runs from x_i = e_i (SA and USA)")
def _equiangular():
    n, err = 6, 0.0
    for norm in ("sa", "usa"):
        for beta in (1.0, 3.0):
            m = af.AttentionModel(d=n, beta=beta, normalization=norm)
            ts = np.linspace(0, 1.5, 7)
            sol = af.simulate(m, np.eye(n), 1.5, 1e-3, "rk4", save_at=ts)
            G = np.einsum("tid,tjd->tij", sol.x, sol.x)
            off = G[:, ~np.eye(n, dtype=bool)]
            g = theory.equiangular_solution(ts, beta, n, norm)
            err = max(err, float(np.max(np.abs(off - g[:, None]))))
    return err, 3e-11, "max |<x_i, x_j>(t) - g(t)| over pairs and times"


@check("equiangular: beta = 0 closed form and the clustering time as an integral")
def _equiangular_closed():
    n, t = 5, np.linspace(0, 2, 9)
    c = 1 / (n - 1)
    r = np.exp(2 * t) * c                                   # g0 = 0
    closed = (r - c) / (1 + r)
    err = float(np.max(np.abs(theory.equiangular_solution(t, 0.0, n, "sa") - closed)))
    T = theory.equiangular_clustering_time(2.0, n, "usa", threshold=1e-2)
    err = max(err, abs(1 - theory.equiangular_solution(T, 2.0, n, "usa") - 1e-2) / 1e-2)
    return err, 1e-11, "max error"


@check("equiangular layer map vs one layer-scheme step of the particles")
def _layer_map():
    from attnflow.theory import equiangular_layer_map
    n, err = 5, 0.0
    for norm in ("sa", "usa"):
        for beta, h in ((1.0, 0.1), (4.0, 0.05)):
            m = af.AttentionModel(d=n, beta=beta, normalization=norm)
            x = np.eye(n)
            g = 0.0
            for _ in range(3):
                x = af.sphere.retract(x + h * af.attention_output(m, x))
                g = equiangular_layer_map(g, beta, n, h, norm)
            G = x @ x.T
            err = max(err, float(np.max(np.abs(G[~np.eye(n, dtype=bool)] - g))))
    return err, 1e-15, "max |<x_i, x_j> - F_h^3(0)|"


# -- energy-landscape.md ---------------------------------------------------------------------------
@check("order parameter: d(R^2)/dt = 2 <m, (1/N^2) sum e^{beta<x_i,x_j>} (1 - <x_i,x_j>) x_i>")
def _order_parameter():
    err = 0.0
    for beta in (0.0, 0.1, 2.0):
        x = af.sphere.uniform(40, 3, seed=7)
        m = af.AttentionModel(d=3, beta=beta, normalization="usa")
        mean = x.mean(axis=0)
        lhs = 2 * mean @ af.velocity(m, x).mean(axis=0)
        c = x @ x.T
        rhs = 2 * mean @ ((np.exp(beta * c) * (1 - c)).sum(axis=1) @ x) / 40**2
        err = max(err, abs(lhs - rhs))
        if beta == 0.0:
            err = max(err, abs(lhs - 2 * (mean @ mean - np.mean((x @ mean) ** 2))))
    return err, 1e-15, "max abs difference (and the beta = 0 form)"


@check("near a Dirac: d theta/dt = -e^{beta cos theta} sin theta (USA), / Z (SA)")
def _near_dirac():
    beta, N = 1.3, 1000
    x = np.tile([1.0, 0.0, 0.0], (N, 1))
    th = 0.01
    x[0] = [math.cos(th), math.sin(th), 0.0]
    err = 0.0
    for norm in ("usa", "sa"):
        m = af.AttentionModel(d=3, beta=beta, normalization=norm)
        v = af.velocity(m, x)[0]
        rate = v @ np.array([-math.sin(th), math.cos(th), 0.0])     # d theta/dt of token 0
        pred = -((N - 1) / N) * math.exp(beta * math.cos(th)) * math.sin(th)
        if norm == "sa":
            pred *= N / (math.exp(beta) + (N - 1) * math.exp(beta * math.cos(th)))
        err = max(err, abs(rate / pred - 1))
    return err, 2e-15, "relative error of the test particle's angular velocity"


@check("antipodal atoms are stationary; the light cluster of two is stable iff beta > ln(p/q)/2")
def _antipodal():
    x = np.array([[1.0, 0, 0]] * 7 + [[-1.0, 0, 0]] * 3)
    m = af.AttentionModel(d=3, beta=2.0, normalization="usa")
    err = float(np.max(np.abs(af.velocity(m, x))))
    p, q = 0.7, 0.3
    bc = math.log(p / q) / 2
    for beta, sign in ((bc * 0.9, +1), (bc * 1.1, -1)):
        th = 1e-6                                     # a test token near the light cluster at -e
        rate = (q * math.exp(beta) * -th + p * math.exp(-beta) * th)   # linearized d th/dt
        err += 0.0 if np.sign(rate) == sign else 1.0
    return err, 0.0, "max |v| at the 7 + 3 antipodal atoms, + sign errors of the stability test"


# -- low-temperature.md ----------------------------------------------------------------------------
@check("zero-temperature flow: x(t) -> Pi(x0) at rate (lambda_1 - lambda_2)/|A e| = 0.5")
def _zero_temperature():
    A = np.diag([1.0, 4.0, 1.0])
    V = np.diag([2.0, 1.0, 0.5])
    Pi = theory.zero_temperature_map(A, V)
    x = af.sphere.uniform(200, 3, seed=2)
    x = x[np.abs(x[:, 1]) > 0.5]
    target = Pi(x)
    dt, ts, dist = 0.01, [], []
    for step in range(1601):
        if step % 100 == 0:
            ts.append(step * dt)
            dist.append(float(np.mean(np.linalg.norm(x - target, axis=1))))
        k1 = Pi.velocity(x)
        k2 = Pi.velocity(x + 0.5 * dt * k1)
        k3 = Pi.velocity(x + 0.5 * dt * k2)
        k4 = Pi.velocity(x + dt * k3)
        x = af.sphere.retract(x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    ts, dist = np.array(ts), np.log(np.array(dist))
    sel = ts >= 8
    rate = -np.polyfit(ts[sel], dist[sel], 1)[0]
    c = theory.zero_temperature_rate(A, V)
    return abs(rate - c) / c, 5e-3, f"fitted rate {rate:.4f} vs c = {c}"


@check("softmax mean over sigma (von Mises-Fisher): I_{d/2}(k)/I_{d/2-1}(k) = 1 - (d-1)/(2k) + ...")
def _vmf():
    quad_err, asym = 0.0, 0.0
    for d in (3, 5):
        for kappa in (0.5, 4.0, 30.0):
            def w(th, p, d=d, kappa=kappa):
                return math.exp(kappa * (math.cos(th) - 1)) * math.cos(th) ** p * math.sin(th) ** (d - 2)
            num = quad(w, 0, math.pi, args=(1,), epsabs=0, epsrel=1e-12)[0]
            den = quad(w, 0, math.pi, args=(0,), epsabs=0, epsrel=1e-12)[0]
            quad_err = max(quad_err, abs(num / den - ive(d / 2, kappa) / ive(d / 2 - 1, kappa)))
        kappa = 1e4                                   # next term O(1/kappa^2): kappa^2 * error = O(1)
        bessel = ive(d / 2, kappa) / ive(d / 2 - 1, kappa)
        asym = max(asym, kappa**2 * abs(bessel - (1 - (d - 1) / (2 * kappa))))
    return max(quad_err / 1e-12, asym / 10.0), 1.0, (f"quadrature error {quad_err:.2g} (/1e-12); "
                                                    f"kappa^2 x asymptotic error {asym:.3g} (/10)")


@check("optimal time of the W bound solves a C e^{Ct} = c e^{-ct}")
def _optimal_time():
    beta, C, c = 200.0, 1.5, 0.5
    t = theory.optimal_time(beta, C, c)
    a = math.sqrt(math.log1p(beta) / beta)
    return abs(a * C * math.exp(C * t) - c * math.exp(-c * t)), 1e-14, "residual"


# -- spectral-summation.md -------------------------------------------------------------------------
@check("spectral truncation orders (K = 34, L = 35 at beta = 9; K^2/beta -> 2 ln(2e18))")
def _truncation():
    err = float(spectral.order(2, 9.0) != 34) + float(spectral.order(3, 9.0) != 35)
    K = spectral.order(2, 1e4)
    ratio = K**2 / 1e4
    err += abs(ratio / (2 * math.log(2e18)) - 1)
    c = ive(np.arange(K + 1), 1e4)
    err += abs(c[0] + 2 * c[1:].sum() - 1)
    return err, 0.01, f"order mismatches + relative distance of K^2/beta = {ratio:.2f} from 84.3"


@check("spectral evaluator = dense evaluator (S^1 and S^2, beta = +-3)")
def _spectral():
    err = 0.0
    for d in (2, 3):
        x = af.sphere.uniform(300, d, seed=8)
        for beta in (3.0, -3.0):
            for norm in ("sa", "usa"):
                m = af.AttentionModel(d=d, beta=beta, normalization=norm)
                a = af.attention_output(m, x, backend="spectral")
                b = af.attention_output(m, x, backend="dense")
                err = max(err, float(np.max(np.abs(a - b) / np.abs(b).max())))
    return err, 5e-14, "max |spectral - dense| / max |dense|"


# -- numerics.md -----------------------------------------------------------------------------------
@check("RK4 on the extended field leaves the sphere by O(h^5) per step")
def _rk4_drift():
    m = af.AttentionModel(d=3, beta=2.0, normalization="usa")
    x = af.sphere.uniform(50, 3, seed=9)

    field = af.backends.prepare(m, x, "dense").velocity      # also off the sphere (RK stages)

    def drift(h):
        k1 = field(x)
        k2 = field(x + 0.5 * h * k1)
        k3 = field(x + 0.5 * h * k2)
        k4 = field(x + h * k3)
        y = x + h / 6 * (k1 + 2 * (k2 + k3) + k4)
        return float(np.max(np.abs(np.linalg.norm(y, axis=1) - 1)))

    slope = math.log(drift(0.02) / drift(0.01)) / math.log(2)
    return abs(slope - 5), 0.1, f"log2 of the drift ratio = {slope:.2f} (order 5 expected)"


@check("d|x|^2/dt = 2 (1 - |x|^2) <x, y> for the extended field P_x y = y - <x, y> x")
def _invariance():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((20, 3)) * 0.7
    y = rng.standard_normal((20, 3))
    v = af.sphere.tangent_project(x, y)
    lhs = 2 * np.sum(x * v, axis=1)
    rhs = 2 * (1 - np.sum(x * x, axis=1)) * np.sum(x * y, axis=1)
    return float(np.max(np.abs(lhs - rhs))), 1e-14, "max abs difference"


# -- noise.md --------------------------------------------------------------------------------------
def _heat_multiplier(k: int, d: int, s2: float) -> float:
    """E P_k(cos r), r = s |P z|, |P z|^2 ~ chi^2_{d-1}: the geodesic step's multiplier (quadrature)."""
    from scipy.stats import chi

    def f(rho):
        p = zonal_harmonics(np.array([math.cos(math.sqrt(s2) * rho)]), k, d)[0, k]
        return p * chi.pdf(rho, d - 1)
    return quad(f, 0.0, 12.0, epsabs=1e-15, epsrel=1e-13, limit=400)[0]


@check("geodesic heat step: E P_k(cos r) = e^{-k(k+d-2) tau} + O(tau^3) with the curvature factor")
def _heat_step_order():
    worst, plain = 0.0, 10.0
    taus = np.array([1e-3, 5e-4, 2.5e-4])
    for d in (3, 5):
        for k in (1, 2, 3):
            lam = k * (k + d - 2)
            corr = [abs(_heat_multiplier(k, d, 2 * t / (1 + (d - 2) * t / 3)) - math.exp(-lam * t))
                    for t in taus]
            raw = [abs(_heat_multiplier(k, d, 2 * t) - math.exp(-lam * t)) for t in taus]
            worst = max(worst, abs(np.polyfit(np.log(taus), np.log(corr), 1)[0] - 3))
            plain = min(plain, np.polyfit(np.log(taus), np.log(raw), 1)[0])
    return max(worst, abs(plain - 2)), 0.03, (f"max |local order - 3| with the factor; without it the order "
                                               f"is {plain:.2f} (2 expected)")


@check("Euler-Maruyama retraction: E(1 + 2 D |P dW|^2)^(-1/2) = 1 - (d-1) D h + 3/2 (d^2-1) D^2 h^2 + O(h^3)")
def _em_multiplier():
    from scipy.stats import chi
    worst = 0.0
    for d in (2, 3, 5):
        errs = []
        for tau in (2e-3, 1e-3):
            m1 = quad(lambda r, d=d, tau=tau: (1 + 2 * tau * r * r) ** -0.5 * chi.pdf(r, d - 1), 0.0, 20.0,
                      epsabs=1e-14, epsrel=1e-13, limit=400)[0]
            errs.append(abs(m1 - (1 - (d - 1) * tau + 1.5 * (d * d - 1) * tau * tau)))
        worst = max(worst, abs(math.log2(errs[0] / errs[1]) - 3))
    return worst, 0.05, "max |local order of the remainder - 3| (d = 2, 3, 5)"


@check("kappa_# closed forms: d = 3 USA beta^3/(beta cosh - sinh), SA beta/L(beta); beta -> 0: d")
def _noise_threshold_forms():
    err = 0.0
    for beta in (0.3, 1.0, 4.0, 12.0):
        usa = beta ** 3 / (beta * math.cosh(beta) - math.sinh(beta))
        sa = beta / (1 / math.tanh(beta) - 1 / beta)
        err = max(err, abs(theory.noise_threshold(beta, 3) / usa - 1),
                  abs(theory.noise_threshold(beta, 3, "sa") / sa - 1),
                  abs(theory.noise_threshold(beta, 2) * iv(1, beta) / beta - 1))
    for d in (2, 3, 6):
        err = max(err, abs(theory.noise_threshold(1e-6, d) - d) / d,
                  abs(theory.noise_threshold(1e-6, d, "sa") - d) / d)
    return err, 1e-10, "max relative difference"


@check("pitchfork coefficient C = curvature of the continued self-consistency branch (USA, SA)")
def _pitchfork():
    from attnflow.meanfield import StationaryStates
    err = 0.0
    for d, norm, beta in ((2, "usa", 1.0), (2, "usa", 4.0), (3, "usa", 1.0), (2, "sa", 3.0), (3, "sa", 2.0)):
        b = StationaryStates(beta, d, M=48, normalization=norm).branch(
            kappa_max=10 * theory.noise_threshold(beta, d, norm), ds=0.01, max_points=12)
        sel = b.R < 0.1
        fit = np.polyfit(b.R[sel] ** 2, b.kappa[sel] / b.attrs["kappa_threshold"] - 1, 2)[1]
        err = max(err, abs(fit / theory.pitchfork_coefficient(beta, d, norm) - 1))
    return err, 2e-4, "max relative difference of the fitted R^2 coefficient"


@check("SA: beta C -> 2 d^2 (d-1)/((d+1)(d+2)) (C > 0, no beta_*); USA: C -> -2 d (d-1) beta/((d+1)(d+2))")
def _pitchfork_large_beta():
    err = 0.0
    for d in (2, 3, 5):
        beta = 600.0
        sa = beta * theory.pitchfork_coefficient(beta, d, "sa") / (2 * d * d * (d - 1) / ((d + 1) * (d + 2)))
        usa = theory.pitchfork_coefficient(beta, d) / (-2 * d * (d - 1) * beta / ((d + 1) * (d + 2)))
        err = max(err, abs(sa - 1), abs(usa - 1))
    return err, 2e-2, "max relative difference at beta = 600 (corrections O(1/beta))"


@check("a self-consistent state rho = e^{kappa Phi[rho]}/Z is stationary for the noisy zonal PDE")
def _zero_flux():
    from attnflow.meanfield import StationaryStates
    err = 0.0
    for d, norm, beta in ((2, "usa", 2.0), (3, "sa", 3.0)):
        st = StationaryStates(beta, d, M=48, normalization=norm)
        b = st.branch(kappa_max=2 * theory.noise_threshold(beta, d, norm), ds=0.02, max_points=60)
        c, kappa = b.coefficients[-1], float(b.kappa[-1])
        z = ZonalSolver(beta, d, 48, norm, kappa=kappa)
        err = max(err, float(np.max(np.abs(z.rhs(c)))) / float(np.max(np.abs(c))))
    return err, 1e-10, "max |rhs| / max |c| at the last branch point (Newton to 1e-11)"


def main(argv: list[str]) -> int:
    failed = 0
    for name, fn in CHECKS:
        if argv and not any(a.lower() in name.lower() for a in argv):
            continue
        err, tol, what = fn()
        ok = err <= tol
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {err:.3g} (tol {tol:g}; {what})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
