"""GLPR part 4: the interaction energy increases along the flow in the symmetric cases.

[GLPR]: E(x) = (1/(2 beta n^2)) sum_{i,j} e^{beta <A x_i, x_j>} is a Lyapunov function of the
attention flow when the value matrix equals the (symmetric) logit matrix, V = A = A^T (A = V = I
in particular): USA is its gradient ascent, SA a gradient ascent in another metric. In the
notation of :func:`attnflow.theory.energy_gradient` (g_i, the Riemannian gradient of E), the
velocities are v_i = n g_i (USA) and v_i = (n^2 / Z_i) g_i (SA, Z_i = sum_j e^{beta <A x_i, x_j>}),
so the rate of change of E along the flow is

    dE/dt = sum_i <g_i, v_i> = n sum_i |g_i|^2 (USA),   sum_i (n^2 / Z_i) |g_i|^2 (SA),

both >= 0 (derived here from the gradient formula). Each row integrates the right-hand side
along an RK4 run and compares it with the increase of E (observables.energy); the foil is the
other normalization's rate, which differs by the factor n / Z_i.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import simpson

from ... import sphere
from ...integrate import simulate
from ...model import AttentionModel
from ...observables import energy
from ...theory import energy_gradient
from ..report import Report, check

__all__ = ["add_claims", "dissipation"]

#: size of the runs: dimension, tokens, beta, step, final time, save spacing
D, N, BETA, DT, T_END, SAVE = 8, 32, 1.5, 0.01, 4.0, 0.02
#: relative tolerance of the energy balance (Simpson's rule on saves every 0.02, RK4 at dt = 0.01)
TOL = 1e-4


def dissipation(model: AttentionModel, x: np.ndarray, normalization: str) -> float:
    """dE/dt along the flow at the state x (n, d): n sum |g_i|^2 (USA) or sum (n^2/Z_i) |g_i|^2 (SA).

    Valid for V = A = A^T (the symmetric case), where the USA velocity is n g_i.
    """
    n = x.shape[0]
    g = energy_gradient(model, x)
    sq = np.sum(g * g, axis=1)
    if normalization == "usa":
        return float(n * sq.sum())
    s = model.beta * (x @ model.A_matrix.T @ x.T)
    Z = np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1) * np.exp(s.max(axis=1))
    return float(np.sum(n * n / Z * sq))


def _symmetric_matrix(rng: np.random.Generator) -> np.ndarray:
    """I + 0.5 (G + G^T)/sqrt(2 d): symmetric, spectrum in about [1 - sqrt 2, 1 + sqrt 2] (GOE)."""
    g = rng.standard_normal((D, D))
    return np.eye(D) + 0.5 * (g + g.T) / math.sqrt(2 * D)


def add_claims(rep: Report) -> dict:
    """Add the four energy rows (A = V = I and a random symmetric A = V; USA and SA) to ``rep``."""
    rng = np.random.default_rng(2023)
    S = _symmetric_matrix(rng)
    x0 = sphere.uniform(N, D, seed=5)
    ts = np.arange(0.0, T_END + 1e-9, SAVE)
    out: dict = {"t": ts}
    for mats, A in (("A = V = I", None), ("A = V = S symmetric random (I + GOE/2)", S)):
        for norm in ("usa", "sa"):
            model = AttentionModel(d=D, beta=BETA, A=A, V=A, normalization=norm)
            sol = simulate(model, x0, T_END, DT, "rk4", save_at=ts)
            E = np.array([energy(model, x) for x in sol.x])
            rates = {nm: np.array([dissipation(model, x, nm) for x in sol.x]) for nm in ("usa", "sa")}
            gain = E[-1] - E[0]
            integral = {nm: float(simpson(r, x=ts)) for nm, r in rates.items()}
            other = "sa" if norm == "usa" else "usa"
            err = abs(integral[norm] - gain) / gain
            err_foil = abs(integral[other] - gain) / gain
            steps = np.diff(E) / E[1:]
            monotone = bool(steps.min() >= -1e-12)          # rounding of the n^2-term sum: ~1e-14
            key = f"{'identity' if A is None else 'symmetric'}_{norm}"
            out[key] = E
            formula = "n sum |g_i|^2" if norm == "usa" else "sum (n^2/Z_i) |g_i|^2"
            rep.add(check(
                f"energy E increases along the flow ({norm.upper()}, {mats}): dE/dt = {formula}",
                f"E nondecreasing and E(T) - E(0) = int_0^T {formula} dt (relative {TOL:g})",
                f"min step dE/E = {steps.min():.2g}; E: {E[0]:.6g} -> {E[-1]:.6g}; relative mismatch of "
                f"the balance {err:.2g}", monotone and err <= TOL,
                f"{norm.upper()}, d = {D}, n = {N} iid uniform (seed 5), beta = {BETA:g}, RK4 dt = {DT:g}, "
                f"t <= {T_END:g}, Simpson's rule on saves every {SAVE:g}",
                error=err, tolerance=TOL,
                note=("[GLPR]: for V = A symmetric the energy is a Lyapunov function; the rate is "
                      "derived here "
                      "from theory.energy_gradient. Tolerance 1e-4: Simpson's rule on saves every 0.02 and "
                      "the RK4 error at dt = 0.01 are below 1e-5 of the gain; a step counts as a decrease "
                      "below -1e-12 E (the rounding of the n^2-term sum is ~1e-14)"),
                foil=f"dE/dt = the {other.upper()} rate", foil_passed=monotone and err_foil <= TOL,
                foil_note=f"the other normalization's dissipation (relative mismatch {err_foil:.2g})"))
    return out
