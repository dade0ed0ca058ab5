"""Rows of the particle bifurcation diagrams R(kappa): the stable states, the threshold and the
character of the transition, measured on particles at several beta (USA on S^1 and S^2, SA on S^1).

For each case (d, normalization, beta) of ``P["particle_diagrams"]``, tokens dX_i = P_{X_i}(...) dt +
sqrt(2/kappa) dB_i are run (Strang splitting; the spectral drift on S^1, the backend ``"auto"``
picks on S^2) at a grid of q = kappa/kappa_#, each kappa from two starts in one batch: iid uniform,
and von Mises-Fisher with the R of the stable clustered state (R = 0.5 where there is none). The
run lasts t1 = tau kappa_#/(d - 1), tau linear time units of the uniform state's degree-1 mode
(rate (d - 1)(1/kappa_# - 1/kappa)), and R is averaged over the last quarter.

1. Stable states: each run whose start lies in the basin of a stable state, i.e. the clustered
   start where the clustered branch is stable (q above the fold, or above 1 for a continuous
   transition) and the uniform start where the uniform state is stable (q < 1), against that
   state: the branch of :class:`attnflow.meanfield.StationaryStates`, and for the uniform state its
   finite-N level E R = m_d / sqrt(N (1 - q)) (N E R^2 = 1/(1 - q), docs/theory/noise.md, with the
   Gaussian mean modulus m_d = sqrt(2/d) Gamma((d + 1)/2)/Gamma(d/2)). Tolerance 4/sqrt(N)
   (fluctuations of R are ~ 1/sqrt(N): its standard deviation over the second half of clustered
   runs at N = 1e5 was 0.0015-0.0028, i.e. 0.5-0.9/sqrt(N), at beta = 1, 4, 5; near the threshold
   and the fold it is larger, and the mean over the last quarter smaller) plus 6e-3, the
   largest change of the stationary R measured when halving Strang's step (beta = 5, q = 0.95,
   N = 1e5: 0.8170 at dt = 0.005, 0.8221 at 0.0025 against the branch's 0.8221). Foil: the noisy
   Kuramoto shape with the same threshold, R = A_d(d (kappa/kappa_#) R) (beta enters the threshold
   only; continuous, no bistability).
2. Threshold: the uniform start leaves the uniform level (R > 10/sqrt(N) over the last quarter) or
   not; the measured threshold is the middle of the grid interval where it first leaves, the
   tolerance half that interval (grid points 1 < q < 1/(1 - ln(100)/tau), where the linear growth
   e^{tau (1 - 1/q)} stays below 100 within t1, are not used). Below kappa_# the uniform level is
   exceeded with probability e^{-100 (1 - q)} per sample (Rayleigh tail of N R^2 with mean
   1/(1 - q), d = 2), above it the mode grows like e^{tau (1 - 1/q)}. Foil: Mun-Rosenzweig's K_#
   read as kappa (kappa_#/2); for SA the USA threshold.
3. Character: continuous for beta < beta_* (USA) and for every beta (SA), discontinuous above:
   measured discontinuous when at the grid point below kappa_# the clustered start stays clustered
   (R > 0.1, bistability with the uniform start: the hysteresis window between the fold and
   kappa_#), continuous when it falls to the uniform level. Foil: the other character.
"""

from __future__ import annotations

import math

import numpy as np

from ... import sphere
from ...integrate import simulate
from ...meanfield.stationary import StationaryStates
from ...model import AttentionModel
from ...theory import critical_beta, kuramoto_order_parameter, noise_threshold
from ..report import Report, check, compare
from .claims_particles import vmf_concentration

__all__ = ["add_claims", "uniform_level"]

_BIAS = 6e-3
_CLUSTERED = 0.1
#: quadrature of the branches the particles are compared with (resolved up to R ~ 0.98 at beta = 5)
_M = 160


def uniform_level(N: int, d: int, q: float) -> float:
    """E R of N tokens at the uniform state below the threshold (q = kappa/kappa_# < 1)."""
    m = math.sqrt(2 / d) * math.gamma((d + 1) / 2) / math.gamma(d / 2)
    return m / math.sqrt(N * (1 - q))


def _tolerance(N: int) -> float:
    return float(4 / math.sqrt(N) + _BIAS)


def _continuous(d: int, normalization: str, beta: float) -> bool:
    return normalization == "sa" or beta < critical_beta(d)


