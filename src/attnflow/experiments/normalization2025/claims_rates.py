"""Rows of the equiangular long-time laws: particle runs from x_i = e_i against
:func:`attnflow.theory.equiangular_asymptotics`.

n tokens x_i = e_i in R^d (rho = 0, r = 1), A = V = I, are integrated by :func:`attnflow.simulate`
for every case of :data:`.settings.RATE_CASES`; 1 - rho is measured as |theta_1 - theta_2|^2 / 2
(full relative accuracy near the cluster) and r as |x_1|.

- exponential laws (post, nGPT): a line fitted to ln(1 - rho) against t on the window
  1e-12 <= 1 - rho <= 1e-6 (RK4): slope = -lambda, intercept = ln K; the law's relative
  correction there is O(1 - rho) <= 1e-6.
- power laws (pre, peri, mix, sqrt): adaptive DOP5 runs (rtol 1e-11) to t = 2000, least squares
  of ln(1 - rho) = ln K - p ln t + sum_k a_k t^{-k} (k = 1, 2; sqrt-scaling, whose corrections go
  in powers of t^{-1/2}: k = 1/2, 1, 3/2) on t >= 100: p and ln K. The radius law r ~ C t^q:
  C = (r(T) - r(T/2)) / (T^q - (T/2)^q) with q = 1 (sqrt-scaling: (1 + t)^{1/2}), whose
  error is O(1/T).
"""

from __future__ import annotations

import numpy as np

from ...analysis import line_fit
from ...integrate import simulate
from ...model import AttentionModel
from ...theory import equiangular_asymptotics
from ..report import Report, compare
from .settings import LABELS, RATE_CASES, RATE_SETTING

__all__ = ["add_claims", "equiangular_particles", "foils"]


