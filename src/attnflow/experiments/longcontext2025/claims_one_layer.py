"""Rows of one layer at long context: the model's layer against the exact finite-n cosine, the
limits of the theorem, and the rate at which the exact cosine approaches them.

For each regime of :data:`.settings.GAMMAS` (rho = 1/2):

1. one pre-LN layer of :class:`attnflow.AttentionModel` (beta = "log", gamma) on n equiangular
   tokens in R^{n+1}, n up to a few thousand: every pairwise cosine of the attention output
   against :func:`attnflow.theory.long_context_cosine` (exact, derived independently from the
   Gram matrix);
2. the exact cosine at n = 1e6 against the theorem's limit
   (:func:`attnflow.theory.long_context_limit`);
3. the power of the approach: a line fitted to ln |cos_n - limit| against ln n on
   n in [1e4, 1e6], against :func:`attnflow.theory.long_context_rate`; and the constant, as
   |cos_n - limit| n^p / C at n = 1e6.
"""

from __future__ import annotations

import numpy as np

from ...analysis import line_fit
from ...theory import long_context_cosine, long_context_limit, long_context_rate
from ..report import Report, compare
from .layer import equiangular_tokens, one_layer_cosines
from .settings import GAMMAS, N_FORMULA, RATE_WINDOW, REGIMES, RHO

__all__ = ["FOIL_POWER", "NEIGHBOUR", "add_claims"]

#: the regime whose limit (and constant) is each regime's foil
NEIGHBOUR = {"below": "critical", "critical": "below", "above": "critical"}
#: kappa -> (foil power, what it stands for): a plausible misreading of R = 2 rho n^(1 - kappa) +
#: rho n^(2 - 2 kappa) + ... per regime
FOIL_POWER = {
    "below": lambda k: (1.0 - k, "1 - kappa: the power of R's first term 2 rho n^(1 - kappa) instead of the "
                                 "dominant rho n^(2 - 2 kappa)"),
    "critical": lambda k: (0.0, "the one-sided powers 2 (1 - kappa) and kappa - 1 continued to kappa = 1 "
                                "(a logarithmic approach)"),
    "above": lambda k: (2.0 * (k - 1.0), "2 (kappa - 1): the power of R's second term taken as dominant"),
}


def add_claims(rep: Report, P: dict) -> dict:
    """Add the one-layer rows (module docstring); return the measured and exact cosines."""
    sizes = P["n_layer"]
    measured = {k: np.empty((len(sizes), 3)) for k in GAMMAS}        # (n, [mean, min, max]) per regime
    deviation = {k: np.empty(len(sizes)) for k in GAMMAS}
    worst = {}
    for i, n in enumerate(sizes):
        x = equiangular_tokens(n, RHO)
        for regime, gamma in GAMMAS.items():
            cos = one_layer_cosines(gamma, x)
            exact = float(long_context_cosine(n, gamma, RHO))
            k = int(np.argmax(np.abs(cos - exact)))
            measured[regime][i] = cos.mean(), cos.min(), cos.max()
            deviation[regime][i] = abs(cos[k] - exact)
            worst[regime] = (exact, float(cos[k]))
    gamma_c = 1.0 / (1.0 - RHO)
    for regime, gamma in GAMMAS.items():
        exact, got = worst[regime]
        rep.add(compare(
            f"{REGIMES[regime]} (gamma = {gamma:g}, gamma_c = {gamma_c:g}): one pre-LN layer's output "
            f"cosines equal the exact finite-n cosine (n = {sizes[-1]})", exact, got, 1e-12,
            f"rho = {RHO:g}, beta_n = gamma ln n, A = V = I, SA; n equiangular tokens in R^(n+1); all pairs; "
            f"AttentionModel(d, beta='log', gamma, layernorm='pre')",
            note="tolerance: float64 rounding of the softmax sums over n terms (deviations at n = "
                 + ", ".join(f"{n}: {dv:.1e}" for n, dv in zip(sizes, deviation[regime], strict=True)) + ")",
            foil=long_context_limit(gamma, RHO),
            foil_note=f"the theorem's n -> infinity limit taken as the cosine at n = {sizes[-1]}"))
    n_big = float(N_FORMULA[-1])
    for regime, gamma in GAMMAS.items():
        limit = long_context_limit(gamma, RHO)
        other = NEIGHBOUR[regime]
        rep.add(compare(
            f"{REGIMES[regime]} (gamma = {gamma:g}): the exact cosine at n = {n_big:.0e} is the "
            f"theorem's limit", limit, float(long_context_cosine(n_big, gamma, RHO)), 1e-3,
            f"rho = {RHO:g}; limits 1, 4 rho/(1 + 3 rho) = {4 * RHO / (1 + 3 * RHO):g}, rho",
            note="tolerance: above the predicted gap C n^-p at n = 1e6 (at most 5e-4, the next rows) and far "
                 "below the gaps between the three limits (0.2, 0.3)",
            foil=long_context_limit(GAMMAS[other], RHO),
            foil_note=f"the limit of the neighbouring regime ({REGIMES[other]}, gamma = {GAMMAS[other]:g})"))
    win = (N_FORMULA >= RATE_WINDOW[0]) & (N_FORMULA <= RATE_WINDOW[1])
    exponents = {}
    for regime, gamma in GAMMAS.items():
        limit = long_context_limit(gamma, RHO)
        rate = long_context_rate(gamma, RHO)
        gap = np.abs(long_context_cosine(N_FORMULA, gamma, RHO) - limit)
        fit = line_fit(np.log(N_FORMULA[win]), np.log(gap[win]))
        exponents[regime] = -fit.slope
        params = (f"rho = {RHO:g}, gamma = {gamma:g}, kappa = gamma (1 - rho) = {gamma * (1 - RHO):g}; exact "
                  f"cosine on n in [{RATE_WINDOW[0]:.0e}, {RATE_WINDOW[1]:.0e}] ({int(win.sum())} values)")
        foil_p, why_p = FOIL_POWER[regime](gamma * (1.0 - RHO))
        rep.add(compare(f"{REGIMES[regime]}: |cos_n - limit| ~ C n^(-p), p = {rate.exponent:g} "
                        f"(fitted power)", rate.exponent, -fit.slope, 0.02, params,
                        note="tolerance: the next-order relative correction ~ 4 n^-|1 - kappa| (below, "
                             "above), 1/n (at) bends the log-log line by less than 0.02 on the window",
                        foil=foil_p, foil_note=why_p))
        foil_rate = long_context_rate(GAMMAS[NEIGHBOUR[regime]], RHO)
        rep.add(compare(f"{REGIMES[regime]}: the constant C = {rate.constant:.4g} "
                        f"(|cos_n - limit| n^p / C at n = {n_big:.0e})", 1.0,
                        float(gap[-1] * n_big ** rate.exponent / rate.constant), 0.02, params, relative=True,
                        note="tolerance: the same next-order correction at n = 1e6 (4 n^-0.4 = 0.016 below, "
                             "4 n^-0.5 = 0.004 above, 1/n at)",
                        foil=foil_rate.constant / rate.constant,
                        foil_note=f"the constant {foil_rate.constant:.4g} of the neighbouring regime's law "
                                  f"({REGIMES[NEIGHBOUR[regime]]})"))
    return {"sizes": np.asarray(sizes), "measured": measured, "deviation": deviation, "exponents": exponents}
