r"""[C] Lemmas 3.2-3.3: the first and second variation of the interaction energy (rows group 8).

[C] state a "First Variation Formula for E_phi" (Lemma 3.2) and a "Second Variation Formula"
(Lemma 3.3); only the titles could be read (docs/theory/energy-landscape.md#sources). The formulas
below are derived here for the energy of a weighted empirical measure mu = sum_i w_i delta_{x_i}
on S^{d-1} and a smooth kernel phi,

    E_phi[mu] = (1/2) sum_{i,j} w_i w_j phi(<x_i, x_j>),

moved along geodesics, x_i(t) = cos(t |v_i|) x_i + sin(t |v_i|) v_i / |v_i| with v_i tangent at x_i
(so x_i' = v_i and x_i'' = -|v_i|^2 x_i at t = 0). With s_ij = <x_i, x_j>,
s_ij' = <v_i, x_j> + <x_i, v_j> and s_ij'' = 2 <v_i, v_j> - (|v_i|^2 + |v_j|^2) s_ij:

    dE/dt   = sum_{i,j} w_i w_j phi'(s_ij) <v_i, x_j>
            = sum_i w_i <v_i, grad_i>,  grad_i = sum_j w_j phi'(s_ij) P_{x_i} x_j,
    d2E/dt2 = (1/2) sum_{i,j} w_i w_j [ phi''(s_ij) (s_ij')^2 + phi'(s_ij) s_ij'' ].

For phi(s) = e^{beta s} / beta and w_i = 1/N, grad_i is the USA velocity of token i: the flow is
the Wasserstein gradient ascent of E_phi (docs/theory/energy-landscape.md). The curvature term
-(|v_i|^2 + |v_j|^2) s_ij of s'' is what the sphere adds to the flat second variation.

Rows: each formula against a Richardson-extrapolated central difference of E_phi along the
geodesics, worst relative error over random weighted configurations, kernels and dimensions.
Foils: the first variation without the factor 2 of the symmetric double sum, and the flat second
variation (curvature term dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ... import sphere
from ...backends import velocity
from ...manifolds import Sphere
from ...model import AttentionModel
from ..report import Report, check
from .settings import Settings

__all__ = ["add_claims", "energy", "first_variation", "second_variation"]

#: a kernel as (phi, phi', phi'')
Kernel = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray],
               Callable[[np.ndarray], np.ndarray]]

#: finite-difference step of the variations (Richardson over h, h/2); |v_i| <= 1
_H = 2e-3
#: tolerance of the relative error: the extrapolated differences are accurate to ~(beta h)^4 ~ 4e-9
#: (beta <= 4, |v_i| <= 1) and to rounding eps |E| / h^2 ~ 3e-11
_TOL = 1e-6


def _kernels() -> dict[str, Kernel]:
    out: dict[str, Kernel] = {}
    for beta in (1.0, 4.0):
        out[f"e^(beta s)/beta, beta = {beta:g}"] = (
            lambda s, b=beta: np.exp(b * s) / b, lambda s, b=beta: np.exp(b * s),
            lambda s, b=beta: b * np.exp(b * s))
    out["s^3/3 + s^2/2"] = (lambda s: s**3 / 3 + s**2 / 2, lambda s: s**2 + s, lambda s: 2 * s + 1)
    return out


def energy(phi: Callable[[np.ndarray], np.ndarray], x: np.ndarray, w: np.ndarray) -> float:
    """E_phi = (1/2) sum_ij w_i w_j phi(<x_i, x_j>), x (n, d), w (n,)."""
    return float(0.5 * w @ phi(x @ x.T) @ w)


def first_variation(kernel: Kernel, x: np.ndarray, v: np.ndarray, w: np.ndarray) -> float:
    """dE/dt at t = 0 along the geodesics x_i(t) (module docstring)."""
    _, d1, _ = kernel
    return float(np.einsum("i,j,ij,ij->", w, w, d1(x @ x.T), v @ x.T))


def second_variation(kernel: Kernel, x: np.ndarray, v: np.ndarray, w: np.ndarray, *,
                     curvature: bool = True) -> float:
    """d2E/dt2 at t = 0 along the geodesics (``curvature=False``: the flat formula, the foil)."""
    _, d1, d2 = kernel
    s = x @ x.T
    ds = v @ x.T + x @ v.T
    vv = (v * v).sum(axis=1)
    dds = 2 * (v @ v.T) - (curvature * (vv[:, None] + vv[None, :])) * s
    return float(0.5 * w @ (d2(s) * ds**2 + d1(s) * dds) @ w)


def _fd(f: Callable[[float], float], order: int) -> float:
    """Central difference of f at 0 (order 1 or 2), Richardson-extrapolated over h and h/2."""
    def diff(h: float) -> float:
        return (f(h) - f(-h)) / (2 * h) if order == 1 else (f(h) - 2 * f(0.0) + f(-h)) / h**2
    return (4 * diff(_H / 2) - diff(_H)) / 3


def _cases(seed: int = 7):
    rng = np.random.default_rng(seed)
    for d in (3, 5):
        for kname, kernel in _kernels().items():
            for _ in range(3):
                n = 12
                x = sphere.uniform(n, d, rng)
                w = rng.dirichlet(np.ones(n))
                v = sphere.tangent_project(x, rng.standard_normal((n, d)))
                v *= rng.uniform(0.5, 1.0, (n, 1)) / np.linalg.norm(v, axis=1, keepdims=True)
                yield d, kname, kernel, x, v, w


def add_claims(rep: Report, cfg: Settings, out: Path) -> dict:
    """Add the rows of group 9 to ``rep``; return the relative errors (formula, foil) per lemma."""
    err1, foil1, err2, foil2 = [], [], [], []
    for _, _, kernel, x, v, w in _cases():
        def e_along(t: float, x=x, v=v, w=w, phi=kernel[0]) -> float:
            return energy(phi, Sphere(x.shape[1]).exp(x, t * v), w)

        m1, m2 = _fd(e_along, 1), _fd(e_along, 2)
        p1, p2 = first_variation(kernel, x, v, w), second_variation(kernel, x, v, w)
        f2 = second_variation(kernel, x, v, w, curvature=False)
        err1.append(abs(m1 - p1) / abs(p1))
        foil1.append(abs(m1 - p1 / 2) / abs(p1 / 2))
        err2.append(abs(m2 - p2) / abs(p2))
        foil2.append(abs(m2 - f2) / abs(f2))
    # the first variation's gradient is the USA velocity (phi = e^{beta s}/beta, w = 1/N)
    rng = np.random.default_rng(11)
    x = sphere.uniform(30, 4, rng)
    beta = 2.0
    grad = sphere.tangent_project(x, (np.exp(beta * (x @ x.T)) / x.shape[0]) @ x)
    usa = velocity(AttentionModel(4, beta, normalization="usa"), x)
    model_err = float(np.abs(grad - usa).max() / np.abs(grad).max())
    n_cases = len(err1)
    par = (f"{n_cases} cases: d = 3, 5; kernels {list(_kernels())}; 12 points with Dirichlet weights and "
           f"random tangent v (0.5 <= |v_i| <= 1); central differences of E_phi along the geodesics, "
           f"Richardson over h = {_H:g}, {_H / 2:g}")
    rep.add(check("Lemma 3.2 (first variation of E_phi, formula derived here): dE/dt = sum w_i w_j "
                  "phi'(<x_i, x_j>) <v_i, x_j>", "relative error <= 1e-6",
                  f"worst relative error {max(err1):.2g}", max(err1) <= _TOL, par,
                  error=max(err1), tolerance=_TOL,
                  note=("tolerance 1e-6: the extrapolated difference is accurate to ~(beta h)^4 and to "
                        "eps |E| / h; the gradient sum_j w_j phi'(s_ij) P_x x_j with phi = e^(beta s)/beta, "
                        f"w = 1/N equals attnflow's USA velocity to {model_err:.1e} (relative, beta = 2, "
                        "d = 4, N = 30)"),
                  foil="half of it (the symmetric double sum counted once)",
                  foil_passed=max(foil1) <= _TOL,
                  foil_note=f"the foil misses the differences by a relative {min(foil1):.2g} at best"))
    rep.add(check("Lemma 3.3 (second variation of E_phi, formula derived here): d2E/dt2 = (1/2) sum w_i w_j "
                  "[phi'' (s')^2 + phi' (2 <v_i, v_j> - (|v_i|^2 + |v_j|^2) s)]", "relative error <= 1e-6",
                  f"worst relative error {max(err2):.2g}", max(err2) <= _TOL, par,
                  error=max(err2), tolerance=_TOL,
                  note="tolerance 1e-6: the extrapolated second difference is accurate to ~(beta h)^4 "
                       "~ 4e-9 and to eps |E| / h^2 ~ 3e-11",
                  foil="the flat second variation (the sphere's curvature term dropped)",
                  foil_passed=max(foil2) <= _TOL,
                  foil_note=f"the flat formula misses the differences by a relative {min(foil2):.2g} at "
                            "best"))
    res = {"first": np.array(err1), "second": np.array(err2), "first_foil": np.array(foil1),
           "second_foil": np.array(foil2), "model": model_err}
    _draw(res, out / "chen2025_variation.png")
    return res


def _draw(res: dict, path: Path) -> None:
    """Relative error of each formula and of its foil against the finite differences, per case."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, key, title, foil in ((axes[0], "first", "Lemma 3.2: first variation", "counted once"),
                                 (axes[1], "second", "Lemma 3.3: second variation", "flat (no curvature)")):
        k = np.arange(res[key].size)
        ax.semilogy(k, res[key], "o", color="C0", label="formula derived here")
        ax.semilogy(k, res[f"{key}_foil"], "x", color="C3", label=f"foil: {foil}")
        ax.axhline(_TOL, color="gray", lw=0.8, ls="--", label="tolerance")
        ax.set(xlabel="case (d, kernel, draw)", title=title)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("relative error vs finite differences")
    fig.savefig(path, dpi=90)
