"""Low temperature [L]: concentration onto Pi # rho_0, its beta-scaling, and the terminal phase.

[L] Alcalde, Bungert, Riedl, Roith, "Quantifying concentration phenomena of mean-field
transformers in the low-temperature regime", arXiv 2605.10931. Only the abstract and secondary
digests could be read (docs/theory/low-temperature.md#sources): the paper's own matrices, N, beta, d and T
were not
found, so this experiment uses the example of docs/theory/low-temperature.md#worked-example.

Setting (docs/theory/low-temperature.md#worked-example). d = 3, queries Q = I, keys K = diag(1, 4, 1), values
V = diag(2, 1, 0.5), SA (softmax) normalization. attnflow's score is beta <A x_i, x_j> with
A = K^T Q (see :mod:`attnflow.model`), so A = diag(1, 4, 1); the notes write the logit as
beta <B^T x, y> with B = Q^T K = diag(1, 4, 1), so their M = V B^T is attnflow's M = V A =
diag(2, 4, 0.5) (:func:`attnflow.theory.zero_temperature_map`). Its top eigenvector is e_2,
the gap is 4 - 2 = 2, |A e_2| = 4, so the predicted zero-temperature rate is c = 0.5
(:func:`attnflow.theory.zero_temperature_rate`), and Pi # rho_0 = p delta_{e_2} +
(1 - p) delta_{-e_2} with p = rho_0{<x, e_2> > 0}. V's own top eigenvector is e_1.

A second setting, the sub-sphere example (:func:`~.setting.subsphere_example`): queries Q = D,
keys K = O^T with a rotation O, so A = K^T Q = O D is not symmetric, and V = S A^{-1} with
M = V A = S symmetric with a double top eigenvalue: E is a plane, Pi maps onto its great circle,
the local rate is c = 1, and the transposed convention A = Q^T K would give another map.

Rows (every value comes from the runs made here):

1. zero temperature: the hardmax field v_inf(x) = P_x V A x/|A x| (the beta -> infinity limit
   of SA for a measure with full support) is integrated with RK4; the rate of
   mean_i |x_i(t) - Pi(x_i(0))| -> 0 is fitted and compared with c (0.5, and 1 for the
   sub-sphere example), and the limit Pi # mu_0 is checked (foils: Pi built from V alone, from
   the transposed convention).
2. finite beta, SA particles from one iid uniform start (full mode): W_1(mu^beta_t, Pi # mu_0)
   (geodesic cost, exact OT; W_1, see the notes) dips where the Laplace regime ends, at
   ln(beta)/(2c) + const (derived here, :mod:`.claims_finite_beta`); the slope in ln beta is
   compared with 1/(2c). The quick mode's N = 500 is too small for it (see the row's note).
3. beta-scaling of the finite-beta error at early times t in (0.25, 0.5, 1): coupled runs (same
   x_0) of SA at beta and of the hardmax flow; e(beta, t) = mean_i |x_i^beta(t) - x_i^inf(t)|.
   [L]'s bound has the finite-beta term K sqrt(log(beta+1)/beta) e^{C t} with unknown K, C:
   they are fitted on beta <= 10 and the term must bound the errors at the larger betas. The
   notes expect e ~ 1/beta for smooth rho_0 (the von Mises-Fisher mean has an O(1/kappa)
   bias): the fitted exponent at t = 0.25 is compared with -1, in both examples. To see the
   continuum error rather than the finite-N sampling noise, x_0 is a (randomly rotated)
   Fibonacci lattice; with iid uniform x_0 the error has a floor ~ N^{-1/2}
   (docs/theory/low-temperature.md#the-finite-beta-bound), whose N^{-1/2} scaling is checked at
   the largest beta.
4. terminal phase: after the dip the tokens leave +-e_2 and align with V's top eigenvector
   e_1: mean |<x, e_1>| at the final time is compared with 1; the exit time (mean |<x, e_2>|
   falls below 0.5 after the dip) is fitted against ln beta, slope 1/(2c) + 1/(2 g_V) with
   g_V = <e_1, V e_1> - <e_2, V e_2> (derived here).

Modules: :mod:`.setting` (the example and the run sizes), :mod:`.hardmax` (the zero-temperature
flow and the distance to Pi # mu_0), one ``claims_*`` module per group of rows
(:mod:`.claims_zero_temperature` 1, :mod:`.claims_finite_beta` 2 and 4,
:mod:`.claims_beta_scaling` 3) and :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...analysis import blas_threads
from ..report import Report, start
from . import claims_beta_scaling, claims_finite_beta, claims_zero_temperature
from .figures import figures, snapshot_figure
from .hardmax import distance_to_pushforward, hardmax_flow
from .setting import MODES, example, example_matrices, fibonacci_sphere, subsphere_example

__all__ = [
    "PAPER",
    "TITLE",
    "distance_to_pushforward",
    "example_matrices",
    "fibonacci_sphere",
    "hardmax_flow",
    "run",
    "snapshot_figure",
]

TITLE = "Low-temperature concentration onto Pi # rho_0 and the terminal phase [L]"
PAPER = ("Alcalde, Bungert, Riedl, Roith, \"Quantifying concentration phenomena of mean-field "
         "transformers in the low-temperature regime\", arXiv 2605.10931")


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the groups of rows (module docstring) with one BLAS thread; figures go into ``out_dir``."""
    with blas_threads(1):
        return _run(out_dir, quick)


