"""Rows of the threshold kappa_# read from the particles' fluctuations below it (Ornstein-Zernike).

Below the threshold the empirical mode a = mean of the tokens obeys, linearized at the uniform
state, da = -(d - 1)(1/kappa - 1/kappa_#) a dt + dM with E|dM|^2 = 2 (d - 1) dt / (kappa N)
(docs/theory/noise.md#fluctuations-below-the-threshold), so that

    1 / (N E R^2) = 1 - kappa / kappa_#,

a straight line in kappa whose zero is kappa_#, for USA and SA alike (kappa_# = (d - 1)/gamma_1, the
rate of the degree-1 mode of each normalization). Measured: N E R^2 on a batch of independent
systems from iid uniform starts at q = kappa/kappa_# in ``P["oz_qs"]``, time-averaged after eight
relaxation times of |a|^2 (rate 2 (d - 1)(1/kappa - 1/kappa_#)) and over a window of
``P["oz_span"]`` relaxation times; a weighted line through (kappa, 1/(N E R^2)) gives the particle
threshold -intercept/slope, with its standard error from the fit (delta method). Unlike the grid
bracket of the particle diagrams (claims_diagram), this needs no run near kappa_#, where the
relaxation is critically slow.

Tolerance: 4 standard errors (the members are independent), plus 2 % of kappa_# for the O(R^2)
nonlinear and O(1/N) corrections of the linear law (N E R^2 <= 3.3 here, so R^2 <= 3.3/N). Foils:
Mun-Rosenzweig's coupling K_# read as kappa (kappa_#/2) for USA, the USA threshold for SA.
"""

from __future__ import annotations

import math

import numpy as np

from ... import sphere
from ...integrate import simulate
from ...model import AttentionModel
from ...theory import noise_threshold
from ..report import Report, compare

__all__ = ["add_claims", "zero_crossing"]

#: allowance for the corrections to the linear law, relative to kappa_#
_MODEL = 0.02


def zero_crossing(kappa: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """Zero of the weighted least-squares line y = a + b kappa and its standard error (delta method).

    kappa, y, se: shape (m,), m >= 2; weights 1/se^2.
    """
    w = 1.0 / np.asarray(se, dtype=float) ** 2
    X = np.stack([np.ones_like(kappa), kappa], axis=1)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    a, b = cov @ (X.T @ (w * y))
    k = -a / b
    grad = np.array([-1.0 / b, a / b**2])
    return float(k), float(math.sqrt(grad @ cov @ grad))


def _chi(d: int, norm: str, beta: float, q: float, P: dict, seed: int) -> tuple[float, float]:
    """N E R^2 (batch mean) and its standard error at kappa = q kappa_#."""
    k0 = noise_threshold(beta, d, norm)
    kappa = q * k0
    rate = 2 * (d - 1) * (1 / kappa - 1 / k0)
    t0, t1 = 8 / rate, (8 + P["oz_span"]) / rate
    dt = min(0.05, 0.1 / rate)
    ts = np.linspace(t0, t1, int(P["oz_span"] * 4) + 1)
    model = AttentionModel(d, beta, normalization=norm, kappa=kappa)
    x0 = sphere.uniform(P["oz_n"], d, seed=seed, batch=P["oz_batch"])
    sol = simulate(model, x0, t1, dt, method="strang", seed=seed + 1, save_at=np.concatenate([[0.0], ts]),
                   backend="spectral", observables=["order_parameter"], save_states=False, progress=False)
    R = np.asarray(sol.observables["order_parameter"])[1:]          # (times, batch)
    members = P["oz_n"] * (R**2).mean(axis=0)
    return float(members.mean()), float(members.std(ddof=1) / math.sqrt(members.size))


def add_claims(rep: Report, P: dict) -> list[dict]:
    """One row per case of ``P["oz_cases"]`` (module docstring); returns the measured points."""
    out = []
    for i, (d, norm, beta) in enumerate(P["oz_cases"]):
        k0 = noise_threshold(beta, d, norm)
        qs = np.array(P["oz_qs"])
        chis = [_chi(d, norm, beta, float(q), P, seed=500 + 10 * i + j) for j, q in enumerate(qs)]
        chi, err = np.array([c[0] for c in chis]), np.array([c[1] for c in chis])
        y, se = 1 / chi, err / chi**2
        measured, sd = zero_crossing(qs * k0, y, se)
        tol = 4 * sd + _MODEL * k0
        foil = noise_threshold(beta, d) if norm == "sa" else k0 / 2
        pts = ", ".join(f"q = {q:g}: {c:.3f} +- {e:.3f} (1/(1 - q) = {1 / (1 - q):.3f})"
                        for q, c, e in zip(qs, chi, err, strict=True))
        rep.add(compare(
            f"threshold from the fluctuations (S^{d - 1}, {norm.upper()}, beta = {beta:g}): the zero of "
            "1/(N E R^2) = 1 - kappa/kappa_# is kappa_#", k0, measured, tol,
            f"{P['oz_batch']} systems of N = {P['oz_n']} per kappa from iid uniform, Strang, spectral drift, "
            f"R^2 averaged over {P['oz_span']:g} relaxation times after 8; N E R^2 at {pts}",
            note=(f"weighted line through (kappa, 1/(N E R^2)); zero {measured:.4g} +- {sd:.2g} "
                  "(standard error, delta method); tolerance 4 standard errors + 2 % of kappa_# (corrections "
                  "to the linear law of order R^2 and 1/N); no run near kappa_#, where relaxation is "
                  "critically slow"),
            foil=foil, foil_note="the USA threshold" if norm == "sa" else
            "Mun-Rosenzweig's K_# read as kappa (their coupling K is kappa/2)"))
        out.append({"case": (d, norm, beta), "q": qs, "chi": chi, "err": err, "kappa": measured, "sd": sd})
    return out
