"""[C] Prop. 2.1: non-Dirac stationary configurations are unstable (rows group 5).

The top eigenvalue of the Riemannian Hessian of the USA energy
(:func:`attnflow.theory.hessian_top_eigenvalue`) is > 0 at k-gons, Platonic solids, the
cross-polytope and antipodal atoms, and <= 0 (= 0, the rotation) at a single cluster.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...model import AttentionModel
from ...theory import energy_gradient, hessian_top_eigenvalue
from ..report import Report, check
from . import figures
from .settings import Settings

__all__ = ["add_claims"]


def _platonic(name: str) -> np.ndarray:
    if name == "tetrahedron":
        v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    elif name == "octahedron":
        v = np.vstack([np.eye(3), -np.eye(3)])
    elif name == "cube":
        v = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], dtype=float)
    else:                                 # icosahedron
        g = (1 + math.sqrt(5)) / 2
        v = np.array([[0, s1, s2 * g] for s1 in (-1, 1) for s2 in (-1, 1)], dtype=float)
        v = np.vstack([v, np.roll(v, 1, axis=1), np.roll(v, 2, axis=1)])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _kgon(k: int, d: int) -> np.ndarray:
    th = 2 * np.pi * np.arange(k) / k
    x = np.zeros((k, d))
    x[:, 0], x[:, 1] = np.cos(th), np.sin(th)
    return x


def add_claims(rep: Report, cfg: Settings, out: Path) -> dict:
    """Add the rows of group 5 to ``rep``, draw chen2025_hessian.png into ``out``; return the eigenvalues."""
    configs: list[tuple[str, np.ndarray, bool]] = []
    for d in (2, 3):
        for k in (2, 3, 4, 6):
            configs.append((f"{k} equispaced points on a great circle, d = {d}", _kgon(k, d), True))
    for name in ("tetrahedron", "octahedron", "cube", "icosahedron"):
        configs.append((f"regular {name} on S^2", _platonic(name), True))
    configs.append(("cross-polytope (+-e_i) on S^3", np.vstack([np.eye(4), -np.eye(4)]), True))
    e = np.array([1.0, 0.0, 0.0])
    configs.append(("7 atoms at e, 3 at -e, d = 3", np.array([e] * 7 + [-e] * 3), True))
    configs.append(("two clusters of 4 on a great circle at angle pi, d = 3",
                    np.array([e] * 4 + [-e] * 4), True))
    configs.append(("single cluster (5 tokens at one point), d = 3", np.array([e] * 5), False))
    configs.append(("single cluster (5 tokens at one point), d = 2", np.array([[1.0, 0.0]] * 5), False))
    res: dict = {"names": [], "top": []}
    for name, x, unstable in configs:
        tops, grads = [], []
        for beta in cfg.hess_betas:
            model = AttentionModel(d=x.shape[1], beta=beta, normalization="usa")
            tops.append(hessian_top_eigenvalue(model, x))
            scale = math.exp(beta) / x.shape[0]
            grads.append(float(np.abs(energy_gradient(model, x)).max()) / scale)
        tops = np.asarray(tops)
        scale = np.array([math.exp(b) / x.shape[0] ** 2 for b in cfg.hess_betas])
        rel = tops / scale
        res["names"].append(name)
        res["top"].append(rel)
        par = (f"beta in {cfg.hess_betas}, USA energy E = (1/(2 beta N^2)) sum e^(beta <x_i,x_j>); "
               f"stationary: max norm(grad_i E) / (e^beta/N) = {max(grads):.1e}")
        if unstable:
            rep.add(check(f"Hessian: {name} is unstable", "top eigenvalue > 0 for every beta",
                          f"min over beta of lambda_max N^2 e^-beta = {rel.min():.4g}",
                          bool(rel.min() > 1e-10 and max(grads) < 1e-12), par,
                          note="Prop. 2.1 (d >= 3, any beta > 0: local maxima are Diracs); for d = 2 the "
                               "same sign is measured, not claimed by the paper",
                          foil="a local maximum (top eigenvalue <= 0)",
                          foil_passed=bool(rel.max() <= 1e-10 and max(grads) < 1e-12),
                          foil_note="the same eigenvalues judged by the local-maximum rule"))
        else:
            rep.add(check(f"Hessian: {name} is a local maximum", "top eigenvalue <= 0 (0 = rotation)",
                          f"max over beta of lambda_max N^2 e^-beta = {rel.max():.3g}",
                          bool(rel.max() <= 1e-10 and max(grads) < 1e-12), par,
                          note="the joint rotation of all tokens is an exact zero mode",
                          foil="unstable (top eigenvalue > 0)",
                          foil_passed=bool(rel.min() > 1e-10 and max(grads) < 1e-12),
                          foil_note="the same eigenvalues judged by the instability rule"))
    figures.hessian(res, cfg.hess_betas, out / "chen2025_hessian.png")
    return res