def _run(out_dir: Path, quick: bool) -> Report:
    rep, out = start("lowtemp2025", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    ex, sub = example(), subsphere_example()
    walls: dict[str, float] = {}

    t0 = time.perf_counter()
    zero = claims_zero_temperature.add_claims(rep, P, ex, sub)
    walls["zero temperature"] = time.perf_counter() - t0
    tz, dist_z = zero["zero_t"], zero["zero_mean_distance"]

    t0 = time.perf_counter()
    sa = claims_finite_beta.sa_runs(P, ex)
    walls["finite-beta SA runs"] = time.perf_counter() - t0
    if P["dip_row"]:
        claims_finite_beta.add_concentration_claims(rep, sa, ex.c)
    ts, betas, t_exit = sa["ts"], sa["betas"], sa["t_exit"]

    t0 = time.perf_counter()
    betas_e, errors = claims_beta_scaling.add_claims(rep, P, ex, sub)
    walls["beta-scaling runs"] = time.perf_counter() - t0

    claims_finite_beta.add_terminal_claims(rep, sa, ex)

    rep.data.update({
        "zero_t": tz, "zero_mean_distance": dist_z,
        "subsphere_mean_distance": zero["subsphere_mean_distance"], "t": ts, "betas": betas, "w2": sa["W"],
        "w2_zero": sa["w_inf"], "mean_abs_e1": sa["m1"], "mean_abs_e2": sa["m2"], "t_dip": sa["t_dip"],
        "w2_dip": sa["w_dip"], "t_exit": t_exit, "betas_err": betas_e,
        **{f"err_{k.replace(' ', '_').replace('=', '')}": v for k, v in errors.items()},
    })
    rep.figures += figures(out, rep.data, errors, ex.c, sa["states"], ts, ex.e2, sub.c)
    rep.notes += [
        "[L]'s own matrices, N, beta, d and T were not found (only the abstract and digests could be read); "
        "the setting is docs/theory/low-temperature.md#worked-example's example, with attnflow's A = K^T "
        "Q = diag(1,4,1).",
        "The notes' run (§4.2, N = 600, RK2) gives mean |x - Pi(x_0)| = 0.134, 0.0178, 0.00241 at "
        "t = 4, 8, 12; here (N = {}, RK4): {:.4g}, {:.4g}, {:.4g}.".format(
            P["n_zero"], *[float(dist_z[np.argmin(np.abs(tz - s))]) for s in (4.0, 8.0, 12.0)]),
        "Exit times (mean |<x, e_2>| < 0.5): " + ", ".join(
            f"beta = {b:g}: {t:.2f}" for b, t in zip(betas, t_exit, strict=True))
        + "; the notes report beta = 10 gone by t = 8, beta = 30 between 8 and 12, beta = 100 around 12-16.",
        "W_1 is the geodesic 1-Wasserstein distance between the N tokens and the two-atom measure Pi # mu_0 "
        "(exact OT, attnflow.transport.wasserstein_sphere). W_1 rather than W_2: the weights p, 1 - p of "
        "Pi # mu_0 are fixed by the signs <x_i(0), e_2>, and a token that ends on the other side (tokens "
        "near the plane <x, e_2> = 0 can cross at finite beta and finite N) costs pi^2/N in W_2^2 (one token "
        "of N = 600 alone gives W_2 >= 0.13) but only pi/N in W_1.",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + ".",
    ]
    return rep
