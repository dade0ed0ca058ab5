"""[B]'s PDE experiment from the authors' notebook: the noisy uniform profile (their Fig. 4 setting)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import theory
from ...meanfield import CircleSolver, ResolutionWarning
from .settings import BETA, IID_K, PDE_NODES, PDE_NOISE, THRESHOLD

__all__ = ["notebook_pde"]


def notebook_pde(M: int, seed: int, K0: int = 24) -> tuple[Any, np.ndarray, int]:
    """[B]'s PDE experiment: u_0 = 1/(2 pi) + 0.01 N(0, 1) per node on 10^4 nodes, beta = 5, T = 0.5.

    The noise is projected onto the modes k <= K0 (the higher ones barely grow: gamma_k < 1e-3
    gamma_max for k > 20 at beta = 5) and resampled on M nodes; attnflow's pseudo-spectral
    solver replaces the notebook's Lax-Friedrichs scheme and stops when the density
    concentrates beyond its resolution (tail_tol 1e-3). Returns the solution, the predicted
    cluster angles (2 pi m - arg rho_hat_kmax(0)) / k_max, and the mode leading when the largest
    amplitude first reaches THRESHOLD (0 if it never does).
    """
    rng = np.random.default_rng(seed)
    u0 = 1 / (2 * np.pi) + PDE_NOISE * rng.standard_normal(PDE_NODES)
    c = np.fft.rfft(u0)[: K0 + 1] * (M / PDE_NODES)
    rho0 = np.fft.irfft(c, n=M)
    solver = CircleSolver(BETA, M, "usa", tail_tol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResolutionWarning)
        sol = solver.solve(rho0, 0.5, np.linspace(0, 0.5, 101), normalize=True)
    rho_hat = sol.fourier(IID_K)
    km = theory.k_max(BETA, 2)
    pred = theory.mode_maxima(rho_hat[0, km], km)
    amps = np.abs(rho_hat[:, 1:])
    hit = np.flatnonzero(amps.max(axis=1) >= THRESHOLD)
    lead = int(np.argmax(amps[hit[0]])) + 1 if hit.size else 0
    return sol, pred, lead
