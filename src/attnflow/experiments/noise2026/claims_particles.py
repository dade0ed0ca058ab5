"""Rows of the particle system dX_i = P_{X_i}(...) dt + sqrt(2/kappa) dB_i against the mean field.

USA, A = V = I, Strang splitting (weak order 2); on S^1 the drift is the spectral backend (O(N K)
per evaluation, so N = 1e5 is cheap). The stationary states at several beta are the particle
diagrams of :mod:`.claims_diagram`; here:

1. Transient: R(t) of particles from a von Mises start against the circle PDE from the same density
   (beta = 1, kappa = 4); tolerance 4 / sqrt(N) (fluctuations) plus 3e-3 (the scheme's bias at dt).
   Foil: the PDE with half the diffusion (kappa doubled: the Ito factor 1/2 counted twice).
2. Bistability at beta = 5, kappa = 0.195 (between the fold and kappa_#): particles from iid uniform
   stay below the unstable branch (the barrier), particles from the clustered state stay on it.
   Foil: no bistability (a continuous transition), the clustered start falling below the barrier.
3. Susceptibility below the threshold (derived in docs/theory/noise.md#fluctuations-below-the-threshold):
   the linearized empirical mode a = mean x obeys da = -(d - 1)(1/kappa - 1/kappa_#) a dt + dM with
   E|dM|^2 = 2 (d - 1) dt / (kappa N), so N E R^2 = 1 / (1 - kappa/kappa_#) (Ornstein-Zernike):
   2 at kappa = kappa_#/2. Measured on a batch of independent systems (beta = 1, S^1); tolerance
   4 standard errors of the batch means.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ive

from ... import sphere
from ...integrate import simulate
from ...meanfield import CircleSolver
from ...meanfield.stationary import Branch, StationaryStates
from ...model import AttentionModel
from ...theory import noise_threshold
from ..report import Report, check, compare

__all__ = ["add_claims", "vmf_concentration"]

_BIAS = 3e-3
#: step of the bistable runs at beta = 5 (stiffer than beta = 1: the cluster's drift rate is ~ e^beta)
_BISTABLE_DT = 0.005


def _tolerance(N: int) -> float:
    """4 / sqrt(N) (fluctuations of R) plus the scheme's bias at the steps used."""
    return float(4 / np.sqrt(N) + _BIAS)


def vmf_concentration(R: float, d: int) -> float:
    """s with I_{d/2}(s)/I_{d/2-1}(s) = R: the von Mises-Fisher law with mean resultant R."""
    return float(brentq(lambda s: ive(d / 2, s) / ive(d / 2 - 1, s) - R, 1e-9, 1e4, xtol=1e-12))


def _stable_state(states: StationaryStates, b: Branch, kappa: float) -> np.ndarray:
    stable = b.stable
    j = np.flatnonzero(stable)[np.argmin(np.abs(b.kappa[stable] - kappa))]
    return states.solve(kappa, b.coefficients[j])


def _order(model, x0, t1, dt, seed, ts, backend):
    sol = simulate(model, x0, t1, dt, method="strang", seed=seed, save_at=ts, backend=backend,
                   observables=["order_parameter"], save_states=False, progress=False)
    return sol.observables["order_parameter"]


def _transient_row(rep: Report, P: dict) -> dict:
    beta, kappa, N = 1.0, 4.0, P["n_circle"]
    x0 = sphere.von_mises_fisher(N, np.array([1.0, 0.0]), 0.5, seed=3)
    ts = np.linspace(0.0, 2.0, 9)
    R = _order(AttentionModel(2, beta, normalization="usa", kappa=kappa), x0, 2.0, 0.02, 1, ts, "spectral")
    pde = CircleSolver(beta, 128, "usa", kappa=kappa).solve(
        lambda th: np.exp(0.5 * np.cos(th)) / (2 * np.pi * ive(0, 0.5) * np.exp(0.5)), 2.0, ts)
    R_pde = np.abs(pde.fourier(1)[:, 1])
    free = CircleSolver(beta, 128, "usa", kappa=2 * kappa).solve(
        lambda th: np.exp(0.5 * np.cos(th)) / (2 * np.pi * ive(0, 0.5) * np.exp(0.5)), 2.0, ts)
    R_free = np.abs(free.fourier(1)[:, 1])
    err, err_foil, tol = float(np.abs(R - R_pde).max()), float(np.abs(R - R_free).max()), _tolerance(N)
    rep.add(check("particles follow the noisy mean-field PDE: max_t |R_particles(t) - R_pde(t)|",
                  f"<= {tol:.3g} (4/sqrt(N) + 3e-3)", f"{err:.4g} (R(2): particles {R[-1]:.4f}, PDE "
                  f"{R_pde[-1]:.4f})", err <= tol,
                  f"S^1, USA, beta = {beta:g}, kappa = {kappa:g}, N = {N} (spectral drift, Strang "
                  "dt = 0.02), "
                  "circle PDE M = 128 from the same von Mises density (concentration 0.5), t in [0, 2]",
                  error=err, tolerance=tol,
                  foil="the PDE with the diffusion halved, kappa^{-1}/2 Delta (the Ito factor 1/2 counted "
                       "twice)",
                  foil_passed=bool(err_foil <= tol),
                  foil_note=f"max_t |R_particles - R_foil| = {err_foil:.4g} (R(2) = {R_free[-1]:.4f})"))
    return {"t": ts, "R": R, "R_pde": R_pde}