def _branch_states(d: int, normalization: str, beta: float, qs) -> dict:
    """q -> R of the stable clustered state at kappa = q kappa_# (None where there is none), and the fold."""
    states = StationaryStates(beta, d, M=_M, normalization=normalization)
    k0 = noise_threshold(beta, d, normalization)
    b = states.branch(kappa_max=1.05 * max(qs) * k0, ds=0.01, max_points=400)
    stable = np.flatnonzero(b.stable)
    fold = b.fold if b.fold is not None else k0
    out = {}
    for q in qs:
        if q * k0 <= fold:
            out[q] = None
            continue
        j = stable[np.argmin(np.abs(b.kappa[stable] - q * k0))]
        out[q] = states.order_parameter(states.solve(q * k0, b.coefficients[j]))
    return {"R": out, "fold": b.fold, "branch": b}


def _run_case(case: tuple, tau: float, seed: int) -> dict:
    d, norm, beta, N, dt, qs = case
    k0 = noise_threshold(beta, d, norm)
    br = _branch_states(d, norm, beta, qs)
    t1 = tau * k0 / (d - 1)
    ts = np.linspace(0.0, t1, 41)
    late = ts >= 0.75 * t1
    e = np.zeros(d)
    e[0] = 1.0
    backend = "spectral" if d == 2 else "auto"
    runs = []
    for i, q in enumerate(qs):
        R_start = br["R"][q] if br["R"][q] is not None else 0.5
        x0 = np.stack([sphere.uniform(N, d, seed=seed + 2 * i),
                       sphere.von_mises_fisher(N, e, vmf_concentration(R_start, d), seed=seed + 2 * i + 1)])
        model = AttentionModel(d, beta, normalization=norm, kappa=q * k0)
        sol = simulate(model, x0, t1, dt, method="strang", seed=seed + 100 + i, save_at=ts, backend=backend,
                       observables=["order_parameter"], save_states=False, progress=False)
        R = np.asarray(sol.observables["order_parameter"])          # (times, 2)
        runs.append({"q": q, "R_t": R, "uniform": float(R[late, 0].mean()),
                     "clustered": float(R[late, 1].mean())})
    return {"case": case, "k0": k0, "t1": t1, "tau": tau, "ts": ts, "runs": runs, "backend": backend, **br}


def _kuramoto_shape(d: int, q: float) -> float:
    return kuramoto_order_parameter(d * q, d)


def _stable_rows(rep: Report, res: dict, where: str, par: str) -> None:
    d, N = res["case"][0], res["case"][3]
    tol = _tolerance(N)
    dev, dev_foil, pairs = [], [], []
    for run in res["runs"]:
        q, R_branch = run["q"], res["R"][run["q"]]
        if q < 1:                                                  # the uniform state is stable
            level = uniform_level(N, d, q)
            dev.append(abs(run["uniform"] - level))
            dev_foil.append(abs(run["uniform"] - level))
            pairs.append(f"q = {q:g} uniform start {run['uniform']:.4f} (level {level:.4f})")
        if R_branch is not None:                                   # the clustered branch is stable
            dev.append(abs(run["clustered"] - R_branch))
            foil = _kuramoto_shape(d, q)
            dev_foil.append(abs(run["clustered"] - (foil if q > 1 else uniform_level(N, d, q))))
            pairs.append(f"q = {q:g} clustered start {run['clustered']:.4f} (branch {R_branch:.4f})")
    err, err_foil = max(dev), max(dev_foil)
    rep.add(check(
        f"particle diagram R(kappa) ({where}): the time-averaged R sits on the stable state of its start",
        "max |R - R_stable| <= 4/sqrt(N) + 6e-3 (stable branch of the continuation; uniform: "
        "E R = m_d/sqrt(N (1 - q)))",
        f"max |R - R_stable| = {err:.4f}; " + "; ".join(pairs), err <= tol, par, error=err, tolerance=tol,
        foil="the noisy Kuramoto shape with the same threshold, R = A_d(d q R)",
        foil_passed=bool(err_foil <= tol),
        foil_note=f"continuous, no bistability (max deviation from it {err_foil:.4f})",
        note="tolerance 4/sqrt(N) (fluctuations) + 6e-3 (Strang's bias: the largest change of the "
             "stationary R when halving dt, 0.005 at beta = 5, dt = 0.005, N = 1e5)"))


