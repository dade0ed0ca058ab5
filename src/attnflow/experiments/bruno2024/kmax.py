"""[B] k_max and the growth rates from near-uniform starts: the runs behind rows 1-2.

The mean-field PDE (:class:`~attnflow.meanfield.CircleSolver` on S^1,
:class:`~attnflow.meanfield.ZonalSolver` on S^2) from the uniform density plus a perturbation of
equal size in every mode 1..K, and particles started from a lattice (S^1) or a ring lattice
(S^2) displaced by the same perturbation; the rate of every mode is fitted over
gamma_max t in [0, FIT_SPAN].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import analysis, sphere, theory
from ...integrate import simulate
from ...meanfield import CircleSolver, ZonalSolver
from ...model import AttentionModel
from ...theory import zonal_harmonics
from .settings import BETA, EPS_PARTICLES, EPS_PDE, FIT_SPAN, Config

__all__ = ["kmax_study"]


def _modes_K(beta: float, d: int) -> int:
    return max(8, 2 * theory.k_max(beta, d) + 2)


def _fitted_rates(t: np.ndarray, amps: np.ndarray) -> np.ndarray:
    """Least-squares exponential rate of every column over the whole run."""
    rates = np.full(amps.shape[1], np.nan)
    for j in range(amps.shape[1]):
        try:
            rates[j] = analysis.fit_growth(t, amps[:, j], window=(t[0], t[-1])).rate
        except ValueError:
            pass
    return rates


def _pde_circle(beta: float, seed: int = 0, normalization: str = "usa") -> np.ndarray:
    """Fitted rates of modes 1..K in the S^1 PDE from (1 + eps sum_k cos(k theta + phi_k)) / 2 pi."""
    K = _modes_K(beta, 2)
    gmax = float(theory.growth_rates(beta, 2, K, normalization).max())
    T = FIT_SPAN / gmax
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, K)
    k = np.arange(1, K + 1)

    def rho0(th):
        return (1 + EPS_PDE * np.cos(np.outer(th, k) + phase).sum(axis=1)) / (2 * np.pi)

    M = max(128, 2 * math.ceil((3 * K + 3) / 2))
    sol = CircleSolver(beta, M, normalization, tail_tol=1e-6).solve(rho0, T, np.linspace(0, T, 16))
    return _fitted_rates(sol.t, np.abs(sol.fourier(K))[:, 1:])


def _pde_sphere(beta: float, seed: int = 0) -> np.ndarray:
    """Fitted rates of degrees 1..K in the zonal S^2 PDE from f = 1 + eps sum_k s_k P_k(cos phi)."""
    K = _modes_K(beta, 3)
    gmax = float(theory.growth_rates(beta, 3, K).max())
    T = FIT_SPAN / gmax
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], K)

    def f0(phi):
        return 1 + EPS_PDE * (zonal_harmonics(np.cos(phi), K, 3)[:, 1:] * signs).sum(axis=1)

    solver = ZonalSolver(beta, 3, 3 * K + 3, "usa", tail_tol=1e-6)
    sol = solver.solve(f0, T, np.linspace(0, T, 16))
    return _fitted_rates(sol.t, np.abs(sol.coefficients[:, 1:K + 1]))


def _circle_lattice(N: int, K: int, eps: float, seed: int) -> np.ndarray:
    """N equally spaced angles displaced so that the density is (1 + eps sum cos(k theta + phi_k)) / 2 pi.

    theta = u + delta(u) with delta = -eps sum_k sin(k u + phi_k) / k has density
    (1 - delta'(u)) / 2 pi to first order. The lattice itself has no Fourier content below N.
    """
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, K)
    k = np.arange(1, K + 1)
    u = 2 * np.pi * (np.arange(N) + 0.5) / N
    return u - eps * (np.sin(np.outer(u, k) + phase) / k).sum(axis=1)


def _ring_lattice(n_rings: int, n_az: int, K: int, eps: float, seed: int) -> np.ndarray:
    """Points on S^2 whose polar density is 1 + eps sum_k s_k P_k(cos phi) (relative to sigma).

    t = cos phi is uniform on [-1, 1] under sigma; the rings sit at the midpoint quantiles
    u_i displaced by -eps sum_k s_k (P_{k+1} - P_{k-1})(u_i) / (2k + 1) (first-order inverse of
    the perturbed CDF), each carrying n_az equally spaced points (no azimuthal content below
    n_az; alternate rings are turned by half a spacing).
    """
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], K)
    u = -1 + (2 * np.arange(n_rings) + 1) / n_rings
    P = zonal_harmonics(u, K + 1, 3)
    corr = sum(signs[j] * (P[:, j + 2] - P[:, j]) / (2 * j + 3) for j in range(K))
    t = np.clip(u - eps * corr, -1.0, 1.0)
    s = np.sqrt(1 - t * t)
    az = 2 * np.pi * np.arange(n_az) / n_az + (np.arange(n_rings) % 2)[:, None] * np.pi / n_az
    x = np.stack([s[:, None] * np.cos(az), s[:, None] * np.sin(az), np.repeat(t[:, None], n_az, 1)], -1)
    x = x.reshape(-1, 3)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _particles_rates(beta: float, d: int, cfg: Config, seed: int = 0, normalization: str = "usa"
                     ) -> tuple[np.ndarray, int]:
    """Fitted rates of modes 1..K of a perturbed lattice (S^1) or ring lattice (S^2), rk4."""
    K = _modes_K(beta, d) if d == 2 else max(8, theory.k_max(beta, 3) + 4)
    gmax = float(theory.growth_rates(beta, d, K, normalization).max())
    T = FIT_SPAN / gmax
    if d == 2:
        x0 = sphere.angles_to_points(_circle_lattice(cfg.lattice_n, K, EPS_PARTICLES, seed))
    else:
        n_az = max(K + 1, math.ceil(4.5 * math.sqrt(beta)))   # resolve the kernel's azimuthal width
        x0 = _ring_lattice(cfg.rings, n_az, K, EPS_PARTICLES, seed)
    model = AttentionModel(d=d, beta=beta, normalization=normalization)
    sol = simulate(model, x0, T, T / 30, "rk4", save_at=np.linspace(0, T, 16))
    return _fitted_rates(sol.t, analysis.mode_amplitudes(sol, K)), x0.shape[0]


def kmax_study(cfg: Config) -> dict[str, Any]:
    """k_max and the fitted rates against beta, d = 2 and 3, PDE and particles.

    Returns ``{"d2": ..., "d3": ...}`` (betas, theory, pde, particles (-1: not run), pde_err,
    particles_err = |fitted gamma_kmax / gamma_kmax - 1|, particles_N) and the fitted rates of
    k_max at beta = BETA (``rate_pde_d2``, ``rate_particles_d2``, ``rate_pde_d3``, ...), and of the
    same runs with SA on S^1 (``rate_sa_pde_d2``, ``rate_sa_particles_d2``); the fitted rates of all
    modes 1..K at beta = BETA on S^1 (``gamma_k_pde_d2``, ``gamma_k_particles_d2``).
    """
    out: dict[str, Any] = {}
    km = theory.k_max(BETA, 2)
    out["rate_sa_pde_d2"] = float(_pde_circle(BETA, normalization="sa")[km - 1])
    out["rate_sa_particles_d2"] = float(_particles_rates(BETA, 2, cfg, normalization="sa")[0][km - 1])
    for d, betas in ((2, cfg.betas2), (3, cfg.betas3)):
        theo, pde, part, pde_err, part_err, sizes = [], [], [], [], [], []
        for beta in betas:
            km = theory.k_max(beta, d)
            gamma = theory.growth_rates(beta, d, km)
            theo.append(km)
            r = _pde_circle(beta) if d == 2 else _pde_sphere(beta)
            pde.append(int(np.nanargmax(r)) + 1)
            pde_err.append(abs(r[km - 1] / gamma[km] - 1))
            rp = None
            if d == 2 or beta in cfg.betas3_particles:
                rp, n = _particles_rates(beta, d, cfg)
                part.append(int(np.nanargmax(rp)) + 1)
                part_err.append(abs(rp[km - 1] / gamma[km] - 1))
                sizes.append(n)
            else:
                part.append(-1)
                part_err.append(np.nan)
                sizes.append(0)
            if beta == BETA:
                if d == 2:                               # every mode's rate, for the gamma_k figure
                    out["gamma_k_pde_d2"], out["gamma_k_particles_d2"] = r, rp
                out[f"rate_pde_d{d}"] = float(r[km - 1])
                out[f"rate_particles_d{d}"] = float(rp[km - 1]) if rp is not None else np.nan
        out[f"d{d}"] = {"betas": np.asarray(betas, float), "theory": np.asarray(theo),
                        "pde": np.asarray(pde), "particles": np.asarray(part),
                        "pde_err": np.asarray(pde_err), "particles_err": np.asarray(part_err),
                        "particles_N": np.asarray(sizes)}
    return out