def _bistable_row(rep: Report, P: dict, states: StationaryStates, b: Branch) -> dict:
    beta, kappa, N, T = 5.0, 0.195, P["bistable_n"], P["bistable_time"]
    model = AttentionModel(2, beta, normalization="usa", kappa=kappa)
    upper = states.order_parameter(_stable_state(states, b, kappa))
    unstable = ~b.stable
    j = np.flatnonzero(unstable)[np.argmin(np.abs(b.kappa[unstable] - kappa))]
    barrier = float(b.R[j])
    ts = np.linspace(0.0, T, 21)
    R_low = _order(model, sphere.uniform(N, 2, seed=21), T, _BISTABLE_DT, 5, ts, "spectral")
    x_high = sphere.von_mises_fisher(N, np.array([1.0, 0.0]), vmf_concentration(upper, 2), seed=22)
    R_high = _order(model, x_high, T, _BISTABLE_DT, 6, ts, "spectral")
    late = ts >= T / 2
    ok = bool(R_low.max() < barrier and abs(R_high[late].mean() - upper) < _tolerance(N))
    rep.add(check(
        f"particles are bistable between the fold and kappa_# (beta = 5, kappa = {kappa:g})",
        f"from uniform: R stays below the unstable branch R = {barrier:.3f}; from clustered: R = {upper:.4f}",
        f"max R from uniform {R_low.max():.3f}; late mean R from clustered {R_high[late].mean():.4f}",
        ok, f"S^1, USA, N = {N}, spectral drift, Strang dt = {_BISTABLE_DT:g}, t in [0, {T:g}]",
        foil="no bistability (continuous transition): the clustered start falls below the barrier",
        foil_passed=bool(R_high[late].mean() < barrier),
        foil_note="the stationary state below kappa_# unique (uniform), as for beta < beta_*",
        note="dt = 0.005: at dt = 0.01 the splitting's bias lowers the clustered R by 0.04 (N = 4000, "
             "measured "
             "0.773 against 0.812 at dt = 0.005; the cluster's drift rate is ~ e^beta)"))
    return {"t": ts, "R_low": R_low, "R_high": R_high, "upper": upper, "barrier": barrier}


def _susceptibility_row(rep: Report, P: dict) -> dict:
    beta, B, N, T = 1.0, P["chi_batch"], P["chi_n"], P["chi_time"]
    k0 = noise_threshold(beta, 2)
    kappa = 0.5 * k0
    model = AttentionModel(2, beta, normalization="usa", kappa=kappa)
    ts = np.arange(0.0, T + 1e-9, 0.5)
    R = _order(model, sphere.uniform(N, 2, seed=31, batch=B), T, 0.05, 8, ts, "spectral")
    keep = ts >= 5.0                         # 5 relaxation times of |a|^2 (rate 2(1/kappa - 1/kappa_#) = 1.1)
    members = N * (R[keep] ** 2).mean(axis=0)                       # (B,)
    chi = float(members.mean())
    err = float(members.std(ddof=1) / np.sqrt(B))
    rep.add(compare("fluctuations below the threshold: N E R^2 = 1 / (1 - kappa/kappa_#) (derived here), "
                    "at kappa = kappa_#/2", 2.0, chi, 4 * err,
                    f"S^1, USA, beta = {beta:g}, {B} systems of N = {N} from iid uniform, Strang dt = 0.05, "
                    f"saves every 0.5 over t in [5, {T:g}]; tolerance 4 standard errors of the member means",
                    foil=1.0, foil_note="independent tokens (no attention): N E R^2 = 1",
                    note=f"measured {chi:.3f} +- {err:.3f}; the threshold read from it: "
                         "kappa/(1 - 1/(N E R^2)) = "
                         f"{kappa / (1 - 1 / chi):.4g} (kappa_# = {k0:.4g})"))
    return {"members": members, "chi": chi, "err": err}


def add_claims(rep: Report, P: dict, subcritical: tuple[StationaryStates, Branch]) -> dict:
    """Rows 1-3 (module docstring). ``subcritical``: the beta = 5 branch on S^1."""
    return {"transient": _transient_row(rep, P),
            "bistable": _bistable_row(rep, P, *subcritical), "susceptibility": _susceptibility_row(rep, P)}