def _threshold_row(rep: Report, res: dict, where: str, par: str) -> None:
    d, norm, beta, N = res["case"][:4]
    k0 = res["k0"]
    level = 10 / math.sqrt(N)
    tau = res["tau"]
    q_seen = 1 / (1 - math.log(100) / tau)            # growth by 100 within t1 from q_seen on
    used = [r for r in res["runs"] if r["q"] < 1 or r["q"] >= q_seen]
    left = [r["q"] for r in used if r["uniform"] <= level]
    right = [r["q"] for r in used if r["uniform"] > level]
    if left and right and max(left) < min(right):
        lo, hi = max(left), min(right)
        measured, tol = 0.5 * (lo + hi) * k0, 0.5 * (hi - lo) * k0
    else:
        measured, tol = float("nan"), 0.0
    foil = noise_threshold(beta, d) if norm == "sa" else k0 / 2
    rep.add(compare(
        f"particle threshold ({where}): the uniform start leaves the O(N^-1/2) level at kappa_#", k0,
        measured, tol, par + "; leaves: late R > 10/sqrt(N) = " + f"{level:.3g}; late R from uniform: "
        + ", ".join(f"{r['uniform']:.3g} (q = {r['q']:g})" for r in res["runs"]),
        note="measured: the middle of the grid interval where the uniform start first leaves; tolerance "
             "half of it. Below kappa_#: P(R > 10/sqrt(N)) ~ e^{-100 (1 - q)}; above, the mode grows like "
             f"e^{{tau (1 - 1/q)}}, by 100 within t1 only for q >= 1/(1 - ln(100)/tau) = {q_seen:.3g}: grid "
             "points between 1 and that are not used (critical slowing down)",
        foil=foil, foil_note="the USA threshold" if norm == "sa" else
        "Mun-Rosenzweig's K_# read as kappa (their coupling K is kappa/2)"))


def _character_row(rep: Report, res: dict, where: str, par: str) -> None:
    d, norm, beta, N = res["case"][:4]
    continuous = _continuous(d, norm, beta)
    below = [r for r in res["runs"] if r["q"] < 1]
    q = max(r["q"] for r in below)
    run = next(r for r in below if r["q"] == q)
    bistable = run["clustered"] > _CLUSTERED and run["uniform"] <= 10 / math.sqrt(N)
    measured = "discontinuous" if bistable else "continuous"
    pred, other = ("continuous", "discontinuous") if continuous else ("discontinuous", "continuous")
    bs = "SA: every beta" if norm == "sa" else f"beta_* = {critical_beta(d):.4f}"
    rep.add(check(
        f"particle transition ({where}) is {pred} ({bs})",
        f"{pred}: " + ("the clustered start falls to the uniform level below kappa_#" if continuous else
                       "the clustered start stays clustered below kappa_# (bistable with the uniform start)"),
        f"{measured}: at q = {q:g} late R {run['clustered']:.4f} from the clustered start, "
        f"{run['uniform']:.4f} from the uniform one", measured == pred, par,
        foil=other, foil_passed=measured == other,
        foil_note="the other character of the transition",
        note="fold of the continuation at q = " + ("none (supercritical)" if res["fold"] is None else
                                                  f"{res['fold'] / res['k0']:.4f}")))


def add_claims(rep: Report, P: dict) -> list[dict]:
    """Rows 1-3 (module docstring) for each case of ``P["particle_diagrams"]``; returns the runs."""
    out = []
    for i, case in enumerate(P["particle_diagrams"]):
        d, norm, beta, N, dt, qs = case
        res = _run_case(case, P["diagram_tau"], seed=1000 * (i + 1))
        where = f"S^{d - 1}, {norm.upper()}, beta = {beta:g}"
        par = (f"N = {N}, Strang dt = {dt:g}, {res['backend']} drift, q = kappa/kappa_# in "
               f"{{{', '.join(f'{q:g}' for q in qs)}}}, t1 = {P['diagram_tau']:g} kappa_#/(d - 1) = "
               f"{res['t1']:.3g}, mean of R over the last quarter")
        _stable_rows(rep, res, where, par)
        _threshold_row(rep, res, where, par)
        _character_row(rep, res, where, par)
        out.append(res)
    return out