def _eps_r(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta = x / np.linalg.norm(x, axis=-1, keepdims=True)
    diff = theta[:, 0] - theta[:, 1]
    return 0.5 * np.einsum("td,td->t", diff, diff), np.linalg.norm(x[:, 0], axis=-1)


def equiangular_particles(scheme: str, normalization: str, options: dict) -> dict:
    """The particle run of one rate case: times, 1 - rho, r and the fitted law (module docstring)."""
    n, d, beta = RATE_SETTING["n"], RATE_SETTING["d"], RATE_SETTING["beta"]
    law = equiangular_asymptotics(scheme, beta, n, normalization, **options)
    model = AttentionModel(d, beta, normalization=normalization, layernorm=scheme, **options)
    x0 = np.eye(d)[:n]
    if law.kind == "exponential":
        t1 = 16.0 * np.log(10.0) / law.exponent                         # 1 - rho ~ 1e-16 K
        t = np.linspace(0.0, t1, 401)
        sol = simulate(model, x0, t1, 0.01 * 2.0 / law.exponent, "rk4", save_at=t)
        eps, r = _eps_r(sol.x)
        lo, hi = RATE_SETTING["window"]
        win = (eps >= lo) & (eps <= hi)
        fit = line_fit(t[win], np.log(eps[win]))
        return {"t": t, "eps": eps, "r": r, "law": law, "exponent": -fit.slope, "log_constant": fit.intercept,
                "radius_constant": np.nan, "fit": f"line fit of ln(1 - rho) on {lo:g} <= 1 - rho <= {hi:g} "
                f"({int(win.sum())} saves), RK4 dt = {0.02 / law.exponent:.3g}"}
    t1 = RATE_SETTING["t_power"]
    t = np.concatenate([[0.0], np.geomspace(0.01, t1, 300)])
    sol = simulate(model, x0, t1, 0.01, "dopri5", save_at=t, rtol=1e-11, atol=1e-13)
    eps, r = _eps_r(sol.x)
    tail = t >= t1 / 20
    tt = t[tail]
    powers = (0.5, 1.0, 1.5) if scheme == "sqrt" else (1.0, 2.0)
    design = np.stack([np.ones_like(tt), -np.log(tt), *[tt ** -k for k in powers]], axis=1)
    coef = np.linalg.lstsq(design, np.log(eps[tail]), rcond=None)[0]
    half = int(np.argmin(np.abs(t - t1 / 2)))
    growth = (lambda s: np.sqrt(1.0 + s)) if scheme == "sqrt" else (lambda s: s)
    c_r = (r[-1] - r[half]) / (growth(t[-1]) - growth(t[half]))
    return {"t": t, "eps": eps, "r": r, "law": law, "exponent": float(coef[1]),
            "log_constant": float(coef[0]), "radius_constant": float(c_r),
            "fit": (f"DOP5 rtol 1e-11 to t = {t1:g}; fit of ln(1 - rho) on t >= {t1 / 20:g} with corrections "
                    f"t^-k, k = {', '.join(f'{k:g}' for k in powers)}")}


def foils(scheme: str, normalization: str) -> dict[str, tuple[float, str]]:
    """The foil of each rate row of one case: quantity ("exponent", "log_constant", "radius") ->
    (value, what it stands for), each a law of :func:`attnflow.theory.equiangular_asymptotics`
    for a neighbouring scheme, normalization or beta (a plausible wrong reading of the case)."""
    n, beta = RATE_SETTING["n"], RATE_SETTING["beta"]

    def law(s: str, norm: str = "sa", b: float = beta):
        return equiangular_asymptotics(s, b, n, norm)

    other = "sa" if normalization == "usa" else "usa"
    if scheme in ("post", "ngpt"):
        rate = ((law("post", other).exponent, f"the {other.upper()} rate (the other normalization)")
                if scheme == "post" else (law("post").exponent, "post-LN's rate 2 (alpha ignored)"))
        return {"exponent": rate,
                "log_constant": (0.0, "K = 1 - rho(0) = 1: the exponential law from t = 0 (no transient)")}
    power = ((law("pre").exponent, "pre-LN's power 2 (the branch scale 1/sqrt(1 + t) ignored)")
             if scheme == "sqrt" else (law("sqrt").exponent, "sqrt-scaling's power 1 (1 - rho ~ 1/r "
                                                             "instead of 1/r^2)"))
    constant = {
        "pre": ((law("pre", b=0.0).log_constant, "the beta = 0 invariant r^2 (1 - rho) = 1")
                if normalization == "sa" else
                (law("pre").log_constant, "the SA constant K'^2 (USA's factor 1/c^2 = e^(-2 beta) dropped)")),
        "peri": (law("peri", b=0.0).log_constant, "the beta = 0 invariant r^2 (1 - rho) = 1"),
        "mix": (law("pre").log_constant, "pre-LN's constant from the start (the switch ignored)"),
        "sqrt": (law("pre").log_constant, "pre-LN's constant K'^2 (the 1/4 of r ~ 2 c t^(1/2) dropped)"),
    }[scheme]
    radius = {
        "pre": (law("pre", other).radius_constant, f"the {other.upper()} weight c at the cluster"),
        "peri": (0.0, "nGPT's fixed radius (peri-LN normalizes the output as nGPT does)"),
        "mix": (0.0, "post-LN's fixed radius (the switch ignored)"),
        "sqrt": (law("pre").radius_constant, "c = 1: the factor 2 of integrating 1/sqrt(1 + t) dropped"),
    }[scheme]
    return {"exponent": power, "log_constant": constant, "radius": radius}


def add_claims(rep: Report) -> dict:
    """Add the rate rows of every case of :data:`.settings.RATE_CASES`; return the runs by case name."""
    n, d, beta = RATE_SETTING["n"], RATE_SETTING["d"], RATE_SETTING["beta"]
    runs = {}
    for scheme, normalization, options in RATE_CASES:
        run = equiangular_particles(scheme, normalization, options)
        law = run["law"]
        opts = "".join(f", {k} = {v:g}" for k, v in options.items())
        name = f"{LABELS[scheme]} {normalization.upper()}{opts}"
        runs[name] = run
        params = f"n = {n} tokens x_i = e_i in R^{d}, A = V = I, beta = {beta:g}; {run['fit']}"
        foil = foils(scheme, normalization)
        if law.kind == "exponential":
            what = "2 e^beta" if (scheme == "post" and normalization == "usa") else (
                "2 alpha" if scheme == "ngpt" else "2")
            rep.add(compare(f"{name}: 1 - rho ~ K e^(-lambda t) with lambda = {what} (equiangular law)",
                            law.exponent, run["exponent"], 1e-5, params, relative=True,
                            note="the law's relative correction on the fit window is O(1 - rho) <= 1e-6",
                            foil=foil["exponent"][0], foil_note=foil["exponent"][1]))
            rep.add(compare(f"{name}: ln K of the exponential law (quadrature of the equiangular ODE)",
                            law.log_constant, run["log_constant"], 1e-4, params,
                            note="tolerance: the law's O(1 - rho) <= 1e-6 correction, extrapolated to t = 0 "
                                 "with the fitted slope, moves the intercept by ~1e-5 at most",
                            foil=foil["log_constant"][0], foil_note=foil["log_constant"][1]))
            continue
        rep.add(compare(f"{name}: 1 - rho ~ K t^(-p) with p = {law.exponent:g} (equiangular law)",
                        law.exponent, run["exponent"], 1e-3, params,
                        note="tolerance: the first neglected correction of the fit, O(t^-3) (O(t^-2) for "
                             "sqrt-scaling) at t = 100",
                        foil=foil["exponent"][0], foil_note=foil["exponent"][1]))
        rep.add(compare(f"{name}: ln K of the power law (orbit invariant K')", law.log_constant,
                        run["log_constant"], 5e-3 if scheme == "sqrt" else 1e-3, params,
                        note="the fit's first neglected correction is O(t^-2) (sqrt-scaling) or O(t^-3) at "
                             "t = 100",
                        foil=foil["log_constant"][0], foil_note=foil["log_constant"][1]))
        shape = "t^(1/2)" if scheme == "sqrt" else "t"
        rep.add(compare(f"{name}: radius r(t) ~ C {shape}, C = {law.radius_constant:.6g}",
                        law.radius_constant, run["radius_constant"], 2e-3, params, relative=True,
                        note="measured as the slope (r(T) - r(T/2)) / (T^q - (T/2)^q), error O(1/T) = 1e-3 "
                             f"at T = {RATE_SETTING['t_power']:g}",
                        foil=foil["radius"][0], foil_note=foil["radius"][1]))
    return runs
